import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AuthzDecision, CredentialsRejection, DpopProofResult, Telemetry } from './hooks.js';

/** The label values a caller's method can become; anything else is `_OTHER`, as OpenTelemetry's HTTP conventions spell it. */
const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

/**
 * Close codes a WebSocket can end with that mean something here: RFC 6455's and graphql-ws's.
 * A client may close with any code from 3000 to 4999, so the rest are counted as `other`.
 */
const CLOSE_CODES: ReadonlySet<number> = new Set([
  1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 1015,
  4400, 4401, 4403, 4406, 4408, 4409, 4429, 4499, 4500,
]);

const DECISIONS: readonly AuthzDecision[] = ['granted', 'unauthenticated', 'forbidden'];
/** The refusal reasons of the project's own; jose's codes get their series when first seen. */
const OWN_REJECTIONS: readonly CredentialsRejection[] = [
  'malformed',
  'misplaced',
  'key_set_unavailable',
  'dpop_binding',
  'invalid_dpop_proof',
  'use_dpop_nonce',
  'replay_store_unavailable',
];
const DPOP_RESULTS: readonly DpopProofResult[] = ['valid', 'replayed', 'invalid', 'store_unavailable'];

/** OpenTelemetry's HTTP server buckets, with two below 5 ms: most answers here take well under one. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

export type MetricsHooks = Omit<Telemetry, 'span'>;

/** Where a timed response keeps its start and route until it closes. */
const TIMED = Symbol('metrics: answer timing');
type TimedResponse = ServerResponse & { [TIMED]?: { started: number; method: string; route: string } };

/**
 * One series of a counter bumped on every request (token cache lookups, guarded field decisions),
 * counted as a plain number and handed to prom-client when scraped: its `inc` hashes the label
 * values on every call, which cost more than the rest of the count.
 */
class Tally {
  #count = 0;
  #published = 0;

  constructor(readonly labels: Partial<Record<string, string>>) {}

  readonly add = (): void => {
    this.#count++;
  };

  publish(counter: Counter): void {
    counter.inc(this.labels, this.#count - this.#published);
    this.#published = this.#count;
  }
}

/** A counter whose series are `Tally`s, published before each scrape; `tally` adds a series, at zero. */
function talliedCounter(options: { name: string; help: string; labelNames: string[]; registers: Registry[] }) {
  const tallies: Tally[] = [];
  new Counter({
    ...options,
    collect() {
      for (const tally of tallies) tally.publish(this);
    },
  });
  return {
    tally(labels: Partial<Record<string, string>>): () => void {
      const tally = new Tally(labels);
      tallies.push(tally);
      return tally.add;
    },
  };
}

export interface Metrics {
  hooks: MetricsHooks;
  /** Times `res`'s answer, recorded when it closes; `route` comes from the route table or is `unmatched`. */
  timeAnswer(req: IncomingMessage, res: ServerResponse, route: string): void;
  /** `GET /metrics` in Prometheus's text format; every other path is 404. */
  handler(req: IncomingMessage, res: ServerResponse): void;
}

/**
 * One registry per app, so that two apps in one process (tests) count apart. Series of the small
 * fixed label sets start at zero, so that `increase()` sees their first event and an alert rule
 * can tell "none" from "never reported".
 */
export function createMetrics({ now = () => Date.now() }: { now?: () => number } = {}): Metrics {
  const registers = [new Registry()];
  const [registry] = registers as [Registry];
  collectDefaultMetrics({ register: registry });

  const duration = new Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, matched route and status code.',
    labelNames: ['method', 'route', 'status_code'],
    buckets: DURATION_BUCKETS,
    registers,
  });
  const decisions = talliedCounter({
    name: 'authz_decisions_total',
    help: 'Guarded field resolutions (and reject-mode refusals), by schema coordinate and decision.',
    labelNames: ['coordinate', 'decision'],
    registers,
  });
  const policies = new Counter({ name: 'authz_policy_evaluations_total', help: 'Policy evaluations by policy and result.', labelNames: ['policy', 'result'], registers });
  const rejected = new Counter({ name: 'auth_credentials_rejected_total', help: 'Requests whose credentials were refused, by reason.', labelNames: ['reason'], registers });
  const cache = talliedCounter({ name: 'auth_token_cache_lookups_total', help: 'Verified-token cache lookups, by result.', labelNames: ['result'], registers });
  // `issuer` is one of the configured issuers: bounded by the configuration, never by a token.
  const fetches = new Counter({ name: 'auth_jwks_fetches_total', help: 'Key-set fetches, by issuer and result.', labelNames: ['issuer', 'result'], registers });
  const keys = new Gauge({ name: 'auth_jwks_keys', help: 'Keys in the last key set fetched, by issuer.', labelNames: ['issuer'], registers });
  const startedAt = now();
  const fetchedAt = new Map<string, number | undefined>();
  new Gauge({
    name: 'auth_jwks_age_seconds',
    help: "Seconds since each issuer's key set was last fetched successfully (since start, while it never was).",
    labelNames: ['issuer'],
    registers,
    collect() {
      for (const [issuer, at] of fetchedAt) this.set({ issuer }, (now() - (at ?? startedAt)) / 1000);
    },
  });
  const proofs = new Counter({ name: 'auth_dpop_proofs_total', help: 'DPoP proofs checked, by result.', labelNames: ['result'], registers });
  const sockets = new Gauge({ name: 'graphql_ws_connections', help: 'WebSocket connections open now.', registers });
  const subscriptions = new Gauge({ name: 'graphql_subscriptions', help: 'Subscriptions running now.', registers });
  const limited = new Counter({ name: 'rate_limited_requests_total', help: 'Requests refused over their quota, by policy.', labelNames: ['policy'], registers });
  const storeFailures = new Counter({
    name: 'rate_limit_store_failures_total',
    help: 'Rate-limit charges Redis could not count, by RATE_LIMIT_ON_STORE_FAILURE mode.',
    labelNames: ['mode'],
    registers,
  });
  const closes = new Counter({ name: 'graphql_ws_closes_total', help: 'WebSocket connections closed, by close code.', labelNames: ['code'], registers });

  for (const reason of OWN_REJECTIONS) rejected.inc({ reason }, 0);
  for (const result of DPOP_RESULTS) proofs.inc({ result }, 0);
  for (const policy of ['authenticated', 'anonymous']) limited.inc({ policy }, 0);
  const [cacheHit, cacheMiss] = [cache.tally({ result: 'hit' }), cache.tally({ result: 'miss' })];
  const decisionCounters = new Map<string, (decision: AuthzDecision) => void>();
  const requestSeries = new Map<string, Histogram.Internal<'method' | 'route' | 'status_code'>>();

  // One listener for every response (`this` is the response), rather than a closure per request.
  function recordAnswer(this: TimedResponse): void {
    const { started, method, route } = this[TIMED]!;
    const key = `${method} ${route} ${this.statusCode}`;
    let series = requestSeries.get(key);
    if (!series) {
      series = duration.labels(method, route, String(this.statusCode));
      requestSeries.set(key, series);
    }
    series.observe((performance.now() - started) / 1000);
  }

  const hooks: MetricsHooks = {
    authzDecisions(coordinate) {
      let count = decisionCounters.get(coordinate);
      if (!count) {
        const tallies = Object.fromEntries(DECISIONS.map((decision) => [decision, decisions.tally({ coordinate, decision })]));
        count = (decision) => tallies[decision]!();
        decisionCounters.set(coordinate, count);
      }
      return count;
    },
    policyEvaluation: (policy, result) => policies.labels(policy, result).inc(),
    credentialsRejected: (reason) => rejected.labels(reason).inc(),
    tokenCacheLookup: (hit) => (hit ? cacheHit : cacheMiss)(),
    keySetFetch(issuer, result, count) {
      if (!fetchedAt.has(issuer)) {
        fetchedAt.set(issuer, undefined);
        for (const other of ['success', 'failure']) fetches.inc({ issuer, result: other }, 0);
      }
      fetches.labels(issuer, result).inc();
      if (result !== 'success') return;
      fetchedAt.set(issuer, now());
      keys.set({ issuer }, count ?? 0);
    },
    dpopProof: (result) => proofs.labels(result).inc(),
    wsConnection(delta, closeCode) {
      sockets.inc(delta);
      if (closeCode !== undefined) closes.labels(CLOSE_CODES.has(closeCode) ? String(closeCode) : 'other').inc();
    },
    subscription: (delta) => subscriptions.inc(delta),
    rateLimited: (policy) => limited.labels(policy).inc(),
    rateLimitStoreFailure: (mode) => storeFailures.labels(mode).inc(),
  };

  return {
    hooks,
    timeAnswer(req, res, route) {
      const method = req.method !== undefined && METHODS.has(req.method) ? req.method : '_OTHER';
      (res as TimedResponse)[TIMED] = { started: performance.now(), method, route };
      res.on('close', recordAnswer);
    },
    handler(req, res) {
      if (req.url?.split('?')[0] !== '/metrics') return void res.writeHead(404).end();
      if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD' }).end();
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    },
  };
}
