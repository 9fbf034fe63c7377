import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { ADMIN, type Harness } from '../helpers/harness.js';
import { useHarness } from '../helpers/use-harness.js';

async function post(h: Harness, query: string, variables: Record<string, unknown> = {}, token?: string) {
  const response = await fetch(`${h.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: Array<{ message: string; extensions: Record<string, unknown> }> } };
}

describe('AUTHZ_UNAUTHORIZED_MODE=reject, outside production', () => {
  const harness = useHarness({ AUTHZ_UNAUTHORIZED_MODE: 'reject' });

  it('refuses an anonymous operation that selects a guarded field with 401, listing it, and runs nothing', async () => {
    const { status, body } = await post(harness(), '{ publicMessage { text } adminMessage { text } }');
    assert.equal(status, 401);
    assert.equal(body.data, undefined);
    assert.deepEqual(body.errors?.map((e) => [e.message, e.extensions]), [['Requires authentication', { code: 'UNAUTHENTICATED', denied: ['Query.adminMessage'] }]]);
  });

  it('asks for a token with the challenge every other 401 carries', async () => {
    const response = await fetch(`${harness().url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ adminMessage { text } }' }) });
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="api", DPoP algs="ES256 PS256 RS256 EdDSA"');
  });

  it('refuses a signed-in caller without the permission with 403', async () => {
    const h = harness();
    const { status, body } = await post(h, '{ messageCount reports { ... on MessageReport { owner } } }', {}, await h.token({ permissions: ['read:messages'] }));
    assert.equal(status, 403);
    assert.deepEqual(body.errors?.[0]?.extensions, { code: 'FORBIDDEN', denied: ['Query.messageCount'] });
  });

  it('counts @skip and @include with the request variables, as execution will', async () => {
    const h = harness();
    const query = 'query($admin: Boolean!) { publicMessage { text } adminMessage @include(if: $admin) { text } }';
    assert.deepEqual(await post(h, query, { admin: false }), { status: 200, body: { data: { publicMessage: { text: 'This is a public message.' } } } });
    assert.equal((await post(h, query, { admin: true })).status, 401);
    assert.equal((await post(h, query, { admin: true }, await h.token({ permissions: [ADMIN] }))).status, 200);
  });

  it('lets objects a list leaves out pass, and leaves policies to run time, where a denial nulls the field', async () => {
    const h = harness();
    assert.equal((await post(h, '{ reports { title } }')).status, 200);
    const { status, body } = await post(h, '{ notes { title body } }', {}, await h.token({ sub: 'auth0|tester' }));
    assert.equal(status, 200);
    assert.deepEqual(body.data, { notes: [{ title: 'Release plan', body: 'Ship on Friday.' }, { title: 'Key rotation', body: null }] });
    assert.deepEqual(body.errors?.map((e) => e.extensions['code']), ['FORBIDDEN']);
  });
});

describe('AUTHZ_UNAUTHORIZED_MODE=reject in production', () => {
  const harness = useHarness({ AUTHZ_UNAUTHORIZED_MODE: 'reject', NODE_ENV: 'production' });

  it('does not say which fields were denied', async () => {
    const { status, body } = await post(harness(), '{ adminMessage { text } }');
    assert.equal(status, 401);
    assert.deepEqual(body.errors?.[0]?.extensions, { code: 'UNAUTHENTICATED' });
  });
});

describe('AUTHZ_UNAUTHORIZED_MODE unset (filter)', () => {
  const harness = useHarness();

  it('nulls the denied field and answers the rest', async () => {
    const { status, body } = await post(harness(), '{ publicMessage { text } adminMessage { text } }');
    assert.equal(status, 200);
    assert.deepEqual(body.data, { publicMessage: { text: 'This is a public message.' }, adminMessage: null });
  });
});

describe('AUTHZ_UNAUTHORIZED_MODE=reject over WebSockets', () => {
  const harness = useHarness({ AUTHZ_UNAUTHORIZED_MODE: 'reject' });

  it('refuses a subscription to a denied field before it starts, listing the coordinate', async () => {
    const h = harness();
    const client = createClient({ url: `${h.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
    const errors = await new Promise<unknown>((resolve) => {
      client.subscribe({ query: 'subscription { adminMessageFeed { text } }' }, { next: () => resolve('an event'), error: resolve, complete: () => resolve('completed') });
    });
    await client.dispose();
    assert.deepEqual(errors, [{ message: 'Requires authentication', extensions: { code: 'UNAUTHENTICATED', denied: ['Subscription.adminMessageFeed'] } }]);
  });
});

describe('reject mode against real execution in filter mode', () => {
  const filter = useHarness();
  const reject = useHarness({ AUTHZ_UNAUTHORIZED_MODE: 'reject' });
  const cases: Array<{ query: string; variables?: Record<string, unknown>; permissions?: string[] }> = [
    { query: '{ publicMessage { text } }' },
    { query: '{ protectedMessage { text } }' },
    { query: '{ protectedMessage { text } }', permissions: [] },
    { query: '{ adminMessage { text } }', permissions: ['read:messages'] },
    { query: 'query($s: Boolean!) { adminMessage @skip(if: $s) { text } }', variables: { s: true } },
    { query: 'query($s: Boolean!) { adminMessage @skip(if: $s) { text } }', variables: { s: false }, permissions: [] },
    { query: '{ ...F } fragment F on Query { messageCount }', permissions: ['read:admin-stats'] },
    { query: '{ ... on Query { messageCount } }', permissions: ['read:messages'] },
    { query: '{ reports { title owner } }' },
    { query: '{ reports { title ... on AdminStats { adminMessageCount } } }', permissions: ['read:admin-stats'] },
    { query: '{ reports { ... on AdminStats { adminMessageCount } } }', permissions: ['read:admin-messages'] },
    { query: '{ featured { ... on Report { title } ... on Message { text } } }', permissions: ['read:admin-stats'] },
    { query: 'query($i: Boolean = false) { featured { ... on AdminStats @include(if: $i) { uptimeSeconds adminMessageCount } } }', permissions: ['read:admin-stats'] },
    { query: 'query($i: Boolean = true) { featured { ... on AdminStats @include(if: $i) { uptimeSeconds adminMessageCount } } }', permissions: ['read:admin-stats'] },
  ];

  it('refuses exactly the operations in which filter mode denies a field, with those fields', async () => {
    for (const { query, variables, permissions } of cases) {
      const token = permissions ? await filter().token({ permissions }) : undefined;
      const filtered = await post(filter(), query, variables, token);
      const rejected = await post(reject(), query, variables, permissions ? await reject().token({ permissions }) : undefined);
      const deniedPaths = (filtered.body.errors ?? []).map((e) => e.extensions['code']);
      const label = `${query} ${JSON.stringify(variables ?? {})} ${JSON.stringify(permissions ?? null)}`;
      if (deniedPaths.length === 0) {
        assert.deepEqual(rejected, filtered, label);
      } else {
        assert.equal(rejected.status, token ? 403 : 401, label);
        assert.equal(rejected.body.errors?.[0]?.extensions['code'], token ? 'FORBIDDEN' : 'UNAUTHENTICATED', label);
      }
    }
  });
});
