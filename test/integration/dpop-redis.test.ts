import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { createClient } from 'redis';
import { RedisReplayStore } from '../../src/auth/dpop/redis-replay-store.js';
import { ReplayStoreUnavailableError } from '../../src/auth/dpop/replay-store.js';
import { buildApp, type App } from '../../src/http/app.js';
import { rawRequest } from '../helpers/http-request.js';
import { boundCredentials, createProof, PATIENT_KEY_SET, postGraphql, type DpopKey } from '../helpers/dpop.js';
import { ADMIN, startHarness, type Harness } from '../helpers/harness.js';
import { captureLogs } from '../helpers/log-capture.js';
import { RedisServer } from '../helpers/redis-server.js';

const ADMIN_TEXT = { adminMessage: { text: 'This is an admin message.' } };

describe('DPoP replay store in Redis (REDIS_URL)', () => {
  let redis: RedisServer;
  let h: Harness;
  let second: { app: App; server: Server; url: string };
  let key: DpopKey;
  let token: string;
  let proof: () => Promise<string>;

  before(async () => {
    redis = await RedisServer.start();
    // Both replicas name one public URL, as they do behind a balancer, so one proof suits both.
    h = await startHarness({ ...PATIENT_KEY_SET, REDIS_URL: redis.url, PUBLIC_URL: 'https://api.example.com' });
    const app = await buildApp({ config: h.config, logger: pino({ level: 'silent' }) });
    const server = createServer(app.handler).listen(0, '127.0.0.1');
    await once(server, 'listening');
    second = { app, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
    ({ key, accessToken: token, nextProof: proof } = await boundCredentials(h, { method: 'POST', url: 'https://api.example.com/graphql' }));
  });
  after(async () => {
    second.server.closeAllConnections();
    second.server.close();
    await second.app.close();
    await h.close();
    await redis.stop();
  });

  const sendTo = (url: string, dpop: string) => postGraphql({ ...h, url }, { token, proofs: [dpop], host: 'api.example.com' });

  it('grants a proof on one replica and refuses it on the other, sent one after the other or at once', async () => {
    const first = await proof();
    assert.deepEqual((await sendTo(h.url, first)).body.data, ADMIN_TEXT);
    assert.equal((await sendTo(second.url, first)).status, 401);
    assert.equal((await sendTo(h.url, first)).status, 401);

    for (let round = 0; round < 10; round += 1) {
      const shared = await proof();
      const responses = await Promise.all([sendTo(h.url, shared), sendTo(second.url, shared)]);
      assert.deepEqual(responses.map((r) => r.status).sort(), [200, 401]);
    }
  });

  it('records each proof under a dpop:jti: key that expires with the iat window', async () => {
    const client = createClient({ url: redis.url });
    await client.connect();
    try {
      assert.deepEqual((await client.keys('*')).filter((name) => !name.startsWith('dpop:jti:')), []);
      const [name] = await client.keys('dpop:jti:*');
      assert.ok(name);
      assert.equal(await client.get(name), '1');
      const ttl = await client.ttl(name);
      assert.ok(ttl > 0 && ttl <= 330, `TTL ${ttl}`);
    } finally {
      client.destroy();
    }
  });

  it('grants 200 concurrent fresh proofs spread over both replicas', async () => {
    const proofs = await Promise.all(Array.from({ length: 200 }, () => proof()));
    const responses = await Promise.all(proofs.map((p, i) => sendTo(i % 2 ? h.url : second.url, p)));
    assert.deepEqual(responses.map((r) => r.status), Array(200).fill(200));
  });

  it('while Redis is down, fails DPoP requests closed with 503 and serves Bearer; then recovers by itself', async () => {
    await redis.stop();
    const down = await sendTo(h.url, await proof());
    assert.equal(down.status, 503);
    assert.equal(down.body.data, undefined);
    assert.equal(down.body.errors?.[0]?.message, 'Unable to verify credentials');
    assert.equal(down.body.errors?.[0]?.extensions?.['code'], 'AUTH_UNAVAILABLE');
    assert.equal(down.headers.get('retry-after'), '5');

    const restProof = await createProof(key, { method: 'GET', url: 'https://api.example.com/api/messages/admin', accessToken: token });
    const rest = await rawRequest(`${h.url}/api/messages/admin`, 'GET', { host: 'api.example.com', authorization: `DPoP ${token}`, dpop: restProof });
    assert.equal(rest.status, 503);
    assert.deepEqual(JSON.parse(rest.body), { message: 'Unable to verify credentials' });

    const bearer = await postGraphql(h, { token: await h.token({ permissions: [ADMIN] }), scheme: 'Bearer' });
    assert.deepEqual(bearer.body.data, ADMIN_TEXT);

    await redis.restart();
    let status = 0;
    for (const started = Date.now(); status !== 200 && Date.now() - started < 20_000; ) {
      status = (await sendTo(h.url, await proof())).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(status, 200);
    // Recovered means replays are refused again, not merely that requests pass.
    const again = await proof();
    assert.equal((await sendTo(h.url, again)).status, 200);
    assert.equal((await sendTo(second.url, again)).status, 401);
  });
});

describe('RedisReplayStore', () => {
  it('logs nothing while Redis is up, and rejects with its cause when Redis is down', async () => {
    const redis = await RedisServer.start();
    const logs = captureLogs();
    const store = new RedisReplayStore(new URL(redis.url), logs.logger);
    try {
      let first = false;
      for (const started = Date.now(); !first && Date.now() - started < 10_000; ) {
        first = await store.claim('k', 5).catch(() => false);
        if (!first) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(first, true);
      assert.equal(await store.claim('k', 5), false);
      assert.deepEqual(logs.lines, []);
      await redis.stop();
      await assert.rejects(store.claim('other', 5), (error: unknown) => {
        assert.ok(error instanceof ReplayStoreUnavailableError);
        assert.equal(error.message, 'Redis did not answer');
        assert.ok(error.cause);
        return true;
      });
    } finally {
      await store.close();
      await redis.stop();
    }
  });
});

describe('Redis down when the API starts', () => {
  it('starts anyway, answers DPoP with 503, uses Redis once it comes up, and logs the outage once', async () => {
    const redis = await RedisServer.start();
    await redis.stop();
    const logs = captureLogs();
    const h = await startHarness({ ...PATIENT_KEY_SET, REDIS_URL: redis.url }, { logger: logs.logger });
    try {
      const { accessToken: token, nextProof } = await boundCredentials(h, { method: 'POST', url: `${h.url}/graphql` });
      const send = async () => (await postGraphql(h, { token, proofs: [await nextProof()] })).status;
      assert.equal(await send(), 503);
      await redis.restart();
      let status = 0;
      for (const started = Date.now(); status !== 200 && Date.now() - started < 20_000; ) {
        status = await send();
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(status, 200);
      const messages = logs.lines.map((line) => line['msg']).filter((msg) => /Redis/.test(String(msg)));
      assert.deepEqual(messages, ['DPoP replay store (Redis) unreachable', 'DPoP replay store (Redis) reachable again']);
      const outage = logs.lines.find((line) => line['msg'] === 'DPoP replay store (Redis) unreachable');
      assert.equal(outage?.['level'], 50);
      assert.ok(outage?.['err'], 'the cause is logged');

      // A second outage is logged again, once the first has ended.
      await redis.stop();
      assert.equal(await send(), 503);
      const outages = () => logs.lines.filter((line) => line['msg'] === 'DPoP replay store (Redis) unreachable').length;
      for (const started = Date.now(); outages() < 2 && Date.now() - started < 10_000; ) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(outages(), 2);
    } finally {
      await h.close();
      await redis.stop();
    }
  });
});
