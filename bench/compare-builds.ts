/**
 * `npm run bench:compare -- before=dist-before/main.js after=dist/main.js nocache=dist/main.js:TOKEN_CACHE_SIZE=0`
 *
 * Measures one change: each `label=entry[:VAR=value...]` is a build of this project (and its
 * settings) in its own process; interleaved rounds load each with `{ adminMessage }` and an admin
 * token, then `{ publicMessage }` without one. Server CPU time per request is printed next to
 * req/s because it moves less when other work shares the machine.
 */
import { parseArgs } from 'node:util';
import { KeySetServer } from '../test/helpers/key-set-server.js';
import { adminToken, graphqlQuery, projectEnv } from './contenders.js';
import { load } from './load.js';
import { startProject, type ServerProcess } from './processes.js';
import { median } from './report.js';
import { cpuSeconds } from './system.js';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '5' }, duration: { type: 'string', default: '5' }, connections: { type: 'string', default: '10' } },
});
if (positionals.length === 0) throw new Error('name at least one build: label=path/to/main.js[:VAR=value...]');
const [rounds, duration, connections] = [Number(args.rounds), Number(args.duration), Number(args.connections)];

const idp = await KeySetServer.start();
const builds: Array<{ label: string; server: ServerProcess }> = [];
try {
  const token = await adminToken(idp, await idp.publish('bench-key-1'));
  for (const spec of positionals) {
    const [label, rest = ''] = spec.split(/=(.*)/s);
    const [entry, ...settings] = rest.split(':');
    const env = projectEnv(idp.issuer, Object.fromEntries(settings.map((s) => s.split(/=(.*)/s).slice(0, 2))));
    builds.push({ label: label!, server: await startProject(env, [], entry) });
  }
  const fields = [['adminMessage', token], ['publicMessage', undefined]] as const;
  const results = new Map<string, Array<{ rate: number; cpu: number }>>(
    builds.flatMap(({ label }) => fields.map(([field]) => [`${label} ${field}`, []])),
  );
  // Round 0 is the warm-up and is not counted.
  for (let round = 0; round <= rounds; round++) {
    const order = builds.map((_, i) => builds[(i + round) % builds.length]!);
    for (const { label, server } of order) {
      for (const [field, bearer] of fields) {
        const before = cpuSeconds(server.pid) ?? Number.NaN;
        const result = await load(graphqlQuery(server.url, field, bearer), { connections, duration: round === 0 ? 2 : duration });
        const cpu = (((cpuSeconds(server.pid) ?? Number.NaN) - before) / result.requests) * 1e6;
        if (round > 0) results.get(`${label} ${field}`)!.push({ rate: result.requestsPerSecond, cpu });
      }
    }
  }
  for (const [name, list] of results) {
    const rates = list.map((r) => r.rate);
    console.log(
      `${name.padEnd(36)} ${Math.round(median(rates)).toString().padStart(6)} req/s (${Math.round(Math.min(...rates))}–${Math.round(Math.max(...rates))})` +
        `  server CPU ${median(list.map((r) => r.cpu)).toFixed(0)} µs/req`,
    );
  }
} finally {
  await Promise.all(builds.map(({ server }) => server.stop()));
  await idp.close();
}
