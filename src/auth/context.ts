import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import { authFailureError, type AuthFailure } from '../errors.js';
import { parseBearer } from './bearer.js';
import { KeySetUnavailableError } from './key-set.js';
import type { Principal } from './principal.js';
import { InvalidTokenError, type Verifier } from './verifier.js';

/** What every resolver and plugin receives. `principal` is null for an anonymous request. */
export interface RequestContext {
  principal: Principal | null;
  /** The request's logger, bound to its request id. */
  log: Logger;
}

/** What the context builder reads of a request; a node IncomingMessage or Express Request with `log` attached. */
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
export function createContextBuilder(verifier: Verifier): ContextBuilder {
  return async ({ headers, log }) => {
    const bearer = parseBearer(headers.authorization);
    switch (bearer.kind) {
      case 'absent':
        return { principal: null, log };
      case 'malformed':
        throw authFailureError('invalid_request');
      case 'token':
        try {
          return { principal: await verifier.verify(bearer.token), log };
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
