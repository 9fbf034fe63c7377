import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { ContextBuilder, RequestContext } from '../auth/context.js';
import { ErrorCode, errorCodeOf, ErrorMessage } from '../errors.js';

/** Close codes: a token that is not valid, or not checkable now; and a socket idle for too long. */
export const CloseCode = { NORMAL: 1000, UNAUTHORIZED: 4401, INTERNAL_ERROR: 1011, TRY_AGAIN_LATER: 1013 } as const;

export type ConnectionAuth = { context: RequestContext } | { refuse: { code: number; message: string; reason: string } };

/**
 * Authenticates a socket from its `connection_init` payload, `{ authorization: "Bearer <jwt>" }`,
 * with the same context builder as an HTTP request: no token is anonymous, anything else present
 * must verify.
 */
export async function authenticateConnection(buildContext: ContextBuilder, authorization: unknown, log: Logger): Promise<ConnectionAuth> {
  if (authorization !== undefined && typeof authorization !== 'string') {
    return { refuse: { code: CloseCode.UNAUTHORIZED, message: 'Unauthorized', reason: 'authorization is not a string' } };
  }
  const headers = authorization === undefined ? {} : { authorization };
  const request = { method: 'GET', url: '/graphql', headers, rawHeaders: Object.entries(headers).flat(), log };
  let context: RequestContext;
  try {
    context = await buildContext(request);
  } catch (error) {
    if (!(error instanceof GraphQLError)) {
      log.error({ err: error }, 'subscription authentication failed');
      return { refuse: { code: CloseCode.INTERNAL_ERROR, message: ErrorMessage.INTERNAL_SERVER_ERROR, reason: 'unexpected error' } };
    }
    return errorCodeOf(error) === ErrorCode.AUTH_UNAVAILABLE
      ? { refuse: { code: CloseCode.TRY_AGAIN_LATER, message: 'Try again later', reason: 'key set unavailable' } }
      : { refuse: { code: CloseCode.UNAUTHORIZED, message: 'Unauthorized', reason: 'invalid token' } };
  }
  return { context };
}
