/**
 * `node --import tsx bench/ab-dpop.ts --builds dist-a,dist-b`: an interleaved A/B of copies of
 * the build on the Bearer and the DPoP-bound `adminMessage`, in server CPU µs per request (user +
 * system of all the server's threads, from `/proc`), and the DPoP proof cost as their difference,
 * the figure `npm run bench` reports. Each copy is a sibling of `dist/` (`cp -r dist dist-a`), so
 * that it finds `schema.graphql` and `node_modules`; a copy edited by hand is how one step is taken
 * out of the request path to see what it costs. `dist-a@NAME=VALUE` runs a copy with one more
 * environment variable, `dist-a@--flag` with one more Node.js flag.
 *
 * Each round runs every copy in turn, starting with a different one, so that a busy spell of the
 * machine does not land on one copy only, and each measured run follows a second of the same load,
 * unmeasured; medians and minima over rounds. `--threads` splits the
 * CPU into the main thread's and the other threads' (libuv's pool, where WebCrypto verifies, and
 * V8's compiler and GC helpers), which a `--cpu-prof` profile of the main thread cannot show.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dpopCredentials } from '../src/dev/dpop-proof.js';
import { freePort } from '../support/free-port.js';
import { KeySetServer } from '../support/key-set-server.js';
import { adminToken, graphqlQuery, projectEnv } from './contenders.js';
import { load, type Target } from './load.js';
import { ROOT } from './processes.js';

const { values: args } = parseArgs({
  options: {
    builds: { type: 'string', default: 'dist' },
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '4' },
    connections: { type: 'string', default: '10' },
    threads: { type: 'boolean', default: false },
  },
});
const connections = Number(args.connections);
const duration = Number(args.duration);
/** Proofs are signed for at least this rate, so that a run faster than the last never runs out. */
const MIN_PROOF_RATE = 3_000;

const idp = await KeySetServer.start();
const signingKey = await idp.publish('ab');
const mint = (claims = {}) => adminToken(idp, signingKey, claims);
const bearerToken = await mint();

interface Variant {
  name: string;
  pid: number;
  stop(): void;
  bearer: Target;
  dpop: Target;
}

async function start(name: string): Promise<Variant> {
  const [build, setting] = name.split('@') as [string, string | undefined];
  const flags = setting?.startsWith('--') ? [setting] : [];
  const extra = setting && flags.length === 0 ? Object.fromEntries([setting.split('=') as [string, string]]) : {};
  const port = await freePort();
  const child = spawn(process.execPath, [...flags, join(ROOT, build, 'main.js')], {
    env: { PATH: process.env['PATH'] ?? '', ...projectEnv(idp.issuer, extra), PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  while (!(await fetch(url).then(() => true, () => false))) await new Promise((resolve) => setTimeout(resolve, 100));
  const query = graphqlQuery(url, 'adminMessage');
  const { accessToken, nextProof } = await dpopCredentials((jkt) => mint({ cnf: { jkt } }), query);
  return {
    name,
    pid: child.pid!,
    stop: () => child.kill('SIGTERM'),
    bearer: graphqlQuery(url, 'adminMessage', bearerToken),
    dpop: {
      ...query,
      headers: { ...query.headers, authorization: `DPoP ${accessToken}` },
      // Signed before the run, one per request: the server refuses a replayed `jti`.
      perRequestHeaders: async (count) => (await Promise.all(Array.from({ length: count }, () => nextProof()))).map((dpop) => ({ dpop })),
    },
  };
}

/** CPU seconds so far of a process's main thread and of its other threads. */
function threadSeconds(pid: number): { main: number; others: number } {
  const seconds = { main: 0, others: 0 };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // utime and stime, the 12th and 13th fields after the parenthesised name, in clock ticks (100 a second).
      const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      seconds[tid === String(pid) ? 'main' : 'others'] += (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return seconds;
}

interface Run {
  micros: number;
  mainMicros: number;
  rate: number;
}

/** Unmeasured load first: a process that other variants left idle pays its caches and JIT back on its next run. */
const REWARM_S = 1;

async function measure(variant: Variant, target: Target, seconds: number, expectedRate: number): Promise<Run> {
  await load(target, { connections, duration: REWARM_S, expectedRate });
  const before = threadSeconds(variant.pid);
  const { requests, requestsPerSecond } = await load(target, { connections, duration: seconds, expectedRate });
  const after = threadSeconds(variant.pid);
  const perRequest = (s: number) => (s * 1e6) / requests;
  return { micros: perRequest(after.main + after.others - before.main - before.others), mainMicros: perRequest(after.main - before.main), rate: requestsPerSecond };
}

const variants: Variant[] = [];
process.on('exit', () => variants.forEach((v) => v.stop()));
for (const name of args.builds.split(',')) variants.push(await start(name));

const rates = new Map<Variant, number>();
for (const variant of variants) {
  rates.set(variant, Math.max((await measure(variant, variant.dpop, 2, MIN_PROOF_RATE)).rate, MIN_PROOF_RATE));
  await measure(variant, variant.bearer, 2, MIN_PROOF_RATE);
}

const results = new Map(variants.map((v) => [v, [] as { bearer: Run; dpop: Run }[]]));
const describe = (run: Run) => `${run.micros.toFixed(0).padStart(4)} µs${args.threads ? ` (main ${run.mainMicros.toFixed(0)})` : ''} ${run.rate.toFixed(0).padStart(5)}/s`;
for (let round = 0; round < Number(args.rounds); round++) {
  for (let i = 0; i < variants.length; i++) {
    const variant = variants[(i + round) % variants.length]!;
    const bearer = await measure(variant, variant.bearer, duration, MIN_PROOF_RATE);
    const dpop = await measure(variant, variant.dpop, duration, rates.get(variant)!);
    rates.set(variant, Math.max(dpop.rate, MIN_PROOF_RATE));
    results.get(variant)!.push({ bearer, dpop });
    console.log(`round ${round + 1} ${variant.name.padEnd(24)} bearer ${describe(bearer)}  dpop ${describe(dpop)}  proof ${(dpop.micros - bearer.micros).toFixed(0)} µs`);
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
for (const [variant, runs] of results) {
  const proofs = runs.map(({ bearer, dpop }) => dpop.micros - bearer.micros);
  const figures = (pick: (values: number[]) => number) =>
    `bearer ${pick(runs.map((r) => r.bearer.micros)).toFixed(0)} µs, dpop ${pick(runs.map((r) => r.dpop.micros)).toFixed(0)} µs, proof cost ${pick(proofs).toFixed(0)} µs`;
  console.log(`${variant.name.padEnd(24)} medians: ${figures(median)}; minima: ${figures((v) => Math.min(...v))}`);
}
await idp.close();
process.exit(0);
