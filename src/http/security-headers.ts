import type { IncomingMessage, OutgoingHttpHeader, ServerResponse } from 'node:http';
import accepts from 'accepts';
import helmet, { type HelmetOptions } from 'helmet';

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

/** The media types Apollo Server negotiates between (`ApolloServer.prefersHTML`), in its order. */
const APOLLO_MEDIA_TYPES = [
  'application/json',
  'application/graphql-response+json',
  'multipart/mixed; deferSpec=20220824',
  'multipart/mixed; incrementalSpec=v0.2',
  'multipart/mixed',
  'text/html',
];

type HeaderWriter = (res: ServerResponse) => void;

/**
 * Runs a helmet middleware once, at start-up, on a stand-in response and keeps what it wrote:
 * its headers depend on its options only, never on the request, so each response just gets the
 * same list, without helmet's per-request work.
 */
function headersOf(middleware: (req: IncomingMessage, res: ServerResponse, next: () => void) => void): Array<[string, OutgoingHttpHeader]> {
  const written: Array<[string, OutgoingHttpHeader]> = [];
  const recorder = { setHeader: (name: string, value: OutgoingHttpHeader) => written.push([name.toLowerCase(), value]), removeHeader: () => undefined };
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, () => undefined);
  return written;
}

function writerOf(headers: ReadonlyArray<[string, OutgoingHttpHeader]>): HeaderWriter {
  return (res) => {
    for (const [name, value] of headers) res.setHeader(name, value);
  };
}

/** Writes the seed's security headers; for every response. */
export function securityHeaders(): HeaderWriter {
  return writerOf([...Object.entries(seedHeadersHelmetLeaves), ...headersOf(helmet(seedHelmet))]);
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
  const relaxed = writerOf(headersOf(helmet.contentSecurityPolicy({ useDefaults: false, directives: landingPageDirectives })));
  return (req, res) => {
    if (wantsLandingPage(req)) relaxed(res);
  };
}
