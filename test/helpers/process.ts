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

interface Output {
  stdout: string;
  stderr: string;
  /** Called after each chunk of stdout, so waiters can look at what has arrived. */
  waiters: Set<() => void>;
}

const outputs = new WeakMap<ChildProcess, Output>();

/**
 * Everything `child` has printed since this was first called for it. `runScript` calls it at
 * spawn, so a line printed before a test starts waiting for it is still seen.
 */
export function output(child: ChildProcess): Output {
  let collected = outputs.get(child);
  if (!collected) {
    const fresh: Output = { stdout: '', stderr: '', waiters: new Set() };
    child.stdout?.on('data', (chunk: Buffer) => {
      fresh.stdout += chunk.toString();
      for (const waiter of fresh.waiters) waiter();
    });
    child.stderr?.on('data', (chunk: Buffer) => (fresh.stderr += chunk.toString()));
    outputs.set(child, fresh);
    collected = fresh;
  }
  return collected;
}

/** Runs a TypeScript entry point of the project as its own process, with exactly `env`. */
export function runScript(script: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', TSX, join(ROOT, script), ...args], {
    cwd: CWD,
    env: { PATH: process.env['PATH'] ?? '', ENV_FILE: join(CWD, '.env'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  output(child);
  return child;
}

/** Resolves with the process's exit code and everything it printed. */
export async function finished(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const printed = output(child);
  if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
  // 'exit' can come before the last output; 'close' comes after the streams have ended.
  if (child.stdout && !child.stdout.readableEnded) await once(child, 'close');
  return { code: child.exitCode, stdout: printed.stdout, stderr: printed.stderr };
}

function firstMatch(stdout: string, msg: RegExp): Record<string, unknown> | undefined {
  // The text after the last newline may be half a line.
  for (const line of stdout.split('\n').slice(0, -1)) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as Record<string, unknown>;
    if (msg.test(String(entry['msg']))) return entry;
  }
  return undefined;
}

/**
 * Resolves with the first JSON log line whose `msg` matches, among those printed since the process
 * started, failing after `timeoutMs` or once the process has exited and closed its output without it.
 */
export function logLine(child: ChildProcess, msg: RegExp, timeoutMs = 20_000): Promise<Record<string, unknown>> {
  const printed = output(child);
  return new Promise((resolve, reject) => {
    const stop = () => {
      clearTimeout(timer);
      printed.waiters.delete(check);
      child.off('close', exited);
    };
    const check = () => {
      const entry = firstMatch(printed.stdout, msg);
      if (entry) {
        stop();
        resolve(entry);
      }
    };
    const exited = () => {
      check();
      stop();
      reject(new Error(`exited with ${child.exitCode} before a log line matching ${msg}:\n${printed.stdout}${printed.stderr}`));
    };
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no log line matching ${msg} within ${timeoutMs} ms:\n${printed.stdout}${printed.stderr}`));
    }, timeoutMs);
    printed.waiters.add(check);
    child.on('close', exited);
    check();
  });
}

export interface RunningServer {
  child: ChildProcess;
  /** The port the server bound, read from its `listening` log line. */
  port: number;
  /** http://127.0.0.1:<port> */
  url: string;
  exit: ReturnType<typeof finished>;
}

/**
 * Starts `src/main.ts` with `env` on a port the system picks (`PORT=0` unless `env` sets one),
 * and resolves once it logs that it is listening, with the port it logged.
 */
export async function startServer(env: Record<string, string>): Promise<RunningServer> {
  const child = runScript('src/main.ts', [], { PORT: '0', ...env });
  const exit = finished(child);
  try {
    const { port } = (await logLine(child, /listening/)) as { port: number };
    return { child, port, url: `http://127.0.0.1:${port}`, exit };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

/**
 * A loopback port that is held, so no other process can take it, but where every connection is
 * reset at once, as if nothing listened. For tests of what a client does when the server is not there.
 */
export async function deadPort(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((socket) => socket.resetAndDestroy()).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    port,
    async close() {
      server.close();
      await once(server, 'close');
    },
  };
}
