import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import { authFailureError, type AuthFailure } from '../errors.js';
import { parseBearer } from './bearer.js';
import { createSenderConstraint, type SenderConstraint } from './dpop/sender-constraint.js';
import { KeySetUnavailableError } from './key-set.js';
import type { Principal } from './principal.js';
import { InvalidTokenError, type Verifier } from './verifier.js';

/** What every resolver and plugin receives. `principal` is null for an anonymous request. */
export interface RequestContext {
  principal: Principal | null;
  /** The request's logger, bound to its request id. */
  log: Logger;
}

/** The request as the context builder reads it; a node IncomingMessage with `log` attached fits. */
export interface AuthRequest {
  method: string;
  /** Path and query, as `IncomingMessage.url`. */
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: readonly string[];
  log: Logger;
}

export type ContextBuilder = (request: AuthRequest) => Promise<RequestContext>;

/**
 * Turns the `Authorization` header into a context. No header is an anonymous request, left to the
 * directives to allow or deny field by field. A header that is present but not a valid token
 * rejects the whole request (a GraphQLError with its HTTP status), so no resolver runs.
 */
export function createContextBuilder(verifier: Verifier, senderConstraint: SenderConstraint = createSenderConstraint()): ContextBuilder {
  return async (request) => {
    const { headers, log } = request;
    const bearer = parseBearer(headers.authorization);
    switch (bearer.kind) {
      case 'absent':
        return { principal: null, log };
      case 'malformed':
        throw authFailureError('invalid_request', senderConstraint.challenge('bearer'));
      case 'token': {
        let principal: Principal;
        try {
          principal = await verifier.verify(bearer.token);
        } catch (error) {
          throw authFailureError(failureOf(error), senderConstraint.challenge(bearer.scheme));
        }
        // After the cache, so that no cached principal skips its proof or its binding.
        await senderConstraint.check(request, bearer, principal);
        return { principal, log };
      }
    }
  };
}

function failureOf(error: unknown): AuthFailure {
  if (error instanceof InvalidTokenError) return 'invalid_token';
  if (error instanceof KeySetUnavailableError) return 'unavailable';
  throw error;
}
