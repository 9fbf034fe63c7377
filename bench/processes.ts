import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/free-port.js';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** An empty working directory, so that a developer's `.env` cannot change what is measured. */
const CWD = mkdtempSync(join(tmpdir(), 'api-bench-'));
const STARTUP_TIMEOUT_MS = 30_000;
/** Under valgrind a process runs some 50 times slower. */
const WRAPPED_STARTUP_TIMEOUT_MS = 300_000;
const STOP_TIMEOUT_MS = 5_000;
/** Children still running; a bench that dies half-way must not leave servers behind. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A server under test, in its own process. */
export interface ServerProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts one of the bench's servers (`bench/servers/*.mjs`), in production mode; it prints its port when listening. */
export async function startBenchServer(script: string, args: string[] = []): Promise<ServerProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'bench/servers', script), ...args], {
    cwd: CWD,
    env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await withTimeout(once(lines, 'line'), `${script} did not print its port`, STARTUP_TIMEOUT_MS)) as [string];
  lines.close();
  child.stdout!.resume();
  return serverProcess(child, `http://127.0.0.1:${Number(line)}`);
}

/**
 * Starts this project as users run it, `node dist/main.js`, configured only through `env`. Its
 * logs go to /dev/null: the cheapest sink, and the bench must not spend CPU reading them.
 * `wrapper` runs it under another program (valgrind), which is given more time to start.
 */
export async function startProject(env: Record<string, string>, nodeArgs: string[] = [], wrapper: string[] = []): Promise<ServerProcess> {
  const port = await freePort();
  const command = [...wrapper, process.execPath, ...nodeArgs, join(ROOT, 'dist/main.js')];
  const child = spawn(command[0]!, command.slice(1), {
    cwd: CWD,
    env: { PATH: process.env['PATH'] ?? '', ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`dist/main.js exited with code ${String(code)} before listening`);
  });
  await withTimeout(Promise.race([untilAnswering(url), exited]), 'dist/main.js did not start listening', wrapper.length > 0 ? WRAPPED_STARTUP_TIMEOUT_MS : STARTUP_TIMEOUT_MS);
  exited.catch(() => undefined);
  return serverProcess(child, url);
}

async function untilAnswering(url: string): Promise<void> {
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function serverProcess(child: ChildProcess, url: string): ServerProcess {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return {
    url,
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // SIGTERM lets `--cpu-prof` write its profile; some peers (Yoga) wait for more than that.
      const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      child.kill('SIGTERM');
      await once(child, 'exit');
      clearTimeout(killer);
    },
  };
}

function withTimeout<T>(promise: Promise<T>, message: string, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
