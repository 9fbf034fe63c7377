/**
 * `npm run bench`: this project against a bare floor, the REST peer and three GraphQL peers, each
 * server in its own process; at each load level, interleaved rounds after a warm-up, every response
 * body checked, and the raw signature floors timed in the same run. Prints the tables and writes
 * them, with a chart, to bench/results.md. `--quick` for a short try
 * that writes nothing; `--cpu-prof` to profile this project's processes (bench/profiles/);
 * `--connections 10,100` for the load levels; `--memory` for the leak check instead (memory.ts,
 * `--paths bearer,dpop` to pick its paths);
 * `--attacks` for the subscription attacks of issue 21 (subscription-attacks.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KeySetServer, type SigningKey } from '../support/key-set-server.js';
import { barChartSvg, type ChartPanel } from './chart.js';
import { adminToken, probe, startContenders, type Contender, type MintToken } from './contenders.js';
import { measureCryptoFloors, type CryptoFloors } from './crypto-floor.js';
import { load } from './load.js';
import { runMemoryCheck } from './memory.js';
import { runSubscriptionAttacks } from './subscription-attacks.js';
import { ROOT } from './processes.js';
import { observabilityCostLine, ratioTable, signatureCostLines, summarize, table, targetLines, type Round } from './report.js';
import { cpuSeconds, describeSystem } from './system.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    memory: { type: 'boolean', default: false },
    attacks: { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string' },
    connections: { type: 'string', default: '10,100' },
    tokens: { type: 'string' },
    requests: { type: 'string' },
    plateau: { type: 'string' },
    paths: { type: 'string', default: 'bearer,dpop' },
  },
});
/** Load levels, in connections: a few busy clients, and many as behind a gateway; peers rank differently at each. */
const levels = args.connections.split(',').map(Number);
const rounds = Number(args.rounds);
/** Seconds per contender: warm-up, then in each round a saturated run and a run at the fixed rate. */
const seconds = args.quick ? { warmup: 1, saturated: 1, fixed: 1 } : { warmup: 3, saturated: Number(args.duration ?? 6), fixed: 3 };
/** The fixed rate is this share of the slowest contender's warm-up throughput, so that every one keeps up. */
const FIXED_RATE_SHARE = 0.6;

/** `--paths bearer,dpop`: the leak check's paths, so that one can be run alone. */
function memoryPaths(list: string): Array<'bearer' | 'dpop'> {
  const paths = list.split(',');
  if (!paths.every((path): path is 'bearer' | 'dpop' => path === 'bearer' || path === 'dpop')) throw new Error(`--paths takes bearer, dpop or both, got "${list}"`);
  return paths;
}

/** The peers' packages live in bench/package.json, so a plain `npm ci` of the API stays lean. */
function installPeers(): void {
  const installed = join(ROOT, 'bench/node_modules/.package-lock.json');
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(join(ROOT, 'bench/package-lock.json')).mtimeMs) return;
  console.log('Installing the peers (bench/package.json)...');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: join(ROOT, 'bench'), stdio: 'inherit' });
}

async function runComparison(idp: KeySetServer, tokenKey: SigningKey, mint: MintToken): Promise<void> {
  if (rounds < 3) throw new Error('--rounds must be at least 3: a median of fewer says little');
  const profileArgs = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${join(ROOT, 'bench/profiles')}`] : [];
  const { list, samples, stop } = await startContenders(idp.issuer, mint, profileArgs);
  try {
    for (const { label, target } of list) {
      const wrong = await probe(target);
      if (wrong) throw new Error(`${label}: ${target.method} ${target.url} answered ${wrong}`);
    }
    const floors: CryptoFloors[] = [];
    const panels: ChartPanel[] = [];
    for (const connections of levels) {
      panels.push(await runLevel(list, connections, async () => void floors.push(await measureCryptoFloors({ ...samples, tokenKey: tokenKey.publicJwk }))));
    }
    report(panels, medianFloors(floors));
  } finally {
    await stop();
  }
}

/** Every contender at one load level: a warm-up each, then interleaved rounds; `eachRound` runs before each round. */
async function runLevel(list: readonly Contender[], connections: number, eachRound: () => Promise<void>): Promise<ChartPanel> {
  const warmRates = new Map<Contender, number>();
  for (const contender of list) {
    warmRates.set(contender, (await load(contender.target, { connections, duration: seconds.warmup })).requestsPerSecond);
  }
  // At least one request per connection and second: below that autocannon may send none at all.
  const fixedRate = Math.max(connections, Math.round(Math.min(...list.filter((c) => c.key !== 'floor').map((c) => warmRates.get(c)!)) * FIXED_RATE_SHARE));
  console.log(`${connections} connections: warmed up for ${seconds.warmup} s each; fixed rate ${fixedRate} req/s (${FIXED_RATE_SHARE * 100}% of the slowest warm-up)`);

  // One loop: each round starts with a different contender, so none always runs first or last.
  const results = new Map(list.map((contender) => [contender, [] as Round[]]));
  const labelWidth = Math.max(...list.map((c) => c.label.length));
  for (let round = 0; round < rounds; round++) {
    await eachRound();
    for (let i = 0; i < list.length; i++) {
      const contender = list[(i + round) % list.length]!;
      const before = cpuSeconds(contender.server.pid);
      const saturated = await load(contender.target, { connections, duration: seconds.saturated, expectedRate: warmRates.get(contender)! });
      const cpu = cpuSeconds(contender.server.pid) - before;
      const fixed = await load(contender.target, { connections, duration: seconds.fixed, overallRate: fixedRate });
      results.get(contender)!.push({ saturated, cpuSeconds: cpu, fixed });
      console.log(`${connections} conn, round ${round + 1}/${rounds}  ${contender.label.padEnd(labelWidth)} ${Math.round(saturated.requestsPerSecond).toString().padStart(6)} req/s  p99 ${saturated.p99} ms  fixed-rate p99 ${fixed.p99} ms`);
    }
  }
  return { connections, fixedRate, summaries: [...results].map(([contender, runs]) => summarize(contender, runs)) };
}

/** Each floor's median over the measurements (one before every round). */
function medianFloors(floors: readonly CryptoFloors[]): CryptoFloors {
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return { es256Micros: median(floors.map((f) => f.es256Micros)), rs256Micros: median(floors.map((f) => f.rs256Micros)) };
}

function levelSection({ connections, summaries, fixedRate }: ChartPanel, floors: CryptoFloors): string[] {
  return [
    `## ${connections} connections`,
    '',
    table(summaries, fixedRate),
    '',
    ...signatureCostLines(summaries, floors),
    '',
    observabilityCostLine(summaries),
    '',
    'Targets:',
    '',
    ...targetLines(summaries),
    '',
    'This project over each peer:',
    '',
    ratioTable(summaries),
    '',
  ];
}

function report(panels: ChartPanel[], floors: CryptoFloors): void {
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const text = [
    ...describeSystem().map((line) => `- ${line}`),
    `- Settings: at ${levels.join(' and ')} connections, ${rounds} interleaved rounds; in each, per contender, ${seconds.saturated} s as fast as it answers, then ${seconds.fixed} s at a fixed rate (60 % of the slowest warm-up); ${seconds.warmup} s of warm-up each; every response body checked; medians over rounds.`,
    `- Signature floors, raw \`node:crypto\` verifications of the inputs the contenders send, timed in the bench's process before every round (medians): ES256 proof **${floors.es256Micros.toFixed(1)} µs**, RS256 access token **${floors.rs256Micros.toFixed(1)} µs** of CPU.`,
    '',
    ...panels.flatMap((panel) => levelSection(panel, floors)),
  ].join('\n');
  console.log(`\n${text}\n`);
  if (args.quick) return console.log('Quick mode: bench/results.md left as it was.');
  writeFileSync(join(ROOT, 'bench/results.svg'), `${barChartSvg(panels)}\n`);
  writeFileSync(
    join(ROOT, 'bench/results.md'),
    `# Benchmark results\n\nWritten by \`${command}\` on ${new Date().toISOString()}. Compare ratios within one run rather than figures across runs.\n\n${text}\n![req/s and p99 per contender, at each load level](results.svg)\n`,
  );
  console.log('Wrote bench/results.md and bench/results.svg');
}

const idp = await KeySetServer.start();
try {
  const key = await idp.publish('bench-key-1');
  const mint: MintToken = (claims) => adminToken(idp, key, claims);
  if (args.memory) {
    await runMemoryCheck(idp, mint, {
      tokens: Number(args.tokens ?? (args.quick ? 5_000 : 100_000)),
      requests: Number(args.requests ?? (args.quick ? 50_000 : 1_000_000)),
      plateauRequests: Number(args.plateau ?? (args.quick ? 10_000 : 200_000)),
      connections: levels[0]!,
      paths: memoryPaths(args.paths),
    });
  } else if (args.attacks) {
    await runSubscriptionAttacks(idp, { frameBytes: 90 * 1024 * 1024, subscriptions: 20_000, idleSockets: 1_000, watchMs: args.quick ? 3_000 : 8_000 });
  } else {
    installPeers();
    await runComparison(idp, key, mint);
  }
} catch (error) {
  console.error(`Bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await idp.close();
}
