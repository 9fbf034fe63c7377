import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from 'cors';
import { recordHeaders, writeHeaders } from './recorded-headers.js';

/** Request headers a browser client may send: its token, its DPoP proof, its JSON, and Apollo's CSRF opt-in. */
const ALLOWED_HEADERS = ['Authorization', 'DPoP', 'Content-Type', 'apollo-require-preflight'];

/**
 * Response headers a browser client may read: the challenge, the DPoP server nonce (RFC 9449 §8),
 * and the rate-limit headers, so that a page can slow down before it is refused.
 */
const EXPOSED_HEADERS = ['WWW-Authenticate', 'DPoP-Nonce', 'Retry-After', 'RateLimit', 'RateLimit-Policy'];

/** How long a browser may reuse a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE_S = 86_400;

/** A plain `(req, res, next)` step, so it serves `node:http` routes and Express ones alike. */
export type CorsStep = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * CORS for one browser origin and the given methods. The origin is passed as a list so that the
 * `cors` package answers other origins without any `Access-Control-Allow-Origin`, rather than with
 * the configured one. Preflights end here with 204; no credentials, since tokens travel in a header.
 *
 * Any other request gets one of two header lists, for the client origin or for any other (or
 * none), which `cors` writes at start-up: with fixed options, the `Origin` header is all it reads.
 */
export function corsPolicy(clientOrigin: string, methods: readonly string[]): CorsStep {
  const policy = cors({
    origin: [clientOrigin],
    methods: [...methods],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: PREFLIGHT_MAX_AGE_S,
    optionsSuccessStatus: 204,
  });
  const forClient = recordHeaders(policy, { method: 'GET', headers: { origin: clientOrigin } });
  const forOthers = recordHeaders(policy, { method: 'GET', headers: {} });
  return (req, res, next) => {
    if (req.method === 'OPTIONS') return policy(req, res, next);
    writeHeaders(res, req.headers.origin === clientOrigin ? forClient : forOthers);
    next();
  };
}
