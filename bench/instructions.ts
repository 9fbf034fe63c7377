/**
 * `node --import tsx bench/instructions.ts`: what each feature on the request path costs
 * `adminMessage`, in machine instructions per request, counted by valgrind's callgrind. On this
 * 2-core VM identical processes answer 0.92× to 1.05× of one another's rate, and their CPU time
 * moves with it; an instruction count does not move with the machine's load, so a cost of 2 % can
 * be seen. Each variant (`featureVariants`, configured as in `npm run bench`) runs under
 * `valgrind --tool=callgrind`, some 50 times slower. It answers `--warm` requests first, so that
 * V8 has optimised what it will, then the count runs over `--requests` more at `--connections`,
 * `--repeats` times, each in a fresh process.
 *
 * The count is split into V8's optimising compiler, the garbage collector, and the rest: the
 * requests' own work. The first two come in bursts (a major GC, a function optimised again), so
 * they differ from one process to the next; a feature that makes V8 throw optimised code away
 * shows there, run after run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KeySetServer } from '../support/key-set-server.js';
import { startOtlpReceiver } from '../support/otlp-receiver.js';
import { adminToken, featureVariants, graphqlQuery, projectEnv } from './contenders.js';
import { load } from './load.js';
import { startProject } from './processes.js';

const { values: args } = parseArgs({
  options: {
    warm: { type: 'string', default: '10000' },
    requests: { type: 'string', default: '4000' },
    connections: { type: 'string', default: '32' },
    repeats: { type: 'string', default: '2' },
  },
});
const [warm, requests, connections, repeats] = [args.warm, args.requests, args.connections, args.repeats].map(Number) as [number, number, number, number];

interface Count {
  total: number;
  compiler: number;
  gc: number;
  rest: number;
}

const COMPILER = /v8::internal::(compiler|maglev|turboshaft)::|v8::internal::(OptimizingCompileDispatcher|Compiler)::/;
const GC = /v8::internal::(heap::|Heap::|Scavenger|MarkCompact|MinorMarkSweep|MarkingVisitor|ConcurrentMarking|Sweeper|Evacuat|MemoryAllocator)/;

/** A callgrind file's instructions, by who spent them, from `callgrind_annotate`'s list of every function. */
function countOf(file: string): Count {
  const listing = execFileSync('callgrind_annotate', ['--threshold=100', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const count: Count = { total: 0, compiler: 0, gc: 0, rest: 0 };
  for (const line of listing.split('\n')) {
    const match = /^\s*([\d,]+) \([^)]*\)\s+(.*)$/.exec(line);
    if (!match) continue;
    const instructions = Number(match[1]!.replaceAll(',', ''));
    const where = match[2]!;
    if (where.startsWith('PROGRAM TOTALS')) count.total = instructions;
    else if (COMPILER.test(where)) count.compiler += instructions;
    else if (GC.test(where)) count.gc += instructions;
    else count.rest += instructions;
  }
  return count;
}

/** Counts the instructions of `requests` requests of a warmed-up process. */
async function measure(env: Record<string, string>, token: string, issuer: string): Promise<Count> {
  const dir = mkdtempSync(join(tmpdir(), 'instructions-'));
  const wrapper = ['valgrind', '--quiet', '--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${join(dir, 'callgrind.out')}`];
  const server = await startProject(projectEnv(issuer, env), [], wrapper);
  const control = (option: string) => execFileSync('callgrind_control', [option, String(server.pid)], { stdio: 'ignore' });
  try {
    const target = graphqlQuery(server.url, 'adminMessage', token);
    await load(target, { connections, amount: warm });
    control('--instr=on');
    await load(target, { connections, amount: requests });
    control('--instr=off');
    control('--dump');
  } finally {
    await server.stop();
  }
  // The dump holds the counted requests; a file written at exit holds nothing counted since.
  const counts = readdirSync(dir).map((file) => countOf(join(dir, file)));
  rmSync(dir, { recursive: true });
  return counts.reduce((a, b) => (b.total > a.total ? b : a));
}

const idp = await KeySetServer.start();
const receiver = await startOtlpReceiver({ keep: false });
const token = await adminToken(idp, await idp.publish('instructions'));
const results: Array<{ name: string; counts: Count[] }> = [];
for (const variant of await featureVariants(receiver.endpoint)) {
  const counts: Count[] = [];
  for (let i = 0; i < repeats; i += 1) counts.push(await measure(variant.env, token, idp.issuer));
  results.push({ name: variant.name, counts });
  console.log(`${variant.name}: ${counts.map((c) => (c.total / requests / 1000).toFixed(0)).join(', ')} k instructions per request`);
}
await receiver.close();
await idp.close();

const thousands = (n: number) => (n / requests / 1000).toFixed(1);
const plain = results[0]!.counts;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log(`\nthousand instructions per request, ${connections} connections, ${requests} requests after ${warm} (each process: total = compiler + GC + rest)`);
for (const { name, counts } of results) {
  const each = counts.map((c) => `${thousands(c.total)} = ${thousands(c.compiler)} + ${thousands(c.gc)} + ${thousands(c.rest)}`).join(' | ');
  const ratio = (key: keyof Count) => (median(counts.map((c) => c[key])) / median(plain.map((c) => c[key]))).toFixed(3);
  console.log(`${name.padEnd(22)} ${each}   ÷ plain: total ${ratio('total')}, rest ${ratio('rest')}`);
}
process.exit(0);
