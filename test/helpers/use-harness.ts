import { after, before } from 'node:test';
import { startHarness, type Harness } from './harness.js';

/**
 * Starts a harness with `env` before the tests of the enclosing `describe` and closes it after
 * them; the tests call the returned function to reach it.
 */
export function useHarness(env: Record<string, string> = {}): () => Harness {
  let harness: Harness | undefined;
  before(async () => {
    harness = await startHarness(env);
  });
  after(() => harness?.close());
  return () => harness!;
}
