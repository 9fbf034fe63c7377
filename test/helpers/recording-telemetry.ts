import type { Telemetry } from '../../src/observability/hooks.js';

/**
 * A `Telemetry` that writes down what it is told, one short line per event (`decision
 * Query.adminMessage granted`, `span auth.verify_token`), so that a unit test sees what a module
 * reports without a metrics library in between.
 */
export function recordingTelemetry(): Telemetry & { events: string[]; take(): string[] } {
  const events: string[] = [];
  const note = (...parts: Array<string | number | boolean | undefined>) => events.push(parts.filter((part) => part !== undefined).join(' '));
  return {
    events,
    /** The events so far, forgetting them. */
    take: () => events.splice(0),
    authzDecisions: (coordinate) => (decision) => note('decision', coordinate, decision),
    policyEvaluation: (policy, result) => note('policy', policy, result),
    credentialsRejected: (reason) => note('rejected', reason),
    tokenCacheLookup: (hit) => note('cache', hit ? 'hit' : 'miss'),
    keySetFetch: (_issuer, result, keys) => note('fetch', result, keys),
    dpopProof: (result) => note('dpop', result),
    wsConnection: (delta, closeCode) => note('socket', delta, closeCode),
    subscription: (delta) => note('subscription', delta),
    rateLimited: (policy) => note('rate-limited', policy),
    rateLimitStoreFailure: (mode) => note('rate-limit-store-failure', mode),
    span: (name, parent, work, policy) => {
      note('span', name, policy);
      return work(parent);
    },
  };
}
