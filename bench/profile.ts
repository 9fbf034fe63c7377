/**
 * `npm run bench:profile -- [--field adminMessage|publicMessage] [--duration 10] [--top 25]`:
 * runs this project under `node --cpu-prof`, loads one GraphQL query, and prints where the
 * server's CPU time went, by function (self time) and by package. The .cpuprofile stays in
 * bench/profiles/ for Chrome DevTools.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KeySetServer } from '../test/helpers/key-set-server.js';
import { adminToken, graphqlQuery, projectEnv } from './contenders.js';
import { load } from './load.js';
import { ROOT, startProject } from './processes.js';

const { values: args } = parseArgs({
  options: {
    field: { type: 'string', default: 'adminMessage' },
    duration: { type: 'string', default: '10' },
    top: { type: 'string', default: '25' },
  },
});
const field = args.field === 'publicMessage' ? 'publicMessage' : 'adminMessage';
// A directory per run, so the profile to read is the only one in it.
const dir = join(ROOT, 'bench/profiles', new Date().toISOString().replace(/[:.]/g, '-'));
mkdirSync(dir, { recursive: true });

const idp = await KeySetServer.start();
try {
  const key = await idp.publish('bench-key-1');
  const token = field === 'adminMessage' ? await adminToken(idp, key) : undefined;
  const project = await startProject(projectEnv(idp.issuer), ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  try {
    const result = await load(graphqlQuery(project.url, field, token), { connections: 10, duration: Number(args.duration) });
    console.log(`${field}: ${Math.round(result.requestsPerSecond)} req/s, p99 ${result.p99} ms`);
  } finally {
    await project.stop();
  }
} finally {
  await idp.close();
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const name = readdirSync(dir).find((entry) => entry.endsWith('.cpuprofile'));
if (!name) throw new Error(`the server wrote no .cpuprofile to ${dir}`);
const file = join(dir, name);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const micros = profile.timeDeltas[i] ?? 0;
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const where = url.replace(/^file:\/\//, '').replace(ROOT, '');
  add(byFunction, `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`, micros);
  add(byPackage, packageOf(where, functionName), micros);
  total += micros;
});
console.log(`Profile: ${file}`);
print('Self time by package', byPackage, 15);
print('Self time by function', byFunction, Number(args.top));

function packageOf(where: string, functionName: string): string {
  if (where === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (where.startsWith('node:')) return 'node core';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where);
  return match ? match[1]! : where.startsWith('dist/') ? 'this project' : where;
}

function add(map: Map<string, number>, key: string, micros: number): void {
  map.set(key, (map.get(key) ?? 0) + micros);
}

function print(title: string, map: Map<string, number>, top: number): void {
  console.log(`\n${title} (of ${(total / 1000).toFixed(0)} ms):`);
  for (const [name, micros] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((micros / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
  }
}
