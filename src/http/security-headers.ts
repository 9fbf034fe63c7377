import type { IncomingMessage, ServerResponse } from 'node:http';
import accepts from 'accepts';
import helmet, { type HelmetOptions } from 'helmet';
import { recordHeaders, writeHeaders } from './recorded-headers.js';

/**
 * The seed's security headers, byte for byte, on every response. helmet writes most of them; the
 * rest are written as the seed spells them, since helmet capitalises `DENY`, drops the space after
 * `;` in a policy, and leaves `cache-control` alone. helmet's other defaults (cross-origin and
 * download policies) stay on: they only add protection.
 */
const seedHelmet: HelmetOptions = {
  contentSecurityPolicy: false,
  xFrameOptions: false,
  strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true, preload: false },
  xXssProtection: true,
  xContentTypeOptions: true,
  referrerPolicy: { policy: 'no-referrer' },
};

const seedHeadersHelmetLeaves = {
  'content-security-policy': "default-src 'self'; frame-ancestors 'none'",
  'x-frame-options': 'deny',
  'cache-control': 'no-cache, no-store, max-age=0, must-revalidate',
} as const;

/**
 * What Apollo Sandbox, the development landing page, loads: the embed script and its styles from
 * Apollo's CDN, Google Fonts, the favicon and manifest, and the Sandbox itself in an iframe. Its
 * GraphQL requests go from this page to this server, hence `connect-src 'self'`.
 *
 * `'unsafe-inline'` looks loose but is not: the page also carries Apollo's own policy in a meta
 * tag with a fresh nonce per request, a browser enforces both, so only Apollo's nonced inline code
 * runs. This header cannot carry that nonce, since it is written before Apollo renders the page.
 */
const landingPageDirectives = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'", "'unsafe-inline'", 'https://embeddable-sandbox.cdn.apollographql.com'],
  styleSrc: ["'self'", "'unsafe-inline'", 'https://embeddable-sandbox.cdn.apollographql.com', 'https://fonts.googleapis.com'],
  fontSrc: ["'self'", 'https://fonts.gstatic.com'],
  imgSrc: ["'self'", 'data:', 'https://apollo-server-landing-page.cdn.apollographql.com'],
  manifestSrc: ["'self'", 'https://apollo-server-landing-page.cdn.apollographql.com'],
  frameSrc: ['https://sandbox.embed.apollographql.com'],
  connectSrc: ["'self'"],
  frameAncestors: ["'none'"],
};

/** helmet's headers depend on its options only, so any request records them. */
const STAND_IN = { method: 'GET', headers: {} };

/** The media types Apollo Server negotiates between (`ApolloServer.prefersHTML`), in its order. */
const APOLLO_MEDIA_TYPES = [
  'application/json',
  'application/graphql-response+json',
  'multipart/mixed; deferSpec=20220824',
  'multipart/mixed; incrementalSpec=v0.2',
  'multipart/mixed',
  'text/html',
];

/** Writes the seed's security headers; for every response. */
export function securityHeaders(): (res: ServerResponse) => void {
  const headers = [...Object.entries(seedHeadersHelmetLeaves), ...recordHeaders(helmet(seedHelmet), STAND_IN)] as const;
  return (res) => writeHeaders(res, headers);
}

/** True for the requests Apollo answers with its landing page: a GET that prefers HTML. */
function wantsLandingPage(req: IncomingMessage): boolean {
  return req.method === 'GET' && req.headers.accept !== undefined && accepts(req).type(APOLLO_MEDIA_TYPES) === 'text/html';
}

/**
 * For `/graphql` outside production: swaps the strict policy for the landing page's on the
 * requests Apollo answers with that page, and leaves every other response alone.
 */
export function landingPageSecurityPolicy(): (req: IncomingMessage, res: ServerResponse) => void {
  const relaxed = recordHeaders(helmet.contentSecurityPolicy({ useDefaults: false, directives: landingPageDirectives }), STAND_IN);
  return (req, res) => {
    if (wantsLandingPage(req)) writeHeaders(res, relaxed);
  };
}
