import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSigningKey } from '../../support/key-set-server.js';
import { ADMIN, AUDIENCE, startHarness, type Harness } from '../helpers/harness.js';

const ALL = '{ publicMessage { text } protectedMessage { text } adminMessage { text } }';
const INVALID_TOKEN = 'Bearer realm="api", error="invalid_token", DPoP algs="ES256 PS256 RS256 EdDSA"';

describe('GraphQL over HTTP with real tokens', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('serves publicMessage to anonymous requests and denies the guarded fields as field errors', async () => {
    const { status, body } = await h.graphql(ALL);
    assert.equal(status, 200);
    assert.deepEqual(body.data, { publicMessage: { text: 'This is a public message.' }, protectedMessage: null, adminMessage: null });
    assert.deepEqual(
      body.errors?.map((e) => [e.path, e.message, e.extensions?.['code']]),
      [
        [['protectedMessage'], 'Requires authentication', 'UNAUTHENTICATED'],
        [['adminMessage'], 'Requires authentication', 'UNAUTHENTICATED'],
      ],
    );
  });

  it('serves everything to a token with read:admin-messages', async () => {
    const { status, body } = await h.graphql(ALL, await h.token({ permissions: [ADMIN] }));
    assert.equal(status, 200);
    assert.equal(body.errors, undefined);
    assert.deepEqual(body.data, {
      publicMessage: { text: 'This is a public message.' },
      protectedMessage: { text: 'This is a protected message.' },
      adminMessage: { text: 'This is an admin message.' },
    });
  });

  it('gives a partial result with FORBIDDEN when the permission is missing', async () => {
    const { status, body } = await h.graphql(ALL, await h.token({ permissions: ['read:messages'] }));
    assert.equal(status, 200);
    assert.deepEqual(body.data?.['protectedMessage'], { text: 'This is a protected message.' });
    assert.equal(body.data?.['adminMessage'], null);
    assert.deepEqual(body.errors?.map((e) => [e.path, e.message, e.extensions?.['code']]), [
      [['adminMessage'], 'Permission denied', 'FORBIDDEN'],
    ]);
  });

  it('accepts an audience array that contains the API', async () => {
    const { body } = await h.graphql('{ protectedMessage { text } }', await h.token({ aud: ['https://other', AUDIENCE] }));
    assert.deepEqual(body.data, { protectedMessage: { text: 'This is a protected message.' } });
  });

  it('matches the scheme case-insensitively', async () => {
    const token = await h.token({ permissions: [ADMIN] });
    const { body } = await h.graphql('{ adminMessage { text } }', undefined, { authorization: `bEARER ${token}` });
    assert.deepEqual(body.data, { adminMessage: { text: 'This is an admin message.' } });
  });

  describe('rejects invalid tokens with 401, one error, no data and an RFC 6750 challenge', () => {
    const now = () => Math.floor(Date.now() / 1000);
    const cases: Record<string, () => Promise<string>> = {
      'an expired token': () => h.token({ exp: now() - 60 }),
      'a token not valid yet': () => h.token({ nbf: now() + 120 }),
      'a token without exp': () => h.token({ exp: undefined }),
      'a token for another audience': () => h.token({ aud: 'https://other.example.com' }),
      'a token without audience': () => h.token({ aud: undefined }),
      'a token from another issuer': () => h.token({ iss: 'https://evil.example.com/' }),
      'a token whose issuer lacks the trailing slash': () => h.token({ iss: h.idp.issuer.slice(0, -1) }),
      'a token signed by an unpublished key': async () => h.token({}, await createSigningKey('test-key-1')),
      'a tampered payload': async () => {
        const [head, , sig] = (await h.token()).split('.');
        const payload = Buffer.from(JSON.stringify({ iss: h.idp.issuer, aud: AUDIENCE, exp: now() + 60, permissions: [ADMIN] })).toString('base64url');
        return `${head}.${payload}.${sig}`;
      },
      'alg none': async () => {
        const [, payload] = (await h.token({ permissions: [ADMIN] })).split('.');
        return `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`;
      },
      'garbage': async () => 'not.a.jwt',
    };
    for (const [name, make] of Object.entries(cases)) {
      it(name, async () => {
        const { status, headers, body } = await h.graphql(ALL, await make());
        assert.equal(status, 401);
        assert.equal(headers.get('www-authenticate'), INVALID_TOKEN);
        assert.equal(body.data, undefined);
        assert.deepEqual(body.errors, [{ message: 'Bad credentials', extensions: { code: 'UNAUTHENTICATED' } }]);
      });
    }
  });

  describe('rejects malformed Authorization headers with a 4xx JSON error and no data', () => {
    for (const header of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b', 'Token abc', `Bearer ${'a'.repeat(9000)}`]) {
      it(JSON.stringify(header.slice(0, 30)), async () => {
        const { status, body } = await h.graphql(ALL, undefined, { authorization: header });
        assert.ok(status >= 400 && status < 500, `status ${status}`);
        assert.equal(body.data, undefined);
        assert.equal(body.errors?.[0]?.extensions?.['code'], 'UNAUTHENTICATED');
      });
    }
  });

  it('serves introspection, because tooling depends on it', async () => {
    const { status, body } = await h.graphql('{ __schema { queryType { fields { name } } } }');
    assert.equal(status, 200);
    assert.ok(JSON.stringify(body.data).includes('adminMessage'));
  });

  it('never puts a stack trace in an error', async () => {
    const { body } = await h.graphql('{ adminMessage { text } }');
    assert.doesNotMatch(JSON.stringify(body), /stacktrace|at .*\.js/);
  });
});

describe('production switches', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'false' });
  });
  after(() => h.close());

  it('turns introspection off on request', async () => {
    const { status, body } = await h.graphql('{ __schema { queryType { name } } }');
    assert.equal(status, 400);
    assert.equal(body.errors?.[0]?.extensions?.['code'], 'GRAPHQL_VALIDATION_FAILED');
  });

  it('hides field suggestions in production', async () => {
    const { body } = await h.graphql('{ adminMesage { text } }');
    assert.doesNotMatch(JSON.stringify(body), /Did you mean/);
  });
});
