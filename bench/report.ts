import type { Contender } from './contenders.js';
import type { Measurement } from './load.js';

/** What the bench learnt about one contender. */
export interface ContenderResult {
  contender: Contender;
  rounds: Measurement[];
  /** Server CPU time per request over all rounds, in µs; undefined where it cannot be read. */
  cpuMicrosPerRequest: number | undefined;
  /** The rounds at the fixed rate. */
  fixedRate: Measurement[];
}

export interface Summary {
  label: string;
  key: Contender['key'];
  median: number;
  min: number;
  max: number;
  p50: number;
  p99: number;
  cpuMicrosPerRequest: number | undefined;
  fixedRateP99: number | undefined;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function summarize({ contender, rounds, cpuMicrosPerRequest, fixedRate }: ContenderResult): Summary {
  const rates = rounds.map((r) => r.requestsPerSecond);
  return {
    label: contender.label,
    key: contender.key,
    median: median(rates),
    min: Math.min(...rates),
    max: Math.max(...rates),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    cpuMicrosPerRequest,
    fixedRateP99: fixedRate.length ? median(fixedRate.map((r) => r.p99)) : undefined,
  };
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
/** autocannon records latency in whole milliseconds. */
const ms = (n: number | undefined) => (n === undefined ? 'n/a' : n < 1 ? '< 1' : String(Math.round(n)));

/** The results table, in Markdown, which reads well in a terminal too. */
export function table(summaries: readonly Summary[], fixedRate: number): string {
  const peer = summaries.find((s) => s.key === 'peer');
  const lines = [
    `| contender | req/s (median) | range | p50 ms | p99 ms | µs/req (1/throughput) | server CPU µs/req | p99 ms at ${int(fixedRate)} req/s | × peer |`,
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...summaries.map(
      (s) =>
        `| ${[
        s.label,
        int(s.median),
        `${int(s.min)}–${int(s.max)}`,
        ms(s.p50),
        ms(s.p99),
        (1e6 / s.median).toFixed(0),
        s.cpuMicrosPerRequest === undefined ? 'n/a' : s.cpuMicrosPerRequest.toFixed(0),
        ms(s.fixedRateP99),
        peer ? `${(s.median / peer.median).toFixed(2)}×` : 'n/a',
        ].join(' | ')} |`,
    ),
  ];
  return lines.join('\n');
}

export interface Target {
  name: string;
  value: number | undefined;
  goal: string;
  met: boolean | undefined;
}

/** The issue's targets, as ratios of figures from this very run. */
export function targets(summaries: readonly Summary[]): Target[] {
  const by = (key: Summary['key']) => summaries.find((s) => s.key === key);
  const [admin, peer, anonymous] = [by('admin'), by('peer'), by('public')];
  const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a / b);
  const check = (name: string, value: number | undefined, goal: string, ok: (v: number) => boolean): Target => ({
    name,
    value,
    goal,
    met: value === undefined ? undefined : ok(value),
  });
  return [
    check('GraphQL adminMessage req/s ÷ peer req/s', ratio(admin?.median, peer?.median), '≥ 1.50', (v) => v >= 1.5),
    check('GraphQL adminMessage req/s ÷ anonymous publicMessage req/s', ratio(admin?.median, anonymous?.median), '≥ 0.90', (v) => v >= 0.9),
    check('GraphQL adminMessage p99 ÷ peer p99, at the fixed rate', ratio(admin?.fixedRateP99, peer?.fixedRateP99), '≤ 1.00', (v) => v <= 1),
  ];
}

export function targetLines(list: readonly Target[]): string[] {
  return list.map(
    (t) => `- ${t.name}: **${t.value === undefined ? 'n/a' : t.value.toFixed(2)}** (target ${t.goal}): ${t.met === undefined ? 'not measured' : t.met ? 'met' : 'MISSED'}`,
  );
}

/** Other ratios worth reading next to the targets. */
export function otherRatios(summaries: readonly Summary[]): string[] {
  const by = (key: Summary['key']) => summaries.find((s) => s.key === key);
  const pairs: Array<[Summary['key'], Summary['key'], string]> = [
    ['admin', 'admin-uncached', 'token cache on ÷ off (GraphQL adminMessage)'],
    ['admin-uncached', 'peer', 'GraphQL adminMessage without the token cache ÷ peer'],
    ['rest', 'peer', 'this project’s REST mirror ÷ peer'],
    ['peer', 'floor', 'peer ÷ floor'],
    ['admin', 'floor', 'GraphQL adminMessage ÷ floor'],
  ];
  return pairs.flatMap(([a, b, name]) => {
    const [x, y] = [by(a), by(b)];
    return x && y ? [`- ${name}: ${(x.median / y.median).toFixed(2)}`] : [];
  });
}
