import type { IncomingHttpHeaders } from 'node:http';
import { authFailureError, type AuthFailure } from '../errors.js';
import { parseBearer } from './bearer.js';
import { KeySetUnavailableError } from './key-set.js';
import type { Principal } from './principal.js';
import { InvalidTokenError, type Verifier } from './verifier.js';

/** What every resolver receives. `principal` is null for an anonymous request. */
export interface RequestContext {
  principal: Principal | null;
}

export type ContextBuilder = (request: { headers: IncomingHttpHeaders }) => Promise<RequestContext>;

/**
 * Turns the `Authorization` header into a context. No header is an anonymous request, left to the
 * directives to allow or deny field by field. A header that is present but not a valid token
 * rejects the whole request (a GraphQLError with its HTTP status), so no resolver runs.
 */
export function createContextBuilder(verifier: Verifier): ContextBuilder {
  return async ({ headers }) => {
    const bearer = parseBearer(headers.authorization);
    switch (bearer.kind) {
      case 'absent':
        return { principal: null };
      case 'malformed':
        throw authFailureError('invalid_request');
      case 'token':
        try {
          return { principal: await verifier.verify(bearer.token) };
        } catch (error) {
          throw authFailureError(failureOf(error));
        }
    }
  };
}

function failureOf(error: unknown): AuthFailure {
  if (error instanceof InvalidTokenError) return 'invalid_token';
  if (error instanceof KeySetUnavailableError) return 'unavailable';
  throw error;
}
