import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errorCodeOf, httpStatusOf } from '../../src/errors.js';
import { ADMIN, startHarness, type Harness } from '../helpers/harness.js';
import { bearer, request } from '../helpers/http-request.js';

const TEXT = {
  public: { text: 'This is a public message.' },
  protected: { text: 'This is a protected message.' },
  admin: { text: 'This is an admin message.' },
};
const FIELD = { public: 'publicMessage', protected: 'protectedMessage', admin: 'adminMessage' } as const;
type Route = keyof typeof FIELD;
const ROUTES = Object.keys(FIELD) as Route[];

const MISSING = 'Bearer realm="api", DPoP algs="ES256 PS256 RS256 EdDSA"';
const INVALID_TOKEN = 'Bearer realm="api", error="invalid_token", DPoP algs="ES256 PS256 RS256 EdDSA"';

describe('the seed REST API, mirrored over real HTTP with real tokens', () => {
  let h: Harness;
  const get = (route: Route, token?: string, headers: Record<string, string> = {}) =>
    request(`${h.url}/api/messages/${route}`, { headers: { ...bearer(token), ...headers } });

  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('serves the public message to anyone', async () => {
    const { status, contentType, body } = await get('public');
    assert.equal(status, 200);
    assert.match(contentType, /^application\/json/);
    assert.deepEqual(body, TEXT.public);
  });

  it('answers 401 Requires authentication with a bare challenge when there is no token', async () => {
    for (const route of ['protected', 'admin'] as const) {
      const { status, headers, body } = await get(route);
      assert.equal(status, 401, route);
      assert.equal(headers.get('www-authenticate'), MISSING, route);
      assert.deepEqual(body, { message: 'Requires authentication' }, route);
    }
  });

  it('serves the protected message to any valid token', async () => {
    const { status, body } = await get('protected', await h.token());
    assert.equal(status, 200);
    assert.deepEqual(body, TEXT.protected);
  });

  it('answers 403 Permission denied to a valid token without read:admin-messages', async () => {
    // Which claims grant the permission is the guard's business, tested once in permissions-claim.test.ts.
    for (const permissions of [undefined, ['read:messages']]) {
      const { status, headers, body } = await get('admin', await h.token({ permissions }));
      assert.equal(status, 403, JSON.stringify(permissions));
      assert.equal(headers.get('www-authenticate'), null);
      assert.deepEqual(body, { message: 'Permission denied' }, JSON.stringify(permissions));
    }
  });

  it('serves all three messages to a token with read:admin-messages', async () => {
    const token = await h.token({ permissions: [ADMIN] });
    for (const route of ROUTES) {
      const { status, body } = await get(route, token);
      assert.equal(status, 200, route);
      assert.deepEqual(body, TEXT[route], route);
    }
  });

  it('answers 401 Bad credentials with an invalid_token challenge to an invalid token, on every route', async () => {
    const now = Math.floor(Date.now() / 1000);
    const invalid = [await h.token({ exp: now - 60, permissions: [ADMIN] }), await h.token({ aud: 'https://other.example.com' }), 'not.a.jwt'];
    for (const route of ROUTES) {
      for (const token of invalid) {
        const { status, headers, body } = await get(route, token);
        assert.equal(status, 401, route);
        assert.equal(headers.get('www-authenticate'), INVALID_TOKEN, route);
        assert.deepEqual(body, { message: 'Bad credentials' }, route);
      }
    }
  });

  it('answers 401 Bad credentials with an invalid_request challenge to a malformed Authorization header', async () => {
    for (const authorization of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b']) {
      const { status, headers, body } = await get('protected', undefined, { authorization });
      assert.equal(status, 401, authorization);
      assert.equal(headers.get('www-authenticate'), 'Bearer realm="api", error="invalid_request", DPoP algs="ES256 PS256 RS256 EdDSA"');
      assert.deepEqual(body, { message: 'Bad credentials' });
    }
  });

  it('answers HEAD like GET, without a body', async () => {
    const response = await fetch(`${h.url}/api/messages/admin`, { method: 'HEAD', headers: bearer(await h.token()) });
    assert.equal(response.status, 403);
    assert.equal(await response.text(), '');
  });

  it('answers 405 Method Not Allowed, with Allow, to other methods on its paths', async () => {
    for (const route of ROUTES) {
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
        const { status, headers, body } = await request(`${h.url}/api/messages/${route}`, { method });
        assert.equal(status, 405, `${method} ${route}`);
        assert.equal(headers.get('allow'), 'GET, HEAD');
        assert.deepEqual(body, { message: 'Method Not Allowed' });
      }
    }
  });

  it('decides every route exactly as GraphQL decides its field, status for error code', async () => {
    const tokens = {
      anonymous: undefined,
      user: await h.token(),
      admin: await h.token({ permissions: [ADMIN] }),
      'string permissions': await h.token({ permissions: ADMIN }),
      expired: await h.token({ exp: 1 }),
    };
    for (const [who, token] of Object.entries(tokens)) {
      for (const route of ROUTES) {
        const rest = await get(route, token);
        const graphql = await h.graphql(`{ ${FIELD[route]} { text } }`, token);
        const error = graphql.body.errors?.[0];
        const expected = error ? { status: httpStatusOf[errorCodeOf(error)], body: { message: error.message } } : { status: 200, body: graphql.body.data?.[FIELD[route]] };
        assert.deepEqual({ status: rest.status, body: rest.body }, expected, `${who} on ${route}`);
      }
    }
  });
});

describe('the REST API while the identity provider cannot be reached', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ TOKEN_CACHE_SIZE: '0' }, { fault: 'status-500' });
  });
  after(() => h.close());

  it('answers 503 Unable to verify credentials to a token, and keeps serving the public message', async () => {
    const { status, headers, body } = await request(`${h.url}/api/messages/protected`, { headers: bearer(await h.token()) });
    assert.equal(status, 503);
    assert.equal(headers.get('retry-after'), '5');
    assert.deepEqual(body, { message: 'Unable to verify credentials' });
    assert.deepEqual((await request(`${h.url}/api/messages/public`)).body, TEXT.public);
  });
});
