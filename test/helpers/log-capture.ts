import { pino, type Logger } from 'pino';
import { startHarness, type Harness } from './harness.js';

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
  return { h: await startHarness(env, { ...options, logger: logs.logger }), logs };
}
