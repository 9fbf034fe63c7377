import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { ADMIN, CLIENT_ORIGIN, startHarness, type GraphQLResponse, type Harness } from '../helpers/harness.js';
import { useHarness } from '../helpers/use-harness.js';

const CHEAP = '{ publicMessage { text } }';
/** Four fields of the reference's cost: 4 points. */
const EXPENSIVE = '{ a: publicMessage { text } b: protectedMessage { text } c: adminMessage { text } d: publicMessage { text } }';

/** `r` of the `RateLimit` header: the points left in the window. */
function remaining(headers: Headers): number | undefined {
  const match = /;r=(\d+)/.exec(headers.get('ratelimit') ?? '');
  return match ? Number(match[1]) : undefined;
}

function assertRateLimited(response: GraphQLResponse): void {
  assert.equal(response.status, 429);
  assert.deepEqual(response.body, { errors: [{ message: 'Too Many Requests', extensions: { code: 'RATE_LIMITED' } }] });
  assert.match(response.headers.get('retry-after') ?? '', /^\d+$/);
  assert.equal(remaining(response.headers), 0);
}

/** POSTs a raw body to `/graphql`, as a client that does not go through `h.graphql` would. */
async function postRaw(h: Harness, body: string, headers: Record<string, string> = {}): Promise<GraphQLResponse> {
  const response = await fetch(`${h.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResponse['body'] };
}

async function rest(h: Harness, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${h.url}/api/messages/${path}`, { headers });
}

describe('rate limits: quota and refill', () => {
  it('allows the quota in a window, refuses the rest with 429 until the window ends, then allows it again', async (t) => {
    const h = await startHarness({ RATE_LIMIT_ANONYMOUS: '3/60' });
    try {
      t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
      for (const left of [2, 1, 0]) {
        const ok = await h.graphql(CHEAP);
        assert.equal(ok.status, 200);
        assert.equal(ok.headers.get('ratelimit-policy'), '"anonymous";q=3;w=60');
        assert.equal(ok.headers.get('ratelimit'), `"anonymous";r=${left};t=60`);
        assert.equal(ok.headers.get('retry-after'), null);
      }
      const refused = await h.graphql(CHEAP);
      assertRateLimited(refused);
      assert.equal(refused.headers.get('retry-after'), '60');
      assert.equal(refused.headers.get('ratelimit'), '"anonymous";r=0;t=60');

      t.mock.timers.tick(59_000);
      const stillRefused = await h.graphql(CHEAP);
      assertRateLimited(stillRefused);
      assert.equal(stillRefused.headers.get('retry-after'), '1');

      t.mock.timers.tick(1_000);
      const refilled = await h.graphql(CHEAP);
      assert.equal(refilled.status, 200);
      assert.equal(refilled.headers.get('ratelimit'), '"anonymous";r=2;t=60');
    } finally {
      await h.close();
    }
  });
});

describe('rate limits: who the caller is', () => {
  const harness = useHarness({ RATE_LIMIT: '2/60', RATE_LIMIT_ANONYMOUS: '2/60' });

  it('gives each token subject its own quota, apart from the anonymous one', async () => {
    const h = harness();
    const alice = await h.token({ sub: 'auth0|alice' });
    const bob = await h.token({ sub: 'auth0|bob' });
    assert.equal((await h.graphql(CHEAP, alice)).status, 200);
    assert.equal((await h.graphql(CHEAP, alice)).status, 200);
    assertRateLimited(await h.graphql(CHEAP, alice));
    // A new token for the same subject is the same caller.
    assertRateLimited(await h.graphql(CHEAP, await h.token({ sub: 'auth0|alice', jti: 'another' })));
    const forBob = await h.graphql(CHEAP, bob);
    assert.equal(forBob.status, 200);
    assert.equal(forBob.headers.get('ratelimit'), '"authenticated";r=1;t=60');
    const anonymous = await h.graphql(CHEAP);
    assert.equal(anonymous.status, 200);
    assert.equal(anonymous.headers.get('ratelimit'), '"anonymous";r=1;t=60');
  });

  it('charges an invalid token to the client address, so bad tokens cannot skip the anonymous quota', async () => {
    const h = await startHarness({ RATE_LIMIT: '100/60', RATE_LIMIT_ANONYMOUS: '2/60' });
    try {
      const forged = await h.token({ aud: 'https://someone-else.example.com' });
      const first = await h.graphql(CHEAP, forged);
      assert.equal(first.status, 401);
      assert.equal(first.headers.get('ratelimit'), '"anonymous";r=1;t=60');
      assert.equal((await rest(h, 'public', { authorization: 'Bearer not-a-token' })).status, 401);
      assertRateLimited(await h.graphql(CHEAP, forged));
      assertRateLimited(await h.graphql(CHEAP));
      // A valid token is another caller.
      assert.equal((await h.graphql(CHEAP, await h.token())).status, 200);
    } finally {
      await h.close();
    }
  });
});

describe('rate limits: TRUSTED_PROXIES', () => {
  const forwarded = (h: Harness, chain: string) => h.graphql(CHEAP, undefined, { 'x-forwarded-for': chain });

  it('ignores X-Forwarded-For when unset: every request from this peer is one caller', async () => {
    const h = await startHarness({ RATE_LIMIT_ANONYMOUS: '2/60' });
    try {
      assert.equal((await forwarded(h, '203.0.113.1')).status, 200);
      assert.equal((await forwarded(h, '203.0.113.2')).status, 200);
      assertRateLimited(await forwarded(h, '203.0.113.3'));
    } finally {
      await h.close();
    }
  });

  it('reads the client from X-Forwarded-For when the peer is trusted, past what the client itself wrote', async () => {
    const h = await startHarness({ RATE_LIMIT_ANONYMOUS: '2/60', TRUSTED_PROXIES: 'loopback' });
    try {
      assert.equal((await forwarded(h, '203.0.113.1')).status, 200);
      assert.equal((await forwarded(h, '203.0.113.1')).status, 200);
      assertRateLimited(await forwarded(h, '203.0.113.1'));
      // A client that writes its own X-Forwarded-For: the trusted proxy appends the real address.
      assertRateLimited(await forwarded(h, '198.51.100.99, 203.0.113.1'));
      assert.equal((await forwarded(h, '203.0.113.2')).status, 200);
      assert.equal((await forwarded(h, '203.0.113.1, 203.0.113.3')).status, 200);
    } finally {
      await h.close();
    }
  });

  it('ignores a spoofed X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    const h = await startHarness({ RATE_LIMIT_ANONYMOUS: '2/60', TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.1' });
    try {
      assert.equal((await forwarded(h, '203.0.113.1')).status, 200);
      assert.equal((await forwarded(h, '10.0.0.5')).status, 200);
      assertRateLimited(await forwarded(h, '203.0.113.7'));
    } finally {
      await h.close();
    }
  });
});

describe('rate limits: what a request costs', () => {
  const harness = useHarness({ RATE_LIMIT: '10/60', RATE_LIMIT_ANONYMOUS: '10/60' });

  it('charges an operation its cost estimate, scaled so that the reference query costs 1', async () => {
    const h = harness();
    const token = await h.token({ sub: 'auth0|cost', permissions: [ADMIN] });
    const cheap = await h.graphql('{ adminMessage { text } }', token);
    assert.equal(remaining(cheap.headers), 9);
    const expensive = await h.graphql(EXPENSIVE, token);
    assert.equal(expensive.status, 200);
    assert.equal(remaining(expensive.headers), 5);
    assert.equal(remaining((await h.graphql(EXPENSIVE, token)).headers), 1);
    // 4 points with 1 left: refused, while a 1-point query would have passed.
    assertRateLimited(await h.graphql(EXPENSIVE, token));
  });

  it('uses a quota up faster with an expensive query than with a cheap one', async () => {
    const h = harness();
    const count = async (query: string, sub: string) => {
      const token = await h.token({ sub });
      let allowed = 0;
      while ((await h.graphql(query, token)).status === 200) allowed += 1;
      return allowed;
    };
    assert.equal(await count(CHEAP, 'auth0|cheap'), 10);
    assert.equal(await count(EXPENSIVE, 'auth0|expensive'), 2);
  });

  it('charges 1 point for a request refused before execution, and a REST request 1 point', async () => {
    const h = harness();
    const token = await h.token({ sub: 'auth0|refused' });
    const syntax = await h.graphql('{ publicMessage { text ', token);
    assert.equal(syntax.status, 400);
    assert.equal(remaining(syntax.headers), 9);
    const invalid = await h.graphql('{ noSuchField }', token);
    assert.equal(invalid.status, 400);
    assert.equal(remaining(invalid.headers), 8);
    const viaRest = await rest(h, 'protected', { authorization: `Bearer ${token}` });
    assert.equal(viaRest.status, 200);
    assert.equal(remaining(viaRest.headers), 7);
  });

  it('charges 1 point, not its cost, for an operation reject mode refuses', async () => {
    const h = await startHarness({ RATE_LIMIT_ANONYMOUS: '10/60', AUTHZ_UNAUTHORIZED_MODE: 'reject' });
    try {
      const rejected = await h.graphql(EXPENSIVE);
      assert.equal(rejected.status, 401);
      assert.equal(remaining(rejected.headers), 9);
      assert.equal(remaining((await h.graphql(CHEAP)).headers), 8);
    } finally {
      await h.close();
    }
  });

  it('answers an over-quota refusal 429 even where the request would have failed anyway', async () => {
    const h = harness();
    const token = await h.token({ sub: 'auth0|spent' });
    for (let i = 0; i < 10; i += 1) assert.equal((await h.graphql(CHEAP, token)).status, 200);
    assertRateLimited(await h.graphql('{ publicMessage { text ', token));
    const viaRest = await rest(h, 'protected', { authorization: `Bearer ${token}` });
    assert.equal(viaRest.status, 429);
    assert.deepEqual(await viaRest.json(), { message: 'Too Many Requests' });
    assert.equal(viaRest.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(viaRest.headers.get('retry-after'), '60');
    assert.equal(viaRest.headers.get('ratelimit'), '"authenticated";r=0;t=60');
  });
});

describe('rate limits: requests refused before they are charged', () => {
  /** A manifest of one operation, for trusted documents in `enforce` mode (the default mode). */
  const manifest = join(mkdtempSync(join(tmpdir(), 'rate-limit-documents-')), 'persisted-documents.json');
  writeFileSync(manifest, JSON.stringify({ 'sha256:listed': CHEAP }));
  const unknownDocument = (h: Harness, token?: string, headers: Record<string, string> = {}) =>
    postRaw(h, JSON.stringify({ documentId: 'sha256:not-listed' }), { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers });
  const listed = (h: Harness, token?: string) => postRaw(h, JSON.stringify({ documentId: 'sha256:listed' }), token ? { authorization: `Bearer ${token}` } : {});

  it('charges an untrusted document 1 point to the client address, token or not, then answers 429 even to a listed one', async () => {
    const h = await startHarness({ TRUSTED_DOCUMENTS: manifest, RATE_LIMIT: '10/60', RATE_LIMIT_ANONYMOUS: '3/60' });
    try {
      const token = await h.token({ sub: 'auth0|gated' });
      for (const [left, answer] of [
        [2, await unknownDocument(h)],
        // A token is not verified before the gate: the address pays, never the bucket a token names.
        [1, await unknownDocument(h, token)],
        [0, await unknownDocument(h, 'not-even-a-token')],
      ] as const) {
        assert.equal(answer.status, 400);
        assert.equal(answer.body.errors?.[0]?.extensions?.['code'], 'PERSISTED_QUERY_NOT_IN_LIST');
        assert.equal(answer.headers.get('ratelimit-policy'), '"anonymous";q=3;w=60');
        assert.equal(answer.headers.get('ratelimit'), `"anonymous";r=${left};t=60`);
      }
      assertRateLimited(await unknownDocument(h));
      assertRateLimited(await listed(h));
      assertRateLimited(await h.graphql(CHEAP));
      // The token's own quota was never touched: 10 points, 1 spent now.
      const own = await listed(h, token);
      assert.equal(own.status, 200);
      assert.equal(own.headers.get('ratelimit'), '"authenticated";r=9;t=60');
    } finally {
      await h.close();
    }
  });

  it('charges a refusal to the address a trusted proxy names', async () => {
    const h = await startHarness({ TRUSTED_DOCUMENTS: manifest, RATE_LIMIT_ANONYMOUS: '2/60', TRUSTED_PROXIES: 'loopback' });
    try {
      const from = (address: string) => ({ 'x-forwarded-for': address });
      assert.equal((await unknownDocument(h, undefined, from('203.0.113.1'))).status, 400);
      assert.equal((await unknownDocument(h, undefined, from('203.0.113.1'))).status, 400);
      assertRateLimited(await unknownDocument(h, undefined, from('203.0.113.1')));
      const other = await unknownDocument(h, undefined, from('203.0.113.2'));
      assert.equal(other.status, 400);
      assert.equal(remaining(other.headers), 1);
    } finally {
      await h.close();
    }
  });

  it('charges a malformed JSON body 1 point to the client address, and answers the next request 429', async () => {
    const h = await startHarness({ RATE_LIMIT: '10/60', RATE_LIMIT_ANONYMOUS: '2/60' });
    try {
      const token = await h.token({ sub: 'auth0|malformed' });
      const first = await postRaw(h, '{"query": ', { authorization: `Bearer ${token}` });
      assert.equal(first.status, 400);
      assert.deepEqual(first.body, { message: 'Malformed JSON body' });
      assert.equal(first.headers.get('ratelimit'), '"anonymous";r=1;t=60');
      const second = await postRaw(h, 'not json');
      assert.equal(second.status, 400);
      assert.equal(second.headers.get('ratelimit'), '"anonymous";r=0;t=60');
      assertRateLimited(await postRaw(h, '{"query": '));
      assertRateLimited(await h.graphql(CHEAP));
      assert.equal((await h.graphql(CHEAP, token)).headers.get('ratelimit'), '"authenticated";r=9;t=60');
    } finally {
      await h.close();
    }
  });

  it("charges a request Apollo's CSRF prevention refuses 1 point, before any token is read", async () => {
    const h = await startHarness({ RATE_LIMIT: '10/60', RATE_LIMIT_ANONYMOUS: '2/60' });
    try {
      const token = await h.token({ sub: 'auth0|csrf' });
      // A GET without a content-type or `apollo-require-preflight` is one a browser sends cross-site unasked.
      const csrf = await fetch(`${h.url}/graphql?query=${encodeURIComponent(CHEAP)}`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(csrf.status, 400);
      assert.match(((await csrf.json()) as GraphQLResponse['body']).errors?.[0]?.message ?? '', /CSRF/);
      assert.equal(csrf.headers.get('ratelimit'), '"anonymous";r=1;t=60');
      const plainText = await postRaw(h, JSON.stringify({ query: CHEAP }), { 'content-type': 'text/plain' });
      assert.equal(plainText.status, 400);
      assert.equal(plainText.headers.get('ratelimit'), '"anonymous";r=0;t=60');
      assertRateLimited(await postRaw(h, JSON.stringify({ query: CHEAP }), { 'content-type': 'text/plain' }));
      assertRateLimited(await h.graphql(CHEAP));
    } finally {
      await h.close();
    }
  });

  it('charges a REST request with a method the route does not serve 1 point', async () => {
    const h = await startHarness({ RATE_LIMIT_ANONYMOUS: '1/60' });
    try {
      const post = () => fetch(`${h.url}/api/messages/public`, { method: 'POST' });
      const refused = await post();
      assert.equal(refused.status, 405);
      assert.equal(refused.headers.get('ratelimit'), '"anonymous";r=0;t=60');
      const over = await post();
      assert.equal(over.status, 429);
      assert.deepEqual(await over.json(), { message: 'Too Many Requests' });
      assert.equal(over.headers.get('retry-after'), '60');
      assert.equal((await rest(h, 'public')).status, 429);
    } finally {
      await h.close();
    }
  });

  it('charges a per-caller schema download 1 point, as it verifies the token like a REST request', async () => {
    const h = await startHarness({ GRAPHQL_INTROSPECTION: 'per-caller', RATE_LIMIT_ANONYMOUS: '1/60' });
    try {
      const schema = () => fetch(`${h.url}/schema.graphql`);
      const served = await schema();
      assert.equal(served.status, 200);
      assert.equal(served.headers.get('ratelimit'), '"anonymous";r=0;t=60');
      const over = await schema();
      assert.equal(over.status, 429);
      assert.equal(over.headers.get('retry-after'), '60');
    } finally {
      await h.close();
    }
  });

  it('charges a request exactly once, whether it runs or Apollo refuses it after its caller is known', async () => {
    const h = await startHarness({ TRUSTED_DOCUMENTS: manifest, TRUSTED_DOCUMENTS_MODE: 'log', RATE_LIMIT: '10/60', RATE_LIMIT_ANONYMOUS: '10/60' });
    try {
      const token = await h.token({ sub: 'auth0|once', permissions: [ADMIN] });
      const ran = await h.graphql('{ adminMessage { text } }', token);
      assert.equal(ran.status, 200);
      assert.equal(ran.headers.get('ratelimit'), '"authenticated";r=9;t=60');
      const byDocument = await listed(h, token);
      assert.equal(byDocument.status, 200);
      assert.equal(remaining(byDocument.headers), 8);
      // Refused by Apollo after the token was verified: its holder pays 1, once.
      const wrongMethod = await fetch(`${h.url}/graphql`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
      assert.equal(wrongMethod.status, 405);
      assert.equal(wrongMethod.headers.get('ratelimit'), '"authenticated";r=7;t=60');
      const batch = await postRaw(h, JSON.stringify([{ query: CHEAP }]), { authorization: `Bearer ${token}` });
      assert.equal(batch.status, 400);
      assert.equal(remaining(batch.headers), 6);
      const noQuery = await fetch(`${h.url}/graphql`, { headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' } });
      assert.equal(noQuery.status, 400);
      assert.equal(remaining(noQuery.headers), 5);
      const invalidToken = await h.graphql(CHEAP, 'not-a-token');
      assert.equal(invalidToken.status, 401);
      assert.equal(invalidToken.headers.get('ratelimit'), '"anonymous";r=9;t=60');
      assert.equal((await h.graphql(CHEAP)).headers.get('ratelimit'), '"anonymous";r=8;t=60');
      assert.equal((await h.graphql(CHEAP, token)).headers.get('ratelimit'), '"authenticated";r=4;t=60');
    } finally {
      await h.close();
    }
  });
});

describe('rate limits: headers', () => {
  it('lets a browser read them, and leaves them off responses no quota applies to', async () => {
    const h = await startHarness({ RATE_LIMIT_ANONYMOUS: '5/60' });
    try {
      const response = await h.graphql(CHEAP, undefined, { origin: CLIENT_ORIGIN });
      const exposed = (response.headers.get('access-control-expose-headers') ?? '').split(/,\s*/);
      for (const name of ['Retry-After', 'RateLimit', 'RateLimit-Policy']) assert.ok(exposed.includes(name), `${name} is exposed`);
      const preflight = await fetch(`${h.url}/graphql`, { method: 'OPTIONS', headers: { origin: CLIENT_ORIGIN, 'access-control-request-method': 'POST' } });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('ratelimit'), null, 'a preflight is not charged');
      // RATE_LIMIT is unset: an authenticated caller has no quota.
      const authenticated = await h.graphql(CHEAP, await h.token());
      assert.equal(authenticated.status, 200);
      assert.equal(authenticated.headers.get('ratelimit'), null);
      assert.equal(authenticated.headers.get('ratelimit-policy'), null);
      assert.equal(remaining((await h.graphql(CHEAP)).headers), 3);
    } finally {
      await h.close();
    }
  });

  it('are absent when no quota is set', async () => {
    const h = await startHarness();
    try {
      const response = await h.graphql(CHEAP);
      assert.equal(response.headers.get('ratelimit'), null);
      assert.equal((await rest(h, 'public')).headers.get('ratelimit-policy'), null);
    } finally {
      await h.close();
    }
  });
});

function client(h: Harness): Client {
  return createClient({ url: `${h.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, onNonLazyError: () => {} });
}

/** Subscribes and resolves with the first `events` results, or the error that refused it. */
function subscribe(c: Client, query: string, events: number): Promise<{ results: unknown[]; error?: unknown }> {
  const results: unknown[] = [];
  return new Promise((resolve) => {
    const stop = c.subscribe(
      { query },
      {
        next: (result) => {
          results.push(result);
          if (results.length === events) {
            stop();
            resolve({ results });
          }
        },
        error: (error) => resolve({ results, error }),
        complete: () => resolve({ results }),
      },
    );
  });
}

describe('rate limits: subscriptions', () => {
  it('charges a subscription its cost when it starts, nothing per event, and refuses one over quota with an error for its id', async () => {
    const h = await startHarness({ RATE_LIMIT_ANONYMOUS: '3/60' });
    const c = client(h);
    try {
      const first = await subscribe(c, 'subscription { publicMessageFeed { text } }', 2);
      assert.equal(first.error, undefined);
      assert.equal(first.results.length, 2);
      // One point for the subscription, none for its two events, one for this request.
      assert.equal(remaining((await h.graphql(CHEAP)).headers), 1);
      const second = await subscribe(c, 'subscription { publicMessageFeed { text } }', 1);
      assert.equal(second.error, undefined);
      const refused = await subscribe(c, 'subscription { publicMessageFeed { text } }', 1);
      assert.deepEqual(refused.error, [{ message: 'Too Many Requests', extensions: { code: 'RATE_LIMITED' } }]);
      assert.deepEqual(refused.results, []);
      // The connection stays open for what the quota allows once it refills.
      assertRateLimited(await h.graphql(CHEAP));
    } finally {
      await c.dispose();
      await h.close();
    }
  });
});
