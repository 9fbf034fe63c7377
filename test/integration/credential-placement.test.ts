import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN, type Harness } from '../helpers/harness.js';
import { startLoggedHarness } from '../helpers/log-capture.js';
import type { CapturedLogs } from '../helpers/log-capture.js';
import { rawRequest } from '../helpers/http-request.js';

/**
 * Credentials this API refuses to guess about (RFC 6750 §3.1 `invalid_request`, answered 400):
 * two `Authorization` headers, and an `access_token` in the URL, on GraphQL and REST alike.
 */
const INVALID_REQUEST = 'Bearer realm="api", error="invalid_request", DPoP algs="ES256 PS256 RS256 EdDSA"';
const ADMIN_QUERY = '{ adminMessage { text } }';

interface Answer {
  status: number;
  challenge: string | undefined;
  body: { data?: unknown; errors?: unknown; message?: string };
}

/** A request with headers as given, repeated ones included, which fetch would merge into one. */
async function send(url: string, method: string, headers: Record<string, string | string[]> | string[], body?: string): Promise<Answer> {
  const answer = await rawRequest(url, method, headers, body === undefined ? [] : [body]);
  return { status: answer.status, challenge: answer.headers['www-authenticate'], body: JSON.parse(answer.body) as Answer['body'] };
}

describe('credentials in more than one place', () => {
  let h: Harness;
  let logs: CapturedLogs;
  let admin: string;
  let other: string;
  before(async () => {
    ({ h, logs } = await startLoggedHarness());
    admin = await h.token({ permissions: [ADMIN] });
    other = await h.token({ sub: 'auth0|someone-else', permissions: [] });
  });
  after(() => h.close());

  const graphqlPost = (headers: Record<string, string | string[]>, path = '/graphql') =>
    send(`${h.url}${path}`, 'POST', { 'content-type': 'application/json', ...headers }, JSON.stringify({ query: ADMIN_QUERY }));
  const graphqlGet = (headers: Record<string, string | string[]>, query = '') =>
    send(`${h.url}/graphql?query=${encodeURIComponent(ADMIN_QUERY)}${query}`, 'GET', { 'apollo-require-preflight': 'true', ...headers });
  const rest = (headers: Record<string, string | string[]>, query = '') => send(`${h.url}/api/messages/admin${query}`, 'GET', headers);

  function assertBadRequest({ status, challenge, body }: Answer): void {
    assert.equal(status, 400);
    assert.equal(challenge, INVALID_REQUEST);
    assert.equal(body.data, undefined, 'nothing may execute');
  }

  it('answers each route normally with one Authorization header, so the refusals below are about placement', async () => {
    assert.deepEqual((await graphqlPost({ authorization: `Bearer ${admin}` })).body, { data: { adminMessage: { text: 'This is an admin message.' } } });
    assert.equal((await graphqlGet({ authorization: `Bearer ${admin}` })).status, 200);
    assert.deepEqual((await rest({ authorization: `Bearer ${admin}` })).body, { text: 'This is an admin message.' });
  });

  describe('two Authorization headers', () => {
    const variants = {
      'two different tokens': () => [`Bearer ${admin}`, `Bearer ${other}`],
      'the same token twice': () => [`Bearer ${admin}`, `Bearer ${admin}`],
      'a token and an empty header': () => [`Bearer ${admin}`, ''],
    };
    for (const [name, values] of Object.entries(variants)) {
      it(`refuses ${name} on POST /graphql, GET /graphql and REST`, async () => {
        assertBadRequest(await graphqlPost({ authorization: values() }));
        assertBadRequest(await graphqlGet({ authorization: values() }));
        const answer = await rest({ authorization: values() });
        assertBadRequest(answer);
        assert.deepEqual(answer.body, { message: 'Bad credentials' });
      });
    }

    it('refuses differently cased header names as the same header', async () => {
      const body = JSON.stringify({ query: ADMIN_QUERY });
      // A raw header list keeps both spellings, but Node then adds neither Host nor framing itself.
      const headers = ['host', new URL(h.url).host, 'content-type', 'application/json', 'content-length', String(body.length), 'Authorization', `Bearer ${admin}`, 'AUTHORIZATION', `Bearer ${other}`];
      assertBadRequest(await send(`${h.url}/graphql`, 'POST', headers, body));
    });
  });

  describe('access_token in the query string', () => {
    for (const [name, query] of Object.entries({ 'with a token': `&access_token=${'x'.repeat(20)}`, 'empty': '&access_token=', 'alone': '&access_token' })) {
      it(`refuses it ${name} on GraphQL and REST, with or without a header`, async () => {
        assertBadRequest(await graphqlGet({}, query));
        assertBadRequest(await graphqlGet({ authorization: `Bearer ${admin}` }, query));
        assertBadRequest(await graphqlPost({}, `/graphql?${query.slice(1)}`));
        assertBadRequest(await rest({}, `?${query.slice(1)}`));
      });
    }

    it('reads other parameters as before', async () => {
      assert.equal((await rest({}, '?access=1&token=2')).status, 401);
      assert.deepEqual((await graphqlGet({ authorization: `Bearer ${admin}` }, '&variables=%7B%7D')).body, {
        data: { adminMessage: { text: 'This is an admin message.' } },
      });
    });
  });

  it('logs each refusal at info with its reason, never with a token', () => {
    const reasons = new Set(logs.lines.filter((l) => l['msg'] === 'credentials rejected').map((l) => `${String(l['level'])} ${String(l['reason'])}`));
    assert.deepEqual(reasons, new Set(['30 credentials in more than one header', '30 access_token in the query string']));
    assert.ok(!logs.raw().includes(admin.split('.')[2]!), 'no signature in the log');
  });
});
