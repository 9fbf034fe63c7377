import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { boundToken, createDpopKey, forgeProof, PATIENT_KEY_SET, postGraphql } from '../helpers/dpop.js';
import { ADMIN, startHarness, type Harness } from '../helpers/harness.js';
import { startMetricsListener, type Exposition } from '../helpers/metrics.js';
import { until } from '../helpers/until.js';

const ADMIN_QUERY = '{ adminMessage { text } }';
const unauthenticated = { coordinate: 'Query.adminMessage', decision: 'unauthenticated' };

interface Running {
  h: Harness;
  scrape(): Promise<Exposition>;
  /** How much each of `series` (name and labels) grew while `action` ran. */
  increase(series: Array<[string, Record<string, string>]>, action: () => Promise<unknown>): Promise<number[]>;
}

function useMetricsHarness(env: Record<string, string> = {}): () => Running {
  let running: Running | undefined;
  let closeListener: (() => Promise<void>) | undefined;
  before(async () => {
    const h = await startHarness({ METRICS_PORT: '0', ...PATIENT_KEY_SET, ...env });
    const listener = await startMetricsListener(h.app);
    closeListener = listener.close;
    running = {
      h,
      scrape: listener.scrape,
      async increase(series, action) {
        const before = await listener.scrape();
        await action();
        const after = await listener.scrape();
        return series.map(([name, labels]) => after.value(name, labels) - before.value(name, labels));
      },
    };
  });
  after(async () => {
    await closeListener?.();
    await running?.h.close();
  });
  return () => running!;
}

describe('metrics: each counter counts where the decision is made, by exactly one', () => {
  const m = useMetricsHarness();

  it('one anonymous { adminMessage { text } } adds 1 to its unauthenticated series and nothing to the others', async () => {
    const { h, increase } = m();
    const series: Array<[string, Record<string, string>]> = [
      ['authz_decisions_total', unauthenticated],
      ['authz_decisions_total', { coordinate: 'Query.adminMessage', decision: 'granted' }],
      ['authz_decisions_total', { coordinate: 'Query.adminMessage', decision: 'forbidden' }],
    ];
    assert.deepEqual(await increase(series, () => h.graphql(ADMIN_QUERY)), [1, 0, 0]);
  });

  it('counts granted and forbidden by token, and each aliased resolution of a field', async () => {
    const { h, increase } = m();
    const admin = await h.token({ permissions: [ADMIN] });
    const plain = await h.token();
    const series: Array<[string, Record<string, string>]> = [
      ['authz_decisions_total', { coordinate: 'Query.adminMessage', decision: 'granted' }],
      ['authz_decisions_total', { coordinate: 'Query.adminMessage', decision: 'forbidden' }],
      ['authz_decisions_total', unauthenticated],
    ];
    const twice = '{ a: adminMessage { text } b: adminMessage { text } }';
    assert.deepEqual(await increase(series, async () => Promise.all([h.graphql(ADMIN_QUERY, admin), h.graphql(ADMIN_QUERY, plain), h.graphql(twice)])), [1, 1, 2]);
  });

  it("counts a policy's evaluations by result, and the field's decisions after it", async () => {
    const { h, increase } = m();
    // The caller owns the first note and not the second.
    const token = await h.token({ sub: 'auth0|tester' });
    const series: Array<[string, Record<string, string>]> = [
      ['authz_policy_evaluations_total', { policy: 'noteOwnerOrAdmin', result: 'allow' }],
      ['authz_policy_evaluations_total', { policy: 'noteOwnerOrAdmin', result: 'deny' }],
      ['authz_decisions_total', { coordinate: 'Note.body', decision: 'granted' }],
      ['authz_decisions_total', { coordinate: 'Note.body', decision: 'forbidden' }],
    ];
    assert.deepEqual(await increase(series, () => h.graphql('{ notes { body } }', token)), [1, 1, 1, 1]);
  });

  it('counts refused credentials by reason: a jose code, malformed, misplaced', async () => {
    const { h, increase } = m();
    const expired = await h.token({ exp: Math.floor(Date.now() / 1000) - 3600 });
    const series: Array<[string, Record<string, string>]> = [
      ['auth_credentials_rejected_total', { reason: 'ERR_JWT_EXPIRED' }],
      ['auth_credentials_rejected_total', { reason: 'malformed' }],
      ['auth_credentials_rejected_total', { reason: 'misplaced' }],
    ];
    const increases = await increase(series, async () => {
      assert.equal((await h.graphql(ADMIN_QUERY, expired)).status, 401);
      assert.equal((await h.graphql(ADMIN_QUERY, undefined, { authorization: 'Bearer a b' })).status, 401);
      assert.equal((await fetch(`${h.url}/api/messages/public?access_token=x`)).status, 400);
    });
    assert.deepEqual(increases, [1, 1, 1]);
  });

  it('counts a token-cache miss, then a hit for the same token', async () => {
    const { h, increase } = m();
    // A claim of its own, so that no earlier test signed the same text within the same second.
    const token = await h.token({ permissions: [ADMIN], jti: 'cache-miss-then-hit' });
    const series: Array<[string, Record<string, string>]> = [
      ['auth_token_cache_lookups_total', { result: 'miss' }],
      ['auth_token_cache_lookups_total', { result: 'hit' }],
    ];
    assert.deepEqual(await increase(series, () => h.graphql(ADMIN_QUERY, token)), [1, 0]);
    assert.deepEqual(await increase(series, () => h.graphql(ADMIN_QUERY, token)), [0, 1]);
  });

  it("counts key-set fetches by issuer and result and shows the keys of each issuer's last good one", async () => {
    const { h, increase, scrape } = m();
    const issuer = h.idp.issuer;
    await until(async () => (await scrape()).value('auth_jwks_fetches_total', { issuer, result: 'success' }) >= 1, 'the first key-set fetch');
    assert.equal((await scrape()).value('auth_jwks_keys', { issuer }), 1);
    const series: Array<[string, Record<string, string>]> = [
      ['auth_jwks_fetches_total', { issuer, result: 'success' }],
      ['auth_jwks_fetches_total', { issuer, result: 'failure' }],
    ];
    h.idp.fault = 'status-500';
    assert.deepEqual(await increase(series, () => h.app.verifier.issuers[0]!.keySet.refresh({ force: true }).catch(() => undefined)), [0, 1]);
    h.idp.fault = 'ok';
    await h.idp.publish('test-key-2');
    assert.deepEqual(await increase(series, () => h.app.verifier.issuers[0]!.keySet.refresh({ force: true })), [1, 0]);
    assert.equal((await scrape()).value('auth_jwks_keys', { issuer }), 2);
    assert.ok((await scrape()).value('auth_jwks_age_seconds', { issuer }) >= 0);
  });

  it('counts DPoP proofs: valid, then the same proof replayed; a bound token sent as Bearer is a binding failure', async () => {
    const { h, increase } = m();
    const key = await createDpopKey();
    const token = await boundToken(h, key);
    const proof = await forgeProof(key, { method: 'POST', url: `${h.url}/graphql`, accessToken: token });
    const series: Array<[string, Record<string, string>]> = [
      ['auth_dpop_proofs_total', { result: 'valid' }],
      ['auth_dpop_proofs_total', { result: 'replayed' }],
      ['auth_credentials_rejected_total', { reason: 'invalid_dpop_proof' }],
      ['auth_credentials_rejected_total', { reason: 'dpop_binding' }],
    ];
    assert.deepEqual(await increase(series, async () => assert.equal((await postGraphql(h, { token, proofs: [proof] })).status, 200)), [1, 0, 0, 0]);
    assert.deepEqual(await increase(series, async () => assert.equal((await postGraphql(h, { token, proofs: [proof] })).status, 401)), [0, 1, 1, 0]);
    assert.deepEqual(await increase(series, async () => assert.equal((await h.graphql(ADMIN_QUERY, token)).status, 401)), [0, 0, 0, 1]);
  });

  it('times each answer under its route from the route table, or unmatched, and never under the path asked for', async () => {
    const { h, scrape } = m();
    await h.graphql('{ publicMessage { text } }');
    await fetch(`${h.url}/no/such/path`);
    await fetch(`${h.url}/API/Messages/Public/`);
    const series = (await scrape()).series();
    assert.ok(series.has('http_server_request_duration_seconds_count{method="POST",route="/graphql",status_code="200"}'));
    assert.ok(series.has('http_server_request_duration_seconds_count{method="GET",route="unmatched",status_code="404"}'));
    assert.ok(series.has('http_server_request_duration_seconds_count{method="GET",route="/api/messages/public",status_code="200"}'));
    assert.ok(![...series].some((line) => line.includes('/no/such/path')));
  });

  it('serves the default process metrics, event-loop lag included', async () => {
    const { scrape } = m();
    const series = (await scrape()).series();
    assert.ok(series.has('nodejs_eventloop_lag_seconds'));
    assert.ok(series.has('process_cpu_seconds_total'));
  });

  it('gauges open sockets and running subscriptions, and counts closes by code', async () => {
    const { h, scrape } = m();
    const token = await h.token();
    const client = createClient({ url: `${h.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
    const closesBefore = (await scrape()).value('graphql_ws_closes_total', { code: '1000' });
    const events = client.iterate({ query: 'subscription { publicMessageFeed { text } }' });
    await events.next();
    const open = await scrape();
    assert.equal(open.value('graphql_ws_connections'), 1);
    assert.equal(open.value('graphql_subscriptions'), 1);
    await events.return?.();
    await until(async () => (await scrape()).value('graphql_subscriptions') === 0, 'the subscription to end');
    await client.dispose();
    await until(async () => (await scrape()).value('graphql_ws_connections') === 0, 'the socket to close');
    assert.equal((await scrape()).value('graphql_ws_closes_total', { code: '1000' }) - closesBefore, 1);
  });

  it('1,000 requests with random aliases, operation names, paths and headers add no series', async () => {
    const { h, scrape } = m();
    const token = await h.token({ permissions: [ADMIN] });
    const random = () => `x${Math.random().toString(36).slice(2, 10)}`;
    const send = (i: number) => {
      const query = `query ${random()} { ${random()}: adminMessage { ${random()}: text } }`;
      const headers = { [`x-${random()}`]: random(), 'x-request-id': random(), 'user-agent': random() };
      if (i % 4 === 3) return fetch(`${h.url}/${random()}/${random()}?${random()}=1`, { headers });
      return h.graphql(query, i % 4 === 0 ? undefined : token, headers);
    };
    // Every kind of request once, so that the series they rightly create exist before the count.
    await Promise.all([0, 1, 3].map(send));
    const before = (await scrape()).series();
    for (let i = 0; i < 1000; i += 20) await Promise.all(Array.from({ length: 20 }, (_, j) => send(i + j)));
    const added = [...(await scrape()).series()].filter((series) => !before.has(series));
    assert.deepEqual(added, []);
  });
});

describe('metrics: reject mode counts its refusals as the guards count theirs', () => {
  const m = useMetricsHarness({ AUTHZ_UNAUTHORIZED_MODE: 'reject' });

  it('an anonymous adminMessage is refused with 401 and counted unauthenticated once', async () => {
    const { h, increase } = m();
    assert.deepEqual(await increase([['authz_decisions_total', unauthenticated]], async () => assert.equal((await h.graphql(ADMIN_QUERY)).status, 401)), [1]);
  });
});

describe('metrics: the API port never serves them', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ METRICS_PORT: '0' });
  });
  after(() => h.close());

  it('answers 404 at /metrics on the API port with metrics on, and opens no listener without METRICS_PORT', async () => {
    assert.equal((await fetch(`${h.url}/metrics`)).status, 404);
    const off = await startHarness();
    try {
      assert.equal(off.app.metricsHandler, undefined);
      assert.equal((await fetch(`${off.url}/metrics`)).status, 404);
    } finally {
      await off.close();
    }
  });
});
