/**
 * The one interface through which the modules that decide (the guards, the context builder, the
 * verifier and its key set, the DPoP check, the subscription server) report what they decided.
 * It imports nothing, so none of them depends on a metrics or tracing library; `NO_TELEMETRY` is
 * what they get when nothing observes, and costs a call to an empty function.
 *
 * Every argument that becomes a metric label is one of the fixed unions below, a schema
 * coordinate, a policy name from `src/policies.ts`, or a number the implementation maps onto a
 * fixed list: never anything a caller wrote.
 */

export type AuthzDecision = 'granted' | 'unauthenticated' | 'forbidden';

export type PolicyResult = 'allow' | 'deny' | 'error' | 'timeout';

/**
 * Why credentials were refused: a jose error code (`ERR_JWT_EXPIRED`, …, a fixed list in jose),
 * the project's own token reasons, where they were placed, or the DPoP failure class.
 */
export type CredentialsRejection =
  | `ERR_${string}`
  | 'malformed'
  | 'misplaced'
  | 'key_set_unavailable'
  | 'dpop_binding'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  | 'replay_store_unavailable';

export type DpopProofResult = 'valid' | 'replayed' | 'invalid' | 'store_unavailable';

/** The steps that get a span of their own when tracing is on. */
export type SpanName = 'auth.verify_token' | 'auth.jwks_fetch' | 'auth.dpop_proof' | 'authz.policy';

/**
 * A sampled request's place in its trace: set by tracing on the request (`req.trace`), copied into
 * its GraphQL context, and handed explicitly to each step that opens a child span. It is carried by
 * hand rather than by AsyncLocalStorage, because on Node 20 the promise hooks that storage turns on
 * slow every request of the process, traced or not. Undefined on a request that is not sampled.
 */
export interface TraceParent {
  readonly traceId: string;
  readonly spanId: string;
}

declare module 'node:http' {
  interface IncomingMessage {
    /** Set by tracing on every request: its place in its trace when sampled, else undefined; see `TraceParent`. */
    trace?: TraceParent | undefined;
  }
}

export interface Telemetry {
  /**
   * The counter of one guarded field, bound once when its guard is built (or first asked for), so
   * that counting a resolution is one call without a lookup.
   */
  authzDecisions(coordinate: string): (decision: AuthzDecision) => void;
  policyEvaluation(policy: string, result: PolicyResult): void;
  credentialsRejected(reason: CredentialsRejection): void;
  tokenCacheLookup(hit: boolean): void;
  /** A key-set fetch of `issuer` (a configured one) ended; `keys` is how many the fetched set holds, on success. */
  keySetFetch(issuer: string, result: 'success' | 'failure', keys?: number): void;
  dpopProof(result: DpopProofResult): void;
  /** A WebSocket opened (+1) or closed (-1, with its close code). */
  wsConnection(delta: 1 | -1, closeCode?: number): void;
  /** A subscription's event stream started (+1) or ended (-1). */
  subscription(delta: 1 | -1): void;
  /** A request refused over its caller's quota, `authenticated` or `anonymous`. */
  rateLimited(policy: 'authenticated' | 'anonymous'): void;
  /** A charge Redis could not count: counted by this replica alone (`open`) or refused (`closed`). */
  rateLimitStoreFailure(mode: 'open' | 'closed'): void;
  /**
   * Runs `work` inside a child span of `parent`, and gives it that span as the parent of its own
   * steps; without a parent (an unsampled request) it just runs `work`. `policy` names a policy
   * span's policy.
   */
  span<T>(name: SpanName, parent: TraceParent | undefined, work: (span: TraceParent | undefined) => Promise<T>, policy?: string): Promise<T>;
}

const ignore = (): void => undefined;

export const NO_TELEMETRY: Telemetry = {
  authzDecisions: () => ignore,
  policyEvaluation: ignore,
  credentialsRejected: ignore,
  tokenCacheLookup: ignore,
  keySetFetch: ignore,
  dpopProof: ignore,
  wsConnection: ignore,
  subscription: ignore,
  rateLimited: ignore,
  rateLimitStoreFailure: ignore,
  span: (_name, _parent, work) => work(undefined),
};
