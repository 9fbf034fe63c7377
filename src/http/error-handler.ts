import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { GraphQLError } from 'graphql';
import { ErrorCode, errorCodeOf, ErrorMessage, httpStatusOf } from '../errors.js';

/**
 * Sends the seed's error body, `{"message": "..."}`, with the status the code maps to. Plain
 * `node:http`, so the `/graphql` path and the Express routes answer byte for byte alike.
 */
export function sendError(res: ServerResponse, code: ErrorCode, message: string): void {
  sendJson(res, httpStatusOf[code], { message });
}

/**
 * A GraphQL error outside `/graphql` (REST, `/schema.graphql`), in the seed's body: its code as
 * status and its message. A request-level failure brings its own headers (the bearer challenge,
 * `retry-after`); a field denied to an anonymous request gets the challenge that asks for a token.
 */
export function sendGraphQLError(res: ServerResponse, error: GraphQLError, missingTokenChallenge: string): void {
  const code = errorCodeOf(error);
  if (!setErrorHeaders(res, error) && code === ErrorCode.UNAUTHENTICATED) res.setHeader('www-authenticate', missingTokenChallenge);
  sendError(res, code, error.message);
}

/** Sets the headers an error carries for its answer (`WWW-Authenticate`, `Retry-After`); false when it carries none. */
export function setErrorHeaders(res: ServerResponse, error: GraphQLError): boolean {
  const headers = (error.extensions['http'] as { headers?: Map<string, string> } | undefined)?.headers;
  if (!headers) return false;
  for (const [name, value] of headers) res.setHeader(name, value);
  return true;
}

/** What Express's `res.json` writes, for responses outside Express. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

/** Unknown paths: the seed's JSON 404 rather than Express's HTML page. */
export const notFound: RequestHandler = (_req, res) => sendError(res, ErrorCode.NOT_FOUND, ErrorMessage.NOT_FOUND);

/** Another method on a known path: the seed's JSON 405, with the `Allow` header RFC 9110 asks for. */
export function methodNotAllowed(allowed: readonly string[]): (req: IncomingMessage, res: ServerResponse) => void {
  const allow = allowed.join(', ');
  return (_req, res) => {
    res.setHeader('allow', allow);
    sendError(res, ErrorCode.METHOD_NOT_ALLOWED, ErrorMessage.METHOD_NOT_ALLOWED);
  };
}

/** Errors raised while reading a body that a client caused, by the `type` body-parser and raw-body give them. */
const clientErrors: Readonly<Record<string, [ErrorCode, string]>> = {
  'entity.parse.failed': [ErrorCode.BAD_REQUEST, 'Malformed JSON body'],
  'entity.too.large': [ErrorCode.PAYLOAD_TOO_LARGE, 'Payload Too Large'],
  'encoding.unsupported': [ErrorCode.BAD_REQUEST, 'Unsupported content encoding'],
  'charset.unsupported': [ErrorCode.BAD_REQUEST, 'Unsupported charset'],
  'request.aborted': [ErrorCode.BAD_REQUEST, 'Request aborted'],
  'request.size.invalid': [ErrorCode.BAD_REQUEST, 'Request size did not match content length'],
};

/**
 * Answers any error with a JSON body without a stack trace. Client mistakes keep their 4xx;
 * anything else is logged and answered with a bare 500.
 */
export function answerError(error: unknown, req: IncomingMessage, res: ServerResponse): void {
  const { type, status } = (error ?? {}) as { type?: unknown; status?: unknown };
  const known = typeof type === 'string' ? clientErrors[type] : undefined;
  if (known) return sendError(res, ...known);
  // body-parser gives a body that fails to decompress (a corrupt gzip, say) status 400 but no type.
  if (typeof status === 'number' && status >= 400 && status < 500) return sendError(res, ErrorCode.BAD_REQUEST, 'Malformed request body');
  req.log.error({ err: error }, 'unhandled error');
  return sendError(res, ErrorCode.INTERNAL_SERVER_ERROR, ErrorMessage.INTERNAL_SERVER_ERROR);
}

/** The last Express handler: every error goes through `answerError`. */
export const errorHandler: ErrorRequestHandler = (error: unknown, req, res, next) => {
  if (res.headersSent) return next(error);
  return answerError(error, req, res);
};
