import autocannon from 'autocannon';

/** One kind of request and the exact body every answer to it must have. */
export interface Target {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** The exact response body; a trailing newline is tolerated, nothing else. */
  expected: string;
  /** When given, each request carries the next of these as its bearer token, round-robin. */
  rotateTokens?: readonly string[];
}

export interface LoadOptions {
  connections: number;
  /** Seconds to run; ignored when `amount` is given. */
  duration?: number;
  /** Requests to send in all. */
  amount?: number;
  /** Requests per second across all connections; unset means as fast as the server answers. */
  overallRate?: number;
}

export interface Measurement {
  requestsPerSecond: number;
  /** Latency percentiles in milliseconds. */
  p50: number;
  p99: number;
  requests: number;
}

/** A run in which some answer was an error, not 2xx, or not the expected body. */
export class BenchFailure extends Error {
  override readonly name = 'BenchFailure';
}

/**
 * Loads one target with autocannon and checks every answer: a single connection error, timeout,
 * non-2xx status or unexpected body fails the whole run, since a fast wrong answer proves nothing.
 */
export async function load(target: Target, options: LoadOptions): Promise<Measurement> {
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
    duration: options.duration ?? 10,
    amount: options.amount,
    overallRate: options.overallRate,
    // At a fixed rate autocannon sends each connection's share of a second back to back, then
    // waits for the next second; its coordinated-omission correction assumes evenly spaced
    // requests (1 / rate apart) and so would add made-up samples to every response of a burst.
    ignoreCoordinatedOmission: options.overallRate !== undefined,
    verifyBody,
    requests: target.rotateTokens ? [{ setupRequest: rotating(target.rotateTokens) }] : undefined,
  });
  const failures = { errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, mismatches: result.mismatches };
  if (Object.values(failures).some((n) => n > 0) || result.requests.total === 0) {
    throw new BenchFailure(
      `${target.method} ${target.url} failed: ${JSON.stringify(failures)} of ${result.requests.total} requests` +
        (badBody === undefined ? '' : `; first unexpected body: ${badBody.slice(0, 300)}`),
    );
  }
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
  };
}

function rotating(tokens: readonly string[]): autocannon.Request['setupRequest'] {
  let next = 0;
  return (request) => {
    const token = tokens[next++ % tokens.length]!;
    return { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } };
  };
}
