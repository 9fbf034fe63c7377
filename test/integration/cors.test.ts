import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN, CLIENT_ORIGIN, startHarness, type Harness } from '../helpers/harness.js';
import { bearer, request } from '../helpers/http-request.js';

const OTHER_ORIGINS = ['http://127.0.0.1:4041', 'http://localhost:4040', 'https://127.0.0.1:4040', 'null'];
const ALLOWED_HEADERS = 'Authorization,DPoP,Content-Type,apollo-require-preflight';

/** The endpoints a browser client calls, with the methods each allows. */
const ENDPOINTS = {
  '/api/messages/public': 'GET',
  '/api/messages/protected': 'GET',
  '/api/messages/admin': 'GET',
  '/graphql': 'GET,POST',
};

describe(`CORS for the one client origin (${CLIENT_ORIGIN})`, () => {
  let h: Harness;
  const preflight = (path: string, origin: string, method = 'GET') =>
    request(`${h.url}${path}`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization,content-type' },
    });

  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('answers preflights from the client origin with 204 and the allowed methods, headers and max age', async () => {
    for (const [path, methods] of Object.entries(ENDPOINTS)) {
      const { status, headers, body } = await preflight(path, CLIENT_ORIGIN);
      assert.equal(status, 204, path);
      assert.equal(body, '', path);
      assert.equal(headers.get('access-control-allow-origin'), CLIENT_ORIGIN, path);
      assert.equal(headers.get('access-control-allow-methods'), methods, path);
      assert.equal(headers.get('access-control-allow-headers'), ALLOWED_HEADERS, path);
      assert.equal(headers.get('access-control-max-age'), '86400', path);
      assert.equal(headers.get('access-control-allow-credentials'), null, path);
      assert.match(headers.get('vary') ?? '', /Origin/, path);
    }
  });

  it('lets the client origin read successes and errors alike', async () => {
    const headers = { origin: CLIENT_ORIGIN, 'content-type': 'application/json' };
    const responses = [
      await request(`${h.url}/api/messages/admin`, { headers: { ...headers, ...bearer(await h.token({ permissions: [ADMIN] })) } }),
      await request(`${h.url}/api/messages/admin`, { headers: { ...headers, ...bearer(await h.token()) } }),
      await request(`${h.url}/api/messages/protected`, { headers: { ...headers, ...bearer('x.y.z') } }),
      await request(`${h.url}/graphql`, { method: 'POST', headers, body: '{"query":"{ adminMessage { text } }"}' }),
    ];
    assert.deepEqual(responses.map((r) => r.status), [200, 403, 401, 200]);
    for (const { headers: h } of responses) {
      assert.equal(h.get('access-control-allow-origin'), CLIENT_ORIGIN);
      assert.equal(h.get('access-control-expose-headers'), 'WWW-Authenticate,DPoP-Nonce,Retry-After,RateLimit,RateLimit-Policy');
    }
  });

  it('gives any other origin no Access-Control-Allow-Origin, on preflights and on requests', async () => {
    for (const origin of OTHER_ORIGINS) {
      for (const path of Object.keys(ENDPOINTS)) {
        const before = await preflight(path, origin);
        assert.equal(before.headers.get('access-control-allow-origin'), null, `preflight ${path} from ${origin}`);
        const actual = await request(`${h.url}${path}${path === '/graphql' ? '?query=%7BpublicMessage%7Btext%7D%7D' : ''}`, {
          headers: { origin, 'apollo-require-preflight': '1' },
        });
        assert.equal(actual.headers.get('access-control-allow-origin'), null, `${path} from ${origin}`);
      }
    }
  });

  it('allows only GET on the REST routes, so a browser cannot preflight another method there', async () => {
    const { headers } = await preflight('/api/messages/admin', CLIENT_ORIGIN, 'POST');
    assert.doesNotMatch(headers.get('access-control-allow-methods') ?? '', /POST/);
  });

  it('sends no CORS headers on paths that are not endpoints', async () => {
    const { status, headers } = await preflight('/api/messages/secret', CLIENT_ORIGIN);
    assert.equal(status, 404);
    assert.equal(headers.get('access-control-allow-origin'), null);
  });
});

describe('CORS follows CLIENT_ORIGIN_URL', () => {
  it('allows the configured origin and no longer the default one', async () => {
    const h = await startHarness({ CLIENT_ORIGIN_URL: 'https://app.example.com' });
    try {
      const allowed = await request(`${h.url}/api/messages/public`, { headers: { origin: 'https://app.example.com' } });
      assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://app.example.com');
      const former = await request(`${h.url}/api/messages/public`, { headers: { origin: CLIENT_ORIGIN } });
      assert.equal(former.headers.get('access-control-allow-origin'), null);
    } finally {
      await h.close();
    }
  });
});
