import { pino, type Logger } from 'pino';

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
