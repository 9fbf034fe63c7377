import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

export const REQUEST_ID_HEADER = 'x-request-id';

/** An incoming id is kept only when short and plain, so a client cannot forge or bloat log lines. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Probes hit these every few seconds; a line each would drown the requests that matter. */
const UNLOGGED_PATHS = new Set(['/healthz', '/readyz']);

const currentRequestLogger = new AsyncLocalStorage<Logger>();

/**
 * One JSON line per request (method, path, status, duration), from a logger bound to a request id:
 * the caller's `x-request-id` when sane, else a random UUID, echoed in the response. Headers are
 * logged with `authorization` and `cookie` censored, so tokens never reach the log.
 */
export function requestLogging(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    quietReqLogger: true,
    genReqId(req, res) {
      const incoming = req.headers[REQUEST_ID_HEADER];
      const id = typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
      res.setHeader(REQUEST_ID_HEADER, id);
      return id;
    },
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    autoLogging: { ignore: (req) => UNLOGGED_PATHS.has(req.url ?? '') },
  });
}

/**
 * Makes the request's logger the current one for the rest of its handling, so that code without
 * access to `req` (Apollo plugins, error formatting) still logs with the request id. Mounted after
 * body parsing, whose stream callbacks would otherwise lose the async context.
 */
export const bindRequestLogger: RequestHandler = (req, _res, next) => currentRequestLogger.run(req.log, next);

/** The logger of the request being handled, or `fallback` outside one. */
export function requestLogger(fallback: Logger): Logger {
  return currentRequestLogger.getStore() ?? fallback;
}
