import cors from 'cors';
import type { RequestHandler } from 'express';

/** Request headers a browser client may send: its token, its DPoP proof, its JSON, and Apollo's CSRF opt-in. */
const ALLOWED_HEADERS = ['Authorization', 'DPoP', 'Content-Type', 'apollo-require-preflight'];

/** Response headers a browser client may read: the challenge and the DPoP server nonce (RFC 9449 §8). */
const EXPOSED_HEADERS = ['WWW-Authenticate', 'DPoP-Nonce'];

/** How long a browser may reuse a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE_S = 86_400;

/**
 * CORS for one browser origin and the given methods. The origin is passed as a list so that the
 * `cors` package answers other origins without any `Access-Control-Allow-Origin`, rather than with
 * the configured one. Preflights end here with 204; no credentials, since tokens travel in a header.
 */
export function corsPolicy(clientOrigin: string, methods: readonly string[]): RequestHandler {
  return cors({
    origin: [clientOrigin],
    methods: [...methods],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: PREFLIGHT_MAX_AGE_S,
    optionsSuccessStatus: 204,
  });
}
