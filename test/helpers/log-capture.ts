import { pino, type Logger } from 'pino';
// Type-only: unit tests that only capture logs need not load the whole app (about 1.5 s a file).
import type { Harness, startHarness } from './harness.js';

export interface CapturedLogs {
  logger: Logger;
  /** Every line written so far, parsed. */
  lines: Array<Record<string, unknown>>;
  /** Everything written so far, as written. */
  raw(): string;
}

/** A real pino logger at `info` that keeps its JSON lines in memory for assertions. */
export function captureLogs(): CapturedLogs {
  const lines: Array<Record<string, unknown>> = [];
  let raw = '';
  const logger = pino(
    { level: 'info' },
    {
      write(line: string) {
        raw += line;
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  );
  return { logger, lines, raw: () => raw };
}

/** `startHarness` with its app logging into memory. */
export async function startLoggedHarness(
  env: Record<string, string> = {},
  options: Omit<NonNullable<Parameters<typeof startHarness>[1]>, 'logger'> = {},
): Promise<{ h: Harness; logs: CapturedLogs }> {
  const logs = captureLogs();
  const harness = await import('./harness.js');
  return { h: await harness.startHarness(env, { ...options, logger: logs.logger }), logs };
}
