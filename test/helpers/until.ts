import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Resolves once `condition` holds, checking every 20 ms: what a test waits for, instead of a sleep
 * that hopes it has happened. Fails after `timeoutMs` of real time (`performance.now()`, so a test
 * that mocks `Date` cannot stop the clock of its own deadline).
 */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  for (const deadline = performance.now() + timeoutMs; !(await condition()); await sleep(20)) {
    if (performance.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
  }
}
