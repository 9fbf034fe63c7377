/**
 * The shape of the validated configuration that `config.ts` builds from the environment and every
 * other module receives: what each setting means, in one place beside the parser.
 */
import type { DpopSettings } from './auth/dpop/dpop-settings.js';
import type { EmbeddedIssuers, IssuerConfig } from './issuers-config.js';
import type { TracingSettings } from './observability/tracing-settings.js';

export interface Config {
  /** `NODE_ENV`: `production` turns off the landing page, field suggestions and, by default, introspection. */
  mode: Mode;
  production: boolean;
  port: number;
  /** The one browser origin allowed by CORS. */
  clientOriginUrl: string;
  /**
   * The trusted issuers, from `AUTH_ISSUERS` or the single-issuer shorthand, or `embedded` when
   * none is configured outside production: `main` then starts development issuers and fills this in.
   */
  issuers: IssuerConfig[] | EmbeddedIssuers;
  /**
   * Whether schema introspection and `/schema.graphql` are served (tooling depends on them);
   * `per-caller` serves each caller only what its token could be granted.
   */
  introspection: Introspection;
  /** The manifest of the operations clients were built with, and whether others are refused or only logged. */
  trustedDocuments: TrustedDocumentsConfig | undefined;
  /** Limits on each connection, so slow or idle clients cannot hold the server's sockets. */
  http: HttpLimits;
  /** How many verified tokens are remembered for each issuer; 0 turns the cache off. */
  tokenCacheSize: number;
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  logLevel: string;
  /** True refuses to build a schema with a root field that has neither a rule nor an explicit `@public`. */
  denyByDefault: boolean;
  /** `filter` nulls each denied field; `reject` refuses an operation that selects one, before anything runs. */
  unauthorizedMode: 'filter' | 'reject';
  /**
   * WebSocket connections one process holds at most; more are refused at the handshake. They come
   * on top of `http.maxConnections`, so that sockets never take the connections HTTP needs.
   */
  subscriptionMaxConnections: number;
  /** Subscriptions one socket may run at once; a `subscribe` past it gets an error for its id. */
  subscriptionMaxPerConnection: number;
  /** A socket with no subscription running is closed after this long, in milliseconds. */
  subscriptionIdleTimeoutMs: number;
  /** The largest WebSocket message accepted, in bytes; a larger one closes the socket with 1009. */
  subscriptionMaxMessageBytes: number;
  /** DPoP (RFC 9449): proof rules, the public origins (`PUBLIC_URL`), `DPOP_REQUIRED` and `DPOP_NONCE`. */
  dpop: DpopSettings & { nonce: boolean };
  /** Where DPoP proofs and rate-limit counters are kept across replicas; unset keeps them in this process's memory. */
  redisUrl: URL | undefined;
  /** The Prometheus listener (`METRICS_PORT`, `METRICS_HOST`; no host: the API's own address); undefined opens none. */
  metrics: { port: number; host: string | undefined } | undefined;
  /** Traces, from the standard `OTEL_*` variables; undefined while no OTLP endpoint is set. */
  tracing: TracingSettings | undefined;
  /** Per-caller quotas, charged by query cost; see docs/operations.md. */
  rateLimits: RateLimitSettings;
}

/** `<points>/<seconds>`: at most `points` cost points in each window of `windowS` seconds. */
export interface Quota {
  points: number;
  windowS: number;
}

export interface RateLimitSettings {
  /** `RATE_LIMIT`: each token holder's quota (issuer and `sub`); undefined is no limit. */
  authenticated: Quota | undefined;
  /** `RATE_LIMIT_ANONYMOUS`: each client address's quota, for requests without a valid token. */
  anonymous: Quota | undefined;
  /** What happens while Redis cannot count: `open` counts in this process instead, `closed` refuses with 503. */
  onStoreFailure: 'open' | 'closed';
  /** `TRUSTED_PROXIES`, in proxy-addr's syntax: peers whose `X-Forwarded-For` names the client. */
  trustedProxies: string[];
}

export type Introspection = boolean | 'per-caller';

export interface TrustedDocumentsConfig {
  /** An Apollo persisted query manifest or GraphQL Code Generator's `persisted-documents.json`. */
  file: string;
  /** `enforce` refuses any other operation; `log` runs it and logs its hash. */
  mode: 'enforce' | 'log';
}

export type Mode = 'production' | 'development' | 'test';

export interface HttpLimits {
  /** Time to receive a request's headers, in milliseconds. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included, in milliseconds. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open, in milliseconds. */
  keepAliveTimeoutMs: number;
  /** Open connections at most; further ones are closed at once. */
  maxConnections: number;
}

/** The configuration once the embedded development issuers, if any, are running. */
export type ResolvedConfig = Config & { issuers: IssuerConfig[] };
