/**
 * `npm run bench`: this project against a bare floor and Express + express-oauth2-jwt-bearer, each
 * server in its own process, interleaved rounds after a warm-up. Prints the table and writes it,
 * with a chart, to bench/results.md. `--quick` for a short try that writes nothing; `--memory`
 * for the bounded-memory check instead (see memory.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KeySetServer, type SigningKey } from '../test/helpers/key-set-server.js';
import { barChartSvg } from './chart.js';
import { adminToken, contenders, probe, startServers, type Contender } from './contenders.js';
import { load } from './load.js';
import { runMemoryCheck } from './memory.js';
import { ROOT } from './processes.js';
import { describeSystem, cpuSeconds } from './system.js';
import { median, otherRatios, summarize, table, targetLines, targets, type ContenderResult } from './report.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    memory: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string', default: '10' },
    tokens: { type: 'string' },
    requests: { type: 'string' },
    'warmup-requests': { type: 'string' },
  },
});
const number = (value: string | undefined, fallback: number) => (value === undefined ? fallback : Number(value));
const connections = number(args.connections, 10);
/** The fixed-rate run loads each contender at this share of the peer's median throughput. */
const FIXED_RATE_SHARE = 0.6;

async function runComparison(idp: KeySetServer, key: SigningKey): Promise<void> {
  const rounds = number(args.rounds, 3);
  const duration = number(args.duration, args.quick ? 2 : 10);
  const warmup = number(args.warmup, args.quick ? 1 : 5);
  if (rounds < 3) throw new Error('--rounds must be at least 3: a median of fewer says little');

  const token = await adminToken(idp, key);
  const servers = await startServers(idp.issuer);
  try {
    const list = contenders(servers, token);
    for (const { label, target } of list) {
      const wrong = await probe(target);
      if (wrong) throw new Error(`${label}: ${target.method} ${target.url} answered ${wrong}`);
    }
    console.log(`Warm-up: ${warmup} s per contender`);
    for (const { target } of list) await load(target, { connections, duration: warmup });

    const saturated = await interleaved(list, rounds, async (contender, round) => {
      const { pid } = contender.server;
      const before = cpuSeconds(pid);
      const result = await load(contender.target, { connections, duration });
      const after = cpuSeconds(pid);
      console.log(`round ${round + 1}/${rounds}  ${contender.label.padEnd(48)} ${Math.round(result.requestsPerSecond).toString().padStart(6)} req/s  p99 ${result.p99} ms`);
      return { result, cpu: before === undefined || after === undefined ? Number.NaN : after - before };
    });

    const peerRuns = saturated.get(list.find((c) => c.key === 'peer')!)!;
    const fixedRate = Math.round(median(peerRuns.map((r) => r.result.requestsPerSecond)) * FIXED_RATE_SHARE);
    console.log(`Fixed rate: ${fixedRate} req/s (${FIXED_RATE_SHARE * 100}% of the peer's median), ${rounds} interleaved rounds of ${duration} s`);
    const fixed = await interleaved(list, rounds, async (contender, round) => {
      const result = await load(contender.target, { connections, duration, overallRate: fixedRate });
      console.log(`fixed rate, round ${round + 1}/${rounds}  ${contender.label.padEnd(48)} p50 ${result.p50} ms  p99 ${result.p99} ms`);
      return result;
    });

    const results: ContenderResult[] = list.map((contender) => {
      const runs = saturated.get(contender)!;
      const cpu = runs.reduce((sum, r) => sum + r.cpu, 0);
      const requests = runs.reduce((sum, r) => sum + r.result.requests, 0);
      return {
        contender,
        rounds: runs.map((r) => r.result),
        cpuMicrosPerRequest: Number.isNaN(cpu) ? undefined : (cpu / requests) * 1e6,
        fixedRate: fixed.get(contender)!,
      };
    });
    report(results.map(summarize), fixedRate, { rounds, duration, warmup });
  } finally {
    await servers.stop();
  }
}

/** Runs `measure` on every contender `rounds` times; each round starts with a different one, so none always runs first or last. */
async function interleaved<T>(list: readonly Contender[], rounds: number, measure: (contender: Contender, round: number) => Promise<T>): Promise<Map<Contender, T[]>> {
  const results = new Map(list.map((contender) => [contender, [] as T[]]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < list.length; i++) {
      const contender = list[(i + round) % list.length]!;
      results.get(contender)!.push(await measure(contender, round));
    }
  }
  return results;
}

function report(
  summaries: ReturnType<typeof summarize>[],
  fixedRate: number,
  settings: { rounds: number; duration: number; warmup: number },
): void {
  const command = `npm run bench${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const text = [
    ...describeSystem().map((line) => `- ${line}`),
    `- Settings: ${settings.rounds} interleaved rounds of ${settings.duration} s per contender after ${settings.warmup} s of warm-up each, ${connections} connections, every response body checked; then the same rounds at a fixed rate of ${fixedRate} req/s (${FIXED_RATE_SHARE * 100}% of the peer's median); latencies are medians over rounds.`,
    '',
    table(summaries, fixedRate),
    '',
    'Targets:',
    '',
    ...targetLines(targets(summaries)),
    '',
    'Other ratios:',
    '',
    ...otherRatios(summaries),
  ].join('\n');
  console.log(`\n${text}\n`);
  if (args.quick) {
    console.log('Quick mode: bench/results.md left as it was.');
    return;
  }
  const svg = barChartSvg(summaries, fixedRate);
  writeFileSync(join(ROOT, 'bench/results.svg'), `${svg}\n`);
  writeFileSync(
    join(ROOT, 'bench/results.md'),
    `# Benchmark results\n\nWritten by \`${command}\` on ${new Date().toISOString()}. The machine may have been busy with other work; compare ratios within one run rather than figures across runs.\n\n${text}\n\n${svg}\n`,
  );
  console.log('Wrote bench/results.md and bench/results.svg');
}

const idp = await KeySetServer.start();
try {
  const key = await idp.publish('bench-key-1');
  if (args.memory) {
    await runMemoryCheck(idp, (sub) => adminToken(idp, key, sub), {
      tokens: number(args.tokens, args.quick ? 5_000 : 100_000),
      requests: number(args.requests, args.quick ? 50_000 : 1_000_000),
      warmupRequests: number(args['warmup-requests'], args.quick ? 5_000 : 10_000),
      connections,
    });
  } else {
    await runComparison(idp, key);
  }
} catch (error) {
  console.error(`Bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await idp.close();
}
