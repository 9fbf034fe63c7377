import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import type { Client, FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { ADMIN, CLIENT_ORIGIN, type Harness } from '../helpers/harness.js';
import { startLoggedHarness } from '../helpers/log-capture.js';
import { until } from '../helpers/until.js';
import { useHarness } from '../helpers/use-harness.js';
import { handshake as socketHandshake, subscriptionClient } from '../helpers/websocket.js';
import { QueryLimits } from '../../src/graphql/query-limits.js';

const ADMIN_FEED = 'subscription { adminMessageFeed { text } }';

function client(h: Harness, token?: string, closes: number[] = []): Client {
  return subscriptionClient(h.url, token, closes);
}

/** The first `count` results of a subscription, or what ended it first. */
async function take(c: Client, query: string, count: number): Promise<{ results: FormattedExecutionResult<Record<string, unknown>, unknown>[]; error?: unknown }> {
  const results: FormattedExecutionResult<Record<string, unknown>, unknown>[] = [];
  const subscription = c.iterate({ query });
  try {
    for await (const result of subscription) {
      results.push(result);
      if (results.length === count) break;
    }
    return { results };
  } catch (error) {
    return { results, error };
  }
}

async function handshake(h: Harness, headers: Record<string, string> = {}, path = '/graphql'): Promise<number> {
  return socketHandshake(h.url, headers, path);
}

describe('subscriptions over graphql-ws on /graphql', () => {
  const harness = useHarness({ SUBSCRIPTION_MAX_CONNECTIONS: '3' });

  it('streams the admin feed to an admin token: at once, then again a second later', async () => {
    const h = harness();
    const c = client(h, await h.token({ permissions: [ADMIN] }));
    const { results, error } = await take(c, ADMIN_FEED, 2);
    await c.dispose();
    assert.equal(error, undefined);
    assert.deepEqual(results, [{ data: { adminMessageFeed: { text: 'This is an admin message.' } } }, { data: { adminMessageFeed: { text: 'This is an admin message.' } } }]);
  });

  it('refuses the admin feed without a token (UNAUTHENTICATED) and without the permission (FORBIDDEN)', async () => {
    const h = harness();
    for (const [token, code] of [[undefined, 'UNAUTHENTICATED'], [await h.token({ permissions: ['read:messages'] }), 'FORBIDDEN']] as const) {
      const c = client(h, token);
      const { results, error } = await take(c, ADMIN_FEED, 1);
      await c.dispose();
      const errors = (error as Array<{ extensions?: { code?: string } }> | undefined) ?? results[0]?.errors;
      assert.equal(results.find((r) => r.data)?.data?.['adminMessageFeed'] ?? null, null);
      assert.deepEqual(errors?.map((e) => e.extensions?.code), [code]);
    }
  });

  it('streams the public feed to anyone', async () => {
    const c = client(harness());
    const { results } = await take(c, 'subscription { publicMessageFeed { text } }', 1);
    await c.dispose();
    assert.deepEqual(results, [{ data: { publicMessageFeed: { text: 'This is a public message.' } } }]);
  });

  it('closes the socket with 4401 for a present but invalid token, a DPoP-bound one included (a socket carries no proof)', async () => {
    const h = harness();
    for (const [token, code] of [['not.a.jwt', 4401], [await h.token({ cnf: { jkt: 'x'.repeat(43) }, permissions: [ADMIN] }), 4401]] as const) {
      const closes: number[] = [];
      const c = client(h, token, closes);
      await take(c, ADMIN_FEED, 1);
      await until(() => closes.length > 0, 'the socket closed', 15_000);
      await c.dispose();
      assert.equal(closes[0], code);
    }
  });

  it('ends the connection once the token expires, with the clock tolerance', async () => {
    const h = harness();
    const now = Math.floor(Date.now() / 1000);
    const closes: number[] = [];
    const c = client(h, await h.token({ permissions: [ADMIN], iat: now - 60, exp: now - 4 }), closes);
    const { results } = await take(c, ADMIN_FEED, 100);
    await until(() => closes.length > 0, 'the socket closed', 15_000);
    await c.dispose();
    assert.equal(closes[0], 4401);
    assert.ok(results.length < 100);
  });

  it("refuses a handshake from another origin, and accepts one from the client origin, the API's own or none", async () => {
    const h = harness();
    assert.equal(await handshake(h, { origin: 'https://evil.example' }), 403);
    assert.equal(await handshake(h, { origin: CLIENT_ORIGIN }), 101);
    assert.equal(await handshake(h, { origin: h.url }), 101);
    assert.equal(await handshake(h), 101);
    assert.equal(await handshake(h, {}, '/elsewhere'), 404);
  });

  it('applies the alias, token and cost limits over the socket', async () => {
    const c = client(harness());
    const aliases = Array.from({ length: 12 }, (_, i) => `a${i}: text`).join(' ');
    const tooManyAliases = await take(c, `subscription { publicMessageFeed { ${aliases} } }`, 1);
    const tooManyTokens = await take(c, `subscription { publicMessageFeed { ${'text '.repeat(1_000)} } }`, 1);
    const tooCostly = await take(c, `subscription { publicMessageFeed { ${'__typename ... on Message { '.repeat(30)}text${' }'.repeat(30)} } }`, 1);
    await c.dispose();
    const messages = (outcome: { error?: unknown }) => ((outcome.error ?? []) as Array<{ message: string }>).map((e) => e.message);
    assert.ok(messages(tooManyAliases).includes('Syntax Error: Aliases limit of 10 exceeded, found 12.'), messages(tooManyAliases).join());
    assert.ok(messages(tooManyTokens).includes('Syntax Error: Document contains more that 1000 tokens. Parsing aborted.'), messages(tooManyTokens).join());
    assert.ok(messages(tooCostly).some((m) => m.startsWith(`Syntax Error: Query Cost limit of ${QueryLimits.cost} exceeded`)), messages(tooCostly).join());
  });

  it('closes a socket that sends no connection_init in time with 4408', async () => {
    const ws = new WebSocket(`${harness().url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    const [code] = (await once(ws, 'close')) as [number];
    assert.equal(code, 4408);
  });

  it('refuses connections beyond SUBSCRIPTION_MAX_CONNECTIONS with 503', async () => {
    const h = harness();
    const open = await Promise.all([1, 2, 3].map(async () => {
      const ws = new WebSocket(`${h.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
      await once(ws, 'open');
      return ws;
    }));
    assert.equal(await handshake(h), 503);
    for (const ws of open) ws.terminate();
  });
});

describe('subscription logs', () => {
  it('writes connect and close lines with the connection id, and an audit line for a denial, never the token', async () => {
    const { h, logs } = await startLoggedHarness();
    try {
      const token = await h.token({ permissions: ['read:messages'] });
      const c = client(h, token);
      await take(c, ADMIN_FEED, 1);
      await c.dispose();
      await until(() => logs.lines.some((line) => line['msg'] === 'subscription socket closed'), 'the close logged', 15_000);
      const connected = logs.lines.find((line) => line['msg'] === 'subscription socket connected');
      const id = connected?.['connectionId'];
      assert.equal(typeof id, 'string');
      const denial = logs.lines.find((line) => line['audit'] === 'access-denied');
      // The HTTP audit line's fields, counts included: one function writes both.
      assert.deepEqual([denial?.['connectionId'], denial?.['subject'], denial?.['denied'], denial?.['deniedCount']], [
        id,
        'auth0|tester',
        [{ field: 'Subscription.adminMessageFeed', code: 'FORBIDDEN', missing: [ADMIN], count: 1 }],
        1,
      ]);
      assert.equal(logs.lines.find((line) => line['msg'] === 'subscription socket closed')?.['connectionId'], id);
      assert.ok(!logs.raw().includes(token));
    } finally {
      await h.close();
    }
  });
});
