import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import WebSocket from 'ws';
import { loadConfig, type ResolvedConfig } from '../../src/config.js';
import { buildApp, BODY_LIMIT } from '../../src/http/app.js';
import { createLimitedServer } from '../../src/http/connection-limits.js';
import { KeySetServer } from '../../support/key-set-server.js';
import { ADMIN, AUDIENCE } from '../helpers/harness.js';
import { until } from '../helpers/until.js';
import { useHarness } from '../helpers/use-harness.js';
import { graphqlSocketUrl, subscriptionClient } from '../helpers/websocket.js';

const PUBLIC_FEED = 'subscription { publicMessageFeed { text } }';
const ADMIN_FEED = 'subscription { adminMessageFeed { text } }';

/** A raw graphql-transport-ws socket, acknowledged, with every message it receives. */
async function rawSocket(url: string): Promise<{ ws: WebSocket; received: Array<Record<string, unknown>>; closed: Promise<number> }> {
  const ws = new WebSocket(url, 'graphql-transport-ws');
  const received: Array<Record<string, unknown>> = [];
  ws.on('message', (data) => received.push(JSON.parse(String(data)) as Record<string, unknown>));
  const closed = once(ws, 'close').then(([code]) => code as number);
  await once(ws, 'open');
  ws.send(JSON.stringify({ type: 'connection_init', payload: {} }));
  await until(() => received.some((message) => message['type'] === 'connection_ack'), 'connection_ack');
  return { ws, received, closed };
}

describe('subscription limits', () => {
  const harness = useHarness({ SUBSCRIPTION_MAX_PER_CONNECTION: '3', SUBSCRIPTION_IDLE_TIMEOUT_MS: '1000', JWKS_TIMEOUT_MS: '5000' });

  it('closes a socket with 1009 on a message larger than the HTTP body limit, before connection_init', { timeout: 20_000 }, async () => {
    const ws = new WebSocket(graphqlSocketUrl(harness().url), 'graphql-transport-ws');
    await once(ws, 'open');
    const closed = once(ws, 'close');
    ws.send(JSON.stringify({ type: 'connection_init', payload: { pad: 'x'.repeat(BODY_LIMIT + 1) } }));
    const [code] = (await closed) as [number];
    assert.equal(code, 1009);
  });

  it('runs at most SUBSCRIPTION_MAX_PER_CONNECTION subscriptions on a socket: one more gets an error and starts nothing', async () => {
    const { ws, received } = await rawSocket(graphqlSocketUrl(harness().url));
    for (const id of ['1', '2', '3', '4']) ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query: PUBLIC_FEED } }));
    await until(() => received.some((m) => m['id'] === '4'), 'an answer for the fourth');
    await until(() => ['1', '2', '3'].every((id) => received.some((m) => m['id'] === id && m['type'] === 'next')), 'the first three streaming');
    const fourth = received.filter((m) => m['id'] === '4');
    assert.deepEqual(fourth.map((m) => m['type']), ['error']);
    assert.match(String((fourth[0]!['payload'] as Array<{ message: string }>)[0]!.message), /At most 3 subscriptions/);
    // Once one ends, another may start.
    ws.send(JSON.stringify({ id: '1', type: 'complete' }));
    ws.send(JSON.stringify({ id: '5', type: 'subscribe', payload: { query: PUBLIC_FEED } }));
    await until(() => received.some((m) => m['id'] === '5' && m['type'] === 'next'), 'the fifth streaming');
    ws.terminate();
  });

  it('closes a socket that has had no subscription running for SUBSCRIPTION_IDLE_TIMEOUT_MS, and keeps one that has', { timeout: 20_000 }, async () => {
    const idle = await rawSocket(graphqlSocketUrl(harness().url));
    const busy = await rawSocket(graphqlSocketUrl(harness().url));
    busy.ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: PUBLIC_FEED } }));
    assert.equal(await idle.closed, 1000);
    // Two more feed ticks, past the idle timeout: the busy socket is still open.
    const ticks = busy.received.length;
    await until(() => busy.received.length >= ticks + 2, 'two more ticks');
    assert.equal(busy.ws.readyState, WebSocket.OPEN);
    busy.ws.send(JSON.stringify({ id: '1', type: 'complete' }));
    assert.equal(await busy.closed, 1000);
  });

  it('closes a socket with 4401 once the key that signed its token is withdrawn and the key set reloaded', async () => {
    const h = harness();
    const closes: number[] = [];
    const c = subscriptionClient(h.url, await h.token({ permissions: [ADMIN] }), closes);
    const results: unknown[] = [];
    const done = (async () => {
      for await (const result of c.iterate({ query: ADMIN_FEED })) results.push(result);
    })().catch(() => undefined);
    await until(() => results.length > 0, 'the feed started');
    h.idp.published.splice(0);
    await h.idp.publish('test-key-rotated');
    await h.app.verifier.reload(pino({ level: 'silent' }));
    await until(() => closes.length > 0, 'the socket closed', 5_000);
    assert.equal(closes[0], 4401);
    await done;
    await c.dispose();
  });
});

describe('WebSockets and the HTTP connection limit', () => {
  it('leave HTTP requests their connections: with the socket cap reached, /healthz still answers', async () => {
    const idp = await KeySetServer.start();
    await idp.publish('test-key-1');
    const config = loadConfig({
      AUTH0_ISSUER_BASE_URL: idp.issuer,
      AUTH0_AUDIENCE: AUDIENCE,
      MAX_CONNECTIONS: '2',
      SUBSCRIPTION_MAX_CONNECTIONS: '3',
    }) as ResolvedConfig;
    const app = await buildApp({ config, logger: pino({ level: 'silent' }) });
    const server = createLimitedServer(app.handler, config.http, config.subscriptionMaxConnections);
    const subscriptions = app.attachSubscriptions(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const sockets: WebSocket[] = [];
    try {
      for (let i = 0; i < 3; i += 1) {
        const ws = new WebSocket(graphqlSocketUrl(url), 'graphql-transport-ws');
        await once(ws, 'open');
        sockets.push(ws);
      }
      const statuses = await Promise.all([0, 1].map(async () => (await fetch(`${url}/healthz`, { headers: { connection: 'close' } })).status));
      assert.deepEqual(statuses, [200, 200]);
    } finally {
      for (const ws of sockets) ws.terminate();
      await subscriptions.close();
      server.closeAllConnections();
      server.close();
      await app.close();
      await idp.close();
    }
  });
});
