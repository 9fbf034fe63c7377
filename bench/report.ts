import type { Contender, ContenderKey } from './contenders.js';
import type { CryptoFloors } from './crypto-floor.js';
import type { Measurement } from './load.js';

/** What the bench learnt about one contender, over every round. */
export interface Summary {
  key: ContenderKey;
  label: string;
  peer: Contender['peer'];
  median: number;
  min: number;
  max: number;
  p99: number;
  /** Server CPU time per request over the saturated rounds, in µs; undefined where it cannot be read. */
  cpuMicros: number | undefined;
  fixedRateP99: number;
}

/** The median; for an even count, the mean of the middle two. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface Round {
  saturated: Measurement;
  cpuSeconds: number;
  fixed: Measurement;
}

export function summarize(contender: Contender, rounds: readonly Round[]): Summary {
  const rates = rounds.map((r) => r.saturated.requestsPerSecond);
  const requests = rounds.reduce((sum, r) => sum + r.saturated.requests, 0);
  const cpu = rounds.reduce((sum, r) => sum + r.cpuSeconds, 0);
  return {
    key: contender.key,
    label: contender.label,
    peer: contender.peer,
    median: median(rates),
    min: Math.min(...rates),
    max: Math.max(...rates),
    p99: median(rounds.map((r) => r.saturated.p99)),
    cpuMicros: Number.isNaN(cpu) ? undefined : (cpu / requests) * 1e6,
    fixedRateP99: median(rounds.map((r) => r.fixed.p99)),
  };
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
/** autocannon records latency in whole milliseconds. */
const ms = (n: number) => (n < 1 ? '< 1' : String(Math.round(n)));

/** The results table, in Markdown, which reads well in a terminal too. */
export function table(summaries: readonly Summary[], fixedRate: number): string {
  return [
    `| contender | req/s (median) | range | p99 ms | server CPU µs/req | p99 ms at ${int(fixedRate)} req/s |`,
    '|---|--:|--:|--:|--:|--:|',
    ...summaries.map((s) => `| ${[s.label, int(s.median), `${int(s.min)}–${int(s.max)}`, ms(s.p99), s.cpuMicros?.toFixed(0) ?? 'n/a', ms(s.fixedRateP99)].join(' | ')} |`),
  ].join('\n');
}

/** This project's throughput over each peer's, one row per way of calling this project. */
export function ratioTable(summaries: readonly Summary[]): string {
  const peers = summaries.filter((s) => s.peer);
  const ours = summaries.filter((s) => !s.peer && s.key !== 'floor');
  return [
    `| req/s ÷ | ${peers.map((p) => p.label.replace(/^.*peer: /, '')).join(' | ')} |`,
    `|---|${peers.map(() => '--:').join('|')}|`,
    ...ours.map((s) => `| ${s.label.replace('this project: ', '')} | ${peers.map((p) => `${(s.median / p.median).toFixed(2)}×`).join(' | ')} |`),
  ].join('\n');
}

const find = (summaries: readonly Summary[], key: ContenderKey) => summaries.find((s) => s.key === key)!;

/** Server CPU per request of `key` over the plain `adminMessage`'s, in µs: what the one difference between them costs. */
function cpuOverAdmin(summaries: readonly Summary[], key: ContenderKey): string {
  const [micros, admin] = [find(summaries, key).cpuMicros, find(summaries, 'admin').cpuMicros];
  return micros === undefined || admin === undefined ? 'n/a' : (micros - admin).toFixed(0);
}

/** What metrics, and metrics with traces at a 1 % sample, cost per request (each its own process, configured as in production). */
export function observabilityCostLine(summaries: readonly Summary[]): string {
  const [metrics, traced] = [cpuOverAdmin(summaries, 'admin-metrics'), cpuOverAdmin(summaries, 'admin-traced')];
  return `Observability: metrics cost **${metrics} µs** of server CPU per request, metrics with traces sampled at 1 % **${traced} µs**, over the plain \`adminMessage\`.`;
}

/**
 * What a proof check and a cold token verification cost per request, each the server CPU time of
 * a contender over the Bearer `adminMessage` one's in the same process setup, and as a multiple of
 * the raw `node:crypto` verification of the same input in the same run.
 */
export function signatureCostLines(summaries: readonly Summary[], floors: CryptoFloors): string[] {
  const admin = find(summaries, 'admin').cpuMicros;
  const over = (key: ContenderKey) => {
    const cpu = find(summaries, key).cpuMicros;
    return cpu === undefined || admin === undefined ? undefined : cpu - admin;
  };
  const [proof, cold] = [over('admin-dpop'), over('admin-uncached')];
  const figure = (micros: number | undefined, floor: number) =>
    micros === undefined ? 'n/a' : `**${micros.toFixed(0)} µs**, **${(micros / floor).toFixed(2)}×** the floor`;
  return [
    `- DPoP proof check (the DPoP-bound \`adminMessage\` minus the Bearer one): ${figure(proof, floors.es256Micros)} of a raw ES256 verification ` +
      `(${floors.es256Micros.toFixed(0)} µs) (target ≤ 2.50×): ${proof !== undefined && proof <= 2.5 * floors.es256Micros ? 'met' : 'MISSED'}`,
    `- Cold verification (\`TOKEN_CACHE_SIZE=0\` minus the Bearer \`adminMessage\`): ${figure(cold, floors.rs256Micros)} of a raw RS256 verification (${floors.rs256Micros.toFixed(0)} µs)`,
  ];
}

/** The issue's targets, each a comparison within this one run. */
export function targetLines(summaries: readonly Summary[]): string[] {
  const by = (key: ContenderKey) => find(summaries, key);
  const [admin, dpop, anonymous, rest, restPeer, mercurius, rateLimited, document] = [
    by('admin'),
    by('admin-dpop'),
    by('public'),
    by('rest'),
    by('rest-peer'),
    by('mercurius'),
    by('admin-rate-limited'),
    by('admin-document'),
  ];
  const graphqlPeers = summaries.filter((s) => s.peer === 'graphql');
  const fastest = graphqlPeers.reduce((a, b) => (a.median >= b.median ? a : b));
  const lowestPeerP99 = Math.min(...summaries.filter((s) => s.peer).map((s) => s.fixedRateP99));
  const line = (name: string, value: number, goal: string, met: boolean) => `- ${name}: **${value.toFixed(2)}** (target ${goal}): ${met ? 'met' : 'MISSED'}`;
  const anonymousShare = admin.median / anonymous.median;
  return [
    line(`adminMessage ÷ fastest GraphQL peer (${fastest.label.replace(/^.*peer: /, '')})`, admin.median / fastest.median, '≥ 1.50', admin.median >= 1.5 * fastest.median),
    line('DPoP-bound adminMessage ÷ mercurius (Bearer)', dpop.median / mercurius.median, '≥ 0.80', dpop.median >= 0.8 * mercurius.median),
    line('adminMessage ÷ REST peer', admin.median / restPeer.median, '≥ 2.00', admin.median >= 2 * restPeer.median),
    line('REST mirror ÷ REST peer', rest.median / restPeer.median, '≥ 2.00', rest.median >= 2 * restPeer.median),
    line('adminMessage ÷ anonymous publicMessage', anonymousShare, 'within 0.90–1.10', Math.abs(anonymousShare - 1) <= 0.1),
    line('adminMessage with a rate limit never reached ÷ adminMessage', rateLimited.median / admin.median, '≥ 0.95', rateLimited.median >= 0.95 * admin.median),
    line('adminMessage by documentId (enforce) ÷ free-form adminMessage', document.median / admin.median, '≥ 1.00', document.median >= admin.median),
    line('adminMessage p99 at the fixed rate ÷ the lowest peer p99', admin.fixedRateP99 / lowestPeerP99, '≤ 1.00', admin.fixedRateP99 <= lowestPeerP99),
    line('adminMessage with metrics ÷ without', by('admin-metrics').median / admin.median, '≥ 0.95', by('admin-metrics').median >= 0.95 * admin.median),
    line('adminMessage with metrics and 1 % traces ÷ without', by('admin-traced').median / admin.median, '≥ 0.90', by('admin-traced').median >= 0.9 * admin.median),
  ];
}
