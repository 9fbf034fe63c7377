import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';

declare module 'node:http' {
  interface IncomingMessage {
    /** The request's logger, bound to its request id; set by `requestLogging` before any route runs. */
    log: Logger;
  }
}

export const REQUEST_ID_HEADER = 'x-request-id';

/** An incoming id is kept only when short and plain, so a client cannot forge or bloat log lines. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Probes hit these every few seconds; a line each would drown the requests that matter. */
const UNLOGGED_PATHS = new Set(['/healthz', '/readyz']);

/**
 * Gives each request `req.log`, a pino logger bound to the server's own request id (a random
 * UUID, echoed in the response), and writes one line when the response is finished: method,
 * path, status, duration. The caller's `x-request-id`, when sane, is recorded as
 * `callerRequestId` and never as `reqId`, so a caller cannot make its lines pose as another
 * request's. Neither a header nor the query string is logged, so a token or a GET request's
 * variables can never reach the log.
 *
 * This is pino-http's job, done in a few lines because pino-http cost about 30% of this API's
 * throughput (a second child logger and a serialized request per request), against about 5% for
 * this; see bench/README.md.
 */
export function requestLogging(logger: Logger): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const reqId = randomUUID();
    const incoming = req.headers[REQUEST_ID_HEADER];
    const callerRequestId = typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : undefined;
    res.setHeader(REQUEST_ID_HEADER, reqId);
    // A sampled request's lines carry its trace: bound once here, not looked up per line.
    const { trace } = req;
    const bindings = trace ? { reqId, trace_id: trace.traceId, span_id: trace.spanId } : { reqId };
    const log = logger.child(callerRequestId ? { ...bindings, callerRequestId } : bindings);
    req.log = log;
    // Read now: Express rewrites `req.url` while routing. The query string is never logged.
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    if (UNLOGGED_PATHS.has(path)) return;
    const started = performance.now();
    const method = req.method;
    res.once('finish', () => {
      const line = {
        req: { method, url: path },
        res: { statusCode: res.statusCode },
        responseTime: Math.round(performance.now() - started),
      };
      if (res.statusCode >= 500) log.error(line, 'request failed');
      else log.info(line, 'request completed');
    });
  };
}
