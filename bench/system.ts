import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './processes.js';

/** Packages whose versions decide the figures: this project's stack, the peers', the load generator. */
const LIBRARIES = {
  '': ['@apollo/server', 'express', 'graphql', 'jose', 'autocannon'],
  bench: ['express-oauth2-jwt-bearer', 'graphql-shield', 'graphql-yoga', '@graphql-yoga/plugin-jwt', '@envelop/generic-auth', 'fastify', 'mercurius', 'mercurius-auth', '@fastify/jwt'],
};

/** Node, CPU and library versions, printed before any figure so that runs can be compared. */
export function describeSystem(): string[] {
  const cores = cpus();
  const versions = Object.entries(LIBRARIES).map(([dir, names]) => names.map((name) => `${name} ${installedVersion(dir, name)}`).join(', '));
  return [
    `Node.js ${process.version} on ${process.platform}/${process.arch}`,
    `CPU: ${cores.length} × ${cores[0]?.model ?? 'unknown'}; load average at start ${loadavg().map((n) => n.toFixed(2)).join(' ')}`,
    `This project: ${versions[0]}`,
    `Peers: ${versions[1]}`,
  ];
}

function installedVersion(dir: string, name: string): string {
  const file = join(ROOT, dir, 'node_modules', name, 'package.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version : 'not installed';
}

const CLOCK_TICKS_PER_S = Number(linuxOnly(() => execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) ?? 100);

/** CPU seconds (user + system) a process has used so far; NaN off Linux. */
export function cpuSeconds(pid: number): number {
  return (
    linuxOnly(() => {
      // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
    }) ?? Number.NaN
  );
}

/** Resident set size of a process in bytes; undefined off Linux. */
export function rssBytes(pid: number): number | undefined {
  return linuxOnly(() => {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  });
}

function linuxOnly<T>(read: () => T): T | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return read();
  } catch {
    return undefined;
  }
}
