/**
 * `node --import tsx bench/cost-by-package.ts`: what each feature on the request path costs
 * `adminMessage`, split by the code that spends it. On this 2-core VM the speed of the machine
 * moves from one run to the next by more than these features cost, so a difference in req/s or in
 * CPU per request cannot tell them apart; a profile can. Each variant (plain, `RATE_LIMIT` never
 * reached, metrics on, metrics with traces at 1 %, configured as in `npm run bench`) runs alone
 * under `node --cpu-prof`, loaded at `--connections` (100) for 3 s of warm-up and `--seconds` (8)
 * measured. Only samples inside the measured window count, and their time is divided by its
 * requests: µs per request, by package (a library, a folder of `src/`, a Node.js module).
 *
 * A feature's own code (its `src/` folder and its library) is what it costs. Code that no feature
 * touches (`writev`, Apollo Server) shows how much faster or slower the machine ran that variant.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
    seconds: { type: 'string', default: '8' },
    connections: { type: 'string', default: '100' },
  },
});
const connections = Number(args.connections);

/** The part of a V8 CPU profile read here. */
interface Profile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string } }>;
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A frame's package: a library, a folder of the build (as `src/…`), a Node.js module, or V8's own entries (GC, idle). */
function packageOf({ url, functionName }: { url: string; functionName: string }): string {
  const library = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (library) return library[1]!;
  const own = /\/dist\/([^/]+)\//.exec(url);
  if (own) return `src/${own[1]!}`;
  return url || functionName;
}

/** µs of samples per package, between `from` and `to` (µs on the monotonic clock the profile uses). */
function timeByPackage(profile: Profile, from: number, to: number): Map<string, number> {
  const packages = new Map(profile.nodes.map((node) => [node.id, packageOf(node.callFrame)]));
  const spent = new Map<string, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at < from || at > to) return;
    const name = packages.get(id)!;
    spent.set(name, (spent.get(name) ?? 0) + delta);
  });
  return spent;
}

const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);

const idp = await KeySetServer.start();
const receiver = await startOtlpReceiver({ keep: false });
const token = await adminToken(idp, await idp.publish('cost-by-package'));
/** The packages (by prefix) that are each variant's own code. */
const OWN_CODE: Record<string, string[]> = {
  RATE_LIMIT: ['src/limits', 'rate-limiter-flexible'],
  metrics: ['src/observability', 'prom-client'],
  'metrics + traces 1 %': ['src/observability', 'prom-client', '@opentelemetry/'],
};
const variants = (await featureVariants(receiver.endpoint)).map((variant) => ({ ...variant, own: OWN_CODE[variant.name] ?? [] }));

const results: Array<{ name: string; own: string[]; perRequest: Map<string, number> }> = [];
for (const variant of variants) {
  const dir = mkdtempSync(join(tmpdir(), 'cost-by-package-'));
  const server = await startProject(projectEnv(idp.issuer, variant.env), ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  const target = graphqlQuery(server.url, 'adminMessage', token);
  await load(target, { connections, duration: 3 });
  const from = monotonicMicros();
  const { requests, requestsPerSecond } = await load(target, { connections, duration: Number(args.seconds) });
  const to = monotonicMicros();
  await server.stop();
  const [file] = readdirSync(dir);
  const spent = timeByPackage(JSON.parse(readFileSync(join(dir, file!), 'utf8')) as Profile, from, to);
  rmSync(dir, { recursive: true });
  results.push({ name: variant.name, own: variant.own, perRequest: new Map([...spent].map(([name, micros]) => [name, micros / requests])) });
  console.log(`${variant.name}: ${requestsPerSecond.toFixed(0)} req/s, ${requests} requests profiled`);
}
await receiver.close();
await idp.close();

const cell = (micros: number) => micros.toFixed(1).padStart(22);
const row = (label: string, values: number[]) => console.log(`${label.padEnd(40)}${values.map(cell).join('')}`);
const sum = (perRequest: Map<string, number>, names: (name: string) => boolean) => [...perRequest].filter(([name]) => names(name)).reduce((total, [, micros]) => total + micros, 0);
console.log(`\nµs per request, ${connections} connections\n${''.padEnd(40)}${results.map((r) => r.name.padStart(22)).join('')}`);
row('busy (all but idle)', results.map((r) => sum(r.perRequest, (name) => name !== '(idle)')));
row("the feature's own code", results.map((r) => sum(r.perRequest, (name) => r.own.some((prefix) => name.startsWith(prefix)))));
for (const name of ['writev', '@apollo/server', '(garbage collector)']) row(`for scale: ${name}`, results.map((r) => r.perRequest.get(name) ?? 0));
process.exit(0);
