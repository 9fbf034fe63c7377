import autocannon from 'autocannon';

/** One kind of request and the exact body every answer to it must have. */
export interface Target {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** The exact response body; a trailing newline is tolerated, nothing else. */
  expected: string;
  /**
   * Headers that change per request: before each run `load` asks for enough sets for it
   * (`preparedCount`), then adds the next one to each request, round-robin (fewer are reused).
   */
  perRequestHeaders?: (count: number) => Promise<readonly Record<string, string>[]>;
}

export interface LoadOptions {
  connections: number;
  /** Seconds to run; ignored when `amount` is given. */
  duration?: number;
  /** Requests to send in all. */
  amount?: number;
  /** Requests per second across all connections; unset means as fast as the server answers. */
  overallRate?: number;
  /** The rate this target answered at when last measured, which sizes its per-request headers. */
  expectedRate?: number;
}

export interface Measurement {
  requestsPerSecond: number;
  /** Latency percentiles in milliseconds. */
  p50: number;
  p99: number;
  requests: number;
}

const DEFAULT_DURATION_S = 10;

/** A run in which some answer was an error, not 2xx, or not the expected body. */
export class BenchFailure extends Error {
  override readonly name = 'BenchFailure';
}

/**
 * Loads one target with autocannon and checks every answer: a single connection error, timeout,
 * non-2xx status or unexpected body fails the whole run, since a fast wrong answer proves nothing.
 */
export async function load(target: Target, options: LoadOptions): Promise<Measurement> {
  const perRequest = await target.perRequestHeaders?.(preparedCount(options));
  let badBody: string | undefined;
  const verifyBody = (body: string | Buffer | undefined) => {
    const text = String(body);
    const ok = text === target.expected || text === `${target.expected}\n`;
    if (!ok) badBody ??= text;
    return ok;
  };
  const result = await autocannon({
    url: target.url,
    method: target.method,
    headers: target.headers,
    body: target.body,
    connections: options.connections,
    duration: options.duration ?? DEFAULT_DURATION_S,
    amount: options.amount,
    overallRate: options.overallRate,
    // At a fixed rate autocannon sends each connection's share of a second back to back, then
    // waits for the next second; its coordinated-omission correction assumes evenly spaced
    // requests (1 / rate apart) and so would add made-up samples to every response of a burst.
    ignoreCoordinatedOmission: options.overallRate !== undefined,
    verifyBody,
    requests: perRequest ? [{ setupRequest: rotating(perRequest) }] : undefined,
  });
  const failures = { errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, mismatches: result.mismatches };
  if (Object.values(failures).some((n) => n > 0) || result.requests.total === 0) {
    throw new BenchFailure(
      `${target.method} ${target.url} failed: ${JSON.stringify(failures)} of ${result.requests.total} requests` +
        (badBody === undefined ? '' : `; first unexpected body: ${badBody.slice(0, 300)}`) +
        (perRequest ? `; ${perRequest.length} per-request header sets were prepared` : ''),
    );
  }
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
  };
}

/** Per-request headers are prepared for at most this many requests per second. */
const MAX_PREPARED_RATE = 10_000;
/**
 * And for at least this many: on a busy machine a short warm-up can measure a rate that a later
 * run more than doubles, and a run that outgrows its headers replays them.
 */
const MIN_PREPARED = 2_000;

/**
 * Enough per-request headers for a run: twice its fixed or expected rate (the cap when neither is
 * known) over its duration, at least `MIN_PREPARED`, plus the request each connection builds before it starts.
 */
function preparedCount({ amount, duration = DEFAULT_DURATION_S, overallRate, expectedRate, connections }: LoadOptions): number {
  if (amount !== undefined) return amount + connections;
  const rate = Math.min(2 * (overallRate ?? expectedRate ?? MAX_PREPARED_RATE), MAX_PREPARED_RATE);
  return Math.max(Math.ceil(rate * duration), MIN_PREPARED) + connections;
}

function rotating(headerSets: readonly Record<string, string>[]): autocannon.Request['setupRequest'] {
  let next = 0;
  return (request) => ({ ...request, headers: { ...request.headers, ...headerSets[next++ % headerSets.length] } });
}
