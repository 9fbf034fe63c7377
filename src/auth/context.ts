import type { Logger } from 'pino';
import { authFailureError, type AuthFailure, type ChallengeOptions } from '../errors.js';
import { NO_TELEMETRY, type CredentialsRejection, type Telemetry, type TraceParent } from '../observability/hooks.js';
import { parseBearer } from './bearer.js';
import { credentialsProblemOf, type AuthRequest } from './credentials-placement.js';
import { createSenderConstraint, SenderConstraintError, type SenderConstraint } from './dpop/sender-constraint.js';
import { KeySetUnavailableError } from './key-set.js';
import type { Principal } from './principal.js';
import { InvalidTokenError, type TokenVerifier } from './verifier.js';

/** What every resolver and plugin receives. `principal` is null for an anonymous request. */
export interface RequestContext {
  principal: Principal | null;
  /** The request's logger, bound to its request id. */
  log: Logger;
  /** Where this request sits in its trace, when it is sampled: the parent of its steps' spans. */
  trace?: TraceParent | undefined;
}

export type { AuthRequest };

export type ContextBuilder = (request: AuthRequest) => Promise<RequestContext>;

/**
 * Turns the `Authorization` header into a context. No header is an anonymous request, left to the
 * directives to allow or deny field by field. A header that is present but not a valid token, or
 * credentials placed where this API does not read them, reject the whole request (a GraphQLError
 * with its HTTP status), so no resolver runs. Each rejection is logged at `info` with its reason,
 * never with the token or the proof, so that a misconfigured issuer or audience, a DPoP client
 * that gets its proofs wrong and a replayed proof all show in the log, and counted by reason (the
 * sender constraint counts its own).
 */
export function createContextBuilder(
  verifier: TokenVerifier,
  senderConstraint: SenderConstraint = createSenderConstraint(),
  telemetry: Telemetry = NO_TELEMETRY,
): ContextBuilder {
  const refuse = (log: Logger, failure: AuthFailure, reason: string, challenge: ChallengeOptions): never => {
    log.info({ failure, reason }, 'credentials rejected');
    throw authFailureError(failure, challenge);
  };
  const reject = (log: Logger, failure: AuthFailure, counted: CredentialsRejection, reason: string, challenge: ChallengeOptions): never => {
    telemetry.credentialsRejected(counted);
    return refuse(log, failure, reason, challenge);
  };
  return async (request) => {
    const { log, trace } = request;
    const problem = credentialsProblemOf(request);
    // Bearer is the scheme RFC 6750 §2.3 names for `access_token`, and either header may have been meant.
    if (problem) return reject(log, 'bad_request', 'misplaced', problem, senderConstraint.challenge('bearer'));
    const bearer = parseBearer(request.headers.authorization);
    switch (bearer.kind) {
      case 'absent':
        return { principal: null, log, trace };
      case 'malformed':
        return reject(log, 'invalid_request', 'malformed', 'malformed bearer credentials', senderConstraint.challenge('bearer'));
      case 'token': {
        let principal: Principal;
        try {
          principal = await verifier.verify(bearer.token, trace);
        } catch (error) {
          const [failure, counted] = failureOf(error);
          return reject(log, failure, counted, (error as Error).message, senderConstraint.challenge(bearer.scheme));
        }
        // After the cache, so that no cached principal skips its proof or its binding.
        try {
          await senderConstraint.check(request, bearer, principal);
        } catch (error) {
          if (!(error instanceof SenderConstraintError)) throw error;
          // Counted by the sender constraint itself, which knows the proof's outcome.
          return refuse(log, error.failure, error.message, error.challenge);
        }
        return { principal, log, trace };
      }
    }
  };
}

function failureOf(error: unknown): [AuthFailure, CredentialsRejection] {
  if (error instanceof InvalidTokenError) return ['invalid_token', error.reason];
  if (error instanceof KeySetUnavailableError) return ['unavailable', 'key_set_unavailable'];
  throw error;
}
