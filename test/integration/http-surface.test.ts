import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildSchema } from '../../src/graphql/schema.js';
import { BODY_LIMIT } from '../../src/http/app.js';
import { createSigningKey } from '../../support/key-set-server.js';
import { CLIENT_ORIGIN, startHarness, type Harness } from '../helpers/harness.js';
import { bearer, request, type Exchange } from '../helpers/http-request.js';

/** The seed's headers on every response, byte for byte. */
const SEED_HEADERS = {
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-frame-options': 'deny',
  'x-xss-protection': '0',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'self'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache, no-store, max-age=0, must-revalidate',
};
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

function assertSeedHeaders({ headers }: Exchange, label: string, except: string[] = []): void {
  for (const [name, value] of Object.entries(SEED_HEADERS)) {
    if (!except.includes(name)) assert.equal(headers.get(name), value, `${name} on ${label}`);
  }
  assert.equal(headers.get('x-powered-by'), null, label);
  assert.equal(headers.get('server'), null, label);
}

function assertJsonError(exchange: Exchange, status: number, message: string | RegExp, label: string): void {
  assert.equal(exchange.status, status, label);
  assert.match(exchange.contentType, /^application\/json/, label);
  const body = exchange.body as { message: string };
  assert.deepEqual(Object.keys(body), ['message'], label);
  if (typeof message === 'string') assert.equal(body.message, message, label);
  else assert.match(body.message, message, label);
}

const json = (body: string): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('the HTTP surface', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('puts the seed security headers on every kind of response, and no x-powered-by or server', async () => {
    const token = await h.token();
    const exchanges: Record<string, Exchange> = {
      'REST 200': await request(`${h.url}/api/messages/public`),
      'REST 401': await request(`${h.url}/api/messages/protected`),
      'REST 403': await request(`${h.url}/api/messages/admin`, { headers: bearer(token) }),
      'REST 405': await request(`${h.url}/api/messages/public`, { method: 'DELETE' }),
      'GraphQL 200': await request(`${h.url}/graphql`, json('{"query":"{ publicMessage { text } }"}')),
      'GraphQL GET': await request(`${h.url}/graphql?query=%7BpublicMessage%7Btext%7D%7D`, { headers: { 'apollo-require-preflight': '1' } }),
      'GraphQL 401': await request(`${h.url}/graphql`, { ...json('{"query":"{ publicMessage { text } }"}'), headers: { 'content-type': 'application/json', ...bearer('x.y.z') } }),
      '404': await request(`${h.url}/nowhere`, { headers: { accept: BROWSER_ACCEPT } }),
      '400': await request(`${h.url}/graphql`, json('{"query":')),
      preflight: await request(`${h.url}/graphql`, { method: 'OPTIONS', headers: { origin: CLIENT_ORIGIN, 'access-control-request-method': 'POST' } }),
    };
    for (const [label, exchange] of Object.entries(exchanges)) assertSeedHeaders(exchange, label);
  });

  it('answers unknown paths, whatever the method, with a JSON 404 Not Found', async () => {
    for (const path of ['/', '/api', '/api/messages', '/api/messages/secret', '/api/messages/public/x', '/graphqlx', '/graphql/x', '/dev/token', '/%E0%A4%A']) {
      for (const method of ['GET', 'POST', 'OPTIONS']) {
        assertJsonError(await request(`${h.url}${path}`, { method, headers: { accept: BROWSER_ACCEPT } }), 404, 'Not Found', `${method} ${path}`);
      }
    }
  });

  it('answers malformed JSON with a JSON 400', async () => {
    for (const body of ['{"query":', 'not json', '{"query":"{ publicMessage { text } }"']) {
      assertJsonError(await request(`${h.url}/graphql`, json(body)), 400, /JSON/, body);
    }
  });

  it(`answers a body over ${BODY_LIMIT} with a JSON 413, before reading it all`, async () => {
    const huge = JSON.stringify({ query: `{ publicMessage { text } } #${'x'.repeat(200_000)}` });
    assertJsonError(await request(`${h.url}/graphql`, json(huge)), 413, 'Payload Too Large', 'oversized');
  });

  it('answers a key the provider published but that cannot be used with 503, on REST and GraphQL', async () => {
    const broken = await createSigningKey('broken');
    h.idp.published.push({ ...broken, publicJwk: { ...broken.publicJwk, n: 'AQAB' } });
    try {
      const token = await h.token({}, broken);
      const rest = await request(`${h.url}/api/messages/protected`, { headers: bearer(token) });
      assertJsonError(rest, 503, 'Unable to verify credentials', 'REST');
      const graphql = await h.graphql('{ protectedMessage { text } }', token);
      assert.equal(graphql.status, 503);
      assert.deepEqual(graphql.body.errors?.map((e) => e.extensions?.['code']), ['AUTH_UNAVAILABLE']);
    } finally {
      h.idp.published.pop();
    }
  });

  it('answers a fault it did not foresee with a bare JSON 500, without a stack trace', async () => {
    const schema = buildSchema();
    schema.getQueryType()!.getFields()['protectedMessage']!.resolve = () => {
      throw new Error('connect ECONNREFUSED db.internal:5432');
    };
    const failing = await startHarness({}, { schema });
    try {
      const rest = await request(`${failing.url}/api/messages/protected`, { headers: bearer(await failing.token()) });
      assertJsonError(rest, 500, 'Internal Server Error', 'REST');
      assertSeedHeaders(rest, 'REST 500');
      assert.doesNotMatch(JSON.stringify(rest.body), /ECONNREFUSED|at |\.ts|\.js/);
    } finally {
      await failing.close();
    }
  });

  describe('the Apollo Sandbox landing page', () => {
    const landingPage = () => request(`${h.url}/graphql`, { headers: { accept: BROWSER_ACCEPT } });
    const directives = (exchange: Exchange) =>
      new Map((exchange.headers.get('content-security-policy') ?? '').split(';').map((d) => {
        const [name = '', ...values] = d.trim().split(/\s+/);
        return [name, values] as const;
      }));

    it('gets a policy that lets the Sandbox load from Apollo, and keeps every other seed header', async () => {
      const page = await landingPage();
      assert.equal(page.status, 200);
      assert.match(page.contentType, /^text\/html/);
      assert.match(String(page.body), /embeddable-sandbox\.cdn\.apollographql\.com/);
      assertSeedHeaders(page, 'landing page', ['content-security-policy']);
      const csp = directives(page);
      assert.ok(csp.get('script-src')?.includes('https://embeddable-sandbox.cdn.apollographql.com'));
      assert.ok(csp.get('frame-src')?.includes('https://sandbox.embed.apollographql.com'));
      assert.ok(csp.get('style-src')?.includes('https://fonts.googleapis.com'));
      assert.ok(csp.get('font-src')?.includes('https://fonts.gstatic.com'));
      assert.deepEqual(csp.get('connect-src'), ["'self'"]);
      assert.deepEqual(csp.get('frame-ancestors'), ["'none'"]);
    });

    it('keeps the strict policy for everything that is not the landing page', async () => {
      const others = {
        'a GET query asking for JSON': await request(`${h.url}/graphql?query=%7BpublicMessage%7Btext%7D%7D`, {
          headers: { accept: 'application/json', 'apollo-require-preflight': '1' },
        }),
        'a POST from a browser': await request(`${h.url}/graphql`, { ...json('{"query":"{ publicMessage { text } }"}'), headers: { 'content-type': 'application/json', accept: BROWSER_ACCEPT } }),
        'a GET without Accept': await request(`${h.url}/graphql?query=%7BpublicMessage%7Btext%7D%7D`, { headers: { 'apollo-require-preflight': '1' } }),
        'a browser GET of a REST path': await request(`${h.url}/api/messages/public`, { headers: { accept: BROWSER_ACCEPT } }),
        'a browser GET of an unknown path': await request(`${h.url}/sandbox`, { headers: { accept: BROWSER_ACCEPT } }),
      };
      for (const [label, exchange] of Object.entries(others)) {
        assert.doesNotMatch(String(exchange.body), /embeddable-sandbox/, label);
        assertSeedHeaders(exchange, label);
      }
    });
  });
});

describe('the HTTP surface in production', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ NODE_ENV: 'production' });
  });
  after(() => h.close());

  it('serves no landing page, so relaxes no policy: a browser GET of /graphql is an operation, refused as a possible CSRF', async () => {
    const page = await request(`${h.url}/graphql`, { headers: { accept: BROWSER_ACCEPT } });
    assert.equal(page.status, 400);
    assert.match(page.contentType, /^application\/json/);
    const { errors } = page.body as { errors: Array<{ message: string; extensions: { code: string } }> };
    assert.deepEqual(errors.map((e) => e.extensions.code), ['BAD_REQUEST']);
    assert.match(errors[0]!.message, /Cross-Site Request Forgery/);
    assertSeedHeaders(page, 'production GET /graphql');
  });
});
