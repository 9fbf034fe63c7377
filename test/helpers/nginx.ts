import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../support/free-port.js';

const SHIPPED_CONFIG = fileURLToPath(new URL('../../deploy/nginx.conf', import.meta.url));
const SHIPPED_UPSTREAMS = ['127.0.0.1:6061', '127.0.0.1:6062'];

export interface Nginx {
  url: string;
  /** nginx's error log, for failure messages. */
  errorLog(): string;
  stop(): Promise<void>;
}

/** Debian's nginx binary; `.ci/run` installs the package when it is missing. */
export function nginxBinary(): string {
  return ['/usr/sbin/nginx', '/usr/bin/nginx'].find((path) => existsSync(path)) ?? 'nginx';
}

/**
 * Runs Debian's nginx in the foreground as a child process with `deploy/nginx.conf`, its listen
 * port and upstream ports rewritten for loopback, and everything it writes (pid, logs, temporary
 * files) in a fresh directory, so that it needs no system configuration and leaves nothing behind.
 */
export async function startNginx(upstreamPorts: readonly number[]): Promise<Nginx> {
  // nginx cannot listen on port 0, so it gets a port that was free a moment ago, and another one
  // if a different process took that port in between.
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await launch(await freePort(), upstreamPorts);
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt >= 5) throw error;
    }
  }
}

class PortTakenError extends Error {}

async function launch(port: number, upstreamPorts: readonly number[]): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'nginx-'));
  chmodSync(dir, 0o755); // workers run as an unprivileged user when the master is root
  const shipped = readFileSync(SHIPPED_CONFIG, 'utf8');
  const upstreams = upstreamPorts.map((p) => `server 127.0.0.1:${p} max_fails=1 fail_timeout=5s;`).join('\n        ');
  const config = [
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log warn;`,
    shipped
      .replace('worker_processes auto;', 'worker_processes 1;')
      .replace(/listen 8080;/, `listen 127.0.0.1:${port};`)
      .replace(new RegExp(`server ${SHIPPED_UPSTREAMS[0]}[^\\n]*\\n\\s*server ${SHIPPED_UPSTREAMS[1]}[^\\n]*`), upstreams)
      .replace(
        'http {',
        ['http {', ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `    ${t}_temp_path ${dir}/${t};`), `    access_log ${dir}/access.log;`].join('\n'),
      ),
  ].join('\n');
  if (!config.includes(`127.0.0.1:${upstreamPorts[0]}`)) throw new Error('deploy/nginx.conf no longer has the upstream lines this helper rewrites');
  writeFileSync(join(dir, 'nginx.conf'), config);

  const child: ChildProcess = spawn(nginxBinary(), ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log'), '-g', 'daemon off;'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let spawnError: Error | undefined;
  child.on('error', (error) => (spawnError = error));
  const exited = once(child, 'exit');
  const errorLog = () => (existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '');
  const url = `http://127.0.0.1:${port}`;

  for (let attempt = 0; ; attempt += 1) {
    if (spawnError) throw new Error(`cannot run nginx (apt-get install nginx): ${spawnError.message}`);
    if (child.exitCode !== null) {
      const ErrorType = errorLog().includes('Address already in use') ? PortTakenError : Error;
      throw new ErrorType(`nginx exited with ${child.exitCode}:\n${errorLog()}`);
    }
    try {
      // nginx writes its pid file once it holds its port: only then is `url` known to be nginx.
      if (!existsSync(join(dir, 'nginx.pid'))) throw new Error('not listening yet');
      await fetch(url, { signal: AbortSignal.timeout(1_000) });
      break;
    } catch {
      if (attempt > 100) throw new Error(`nginx did not start:\n${errorLog()}`);
      await sleep(100);
    }
  }

  return {
    url,
    errorLog,
    async stop() {
      if (child.exitCode === null && !spawnError) {
        child.kill('SIGQUIT');
        await exited;
      }
    },
  };
}
