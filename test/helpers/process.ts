import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = import.meta.resolve('tsx');
/** An empty working directory, with `ENV_FILE` inside it, so that a developer's own `.env` cannot leak into these tests. */
const CWD = mkdtempSync(join(tmpdir(), 'api-test-'));

/** Runs a TypeScript entry point of the project as its own process, with exactly `env`. */
export function runScript(script: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', TSX, join(ROOT, script), ...args], {
    cwd: CWD,
    env: { PATH: process.env['PATH'] ?? '', ENV_FILE: join(CWD, '.env'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves with the process's exit code and everything it printed. */
export async function finished(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** Resolves with the first JSON log line whose `msg` matches, failing after `timeoutMs`. */
export function logLine(child: ChildProcess, msg: RegExp, timeoutMs = 20_000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`no log line matching ${msg} within ${timeoutMs} ms:\n${buffer}`)), timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (const line of buffer.split('\n')) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (msg.test(String(entry['msg']))) {
          clearTimeout(timer);
          resolve(entry);
        }
      }
    });
  });
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}
