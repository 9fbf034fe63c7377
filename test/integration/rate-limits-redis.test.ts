import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from '../helpers/harness.js';
import { captureLogs } from '../helpers/log-capture.js';
import { RedisServer } from '../helpers/redis-server.js';
import { until } from '../helpers/until.js';

const CHEAP = '{ publicMessage { text } }';

/** Each test is its own anonymous caller, by the address a trusted proxy (loopback) forwards. */
const TRUSTED = { TRUSTED_PROXIES: 'loopback' };

function as(h: Harness, address: string) {
  return h.graphql(CHEAP, undefined, { 'x-forwarded-for': address });
}

describe('rate limits in Redis', () => {
  let redis: RedisServer;
  before(async () => {
    redis = await RedisServer.start();
  });
  after(() => redis.stop());

  it('share one quota between two instances', async () => {
    const env = { ...TRUSTED, REDIS_URL: redis.url, RATE_LIMIT_ANONYMOUS: '4/60' };
    const [one, two] = await Promise.all([startHarness(env), startHarness(env)]);
    try {
      const statuses = [];
      for (let i = 0; i < 8; i += 1) statuses.push((await as(i % 2 === 0 ? one : two, '203.0.113.10')).status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429, 429, 429]);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('open (the default): while Redis is down, each instance counts alone, with one warning and a hook call per request; shared again once it is back', async () => {
    const logs = captureLogs();
    const failures: string[] = [];
    const env = { ...TRUSTED, REDIS_URL: redis.url, RATE_LIMIT_ANONYMOUS: '3/60' };
    const one = await startHarness(env, { logger: logs.logger, rateLimitHooks: { rateLimitStoreFailure: (mode) => failures.push(mode), rateLimited: () => undefined } });
    const two = await startHarness(env);
    try {
      assert.equal((await as(one, '203.0.113.20')).status, 200);
      await redis.stop();
      // Counted in this instance's memory: its own quota of 3, then refused.
      const statuses = [];
      for (let i = 0; i < 4; i += 1) statuses.push((await as(one, '203.0.113.21')).status);
      assert.deepEqual({ statuses, failures }, { statuses: [200, 200, 200, 429], failures: ['open', 'open', 'open', 'open'] });
      const warnings = logs.lines.filter((line) => line['msg'] === 'rate-limit store (Redis) unreachable: each replica counts alone');
      assert.equal(warnings.length, 1);
      assert.equal(warnings[0]!['level'], 40);

      await redis.restart();
      await until(() => logs.lines.some((line) => line['msg'] === 'rate limits counted in Redis again'), 'the instance reconnects');
      // Redis forgot everything; both instances count in it again, together.
      const shared = [];
      for (let i = 0; i < 4; i += 1) shared.push((await as(i % 2 === 0 ? one : two, '203.0.113.22')).status);
      assert.deepEqual(shared, [200, 200, 200, 429]);
      assert.equal(failures.length, 4, 'no store failure once Redis is back');
    } finally {
      await Promise.all([one.close(), two.close()]);
      await redis.restart().catch(() => undefined);
    }
  });

  it('closed: while Redis is down, charged requests are refused with 503 and the error code; served again once it is back', async () => {
    const logs = captureLogs();
    const failures: string[] = [];
    const env = { ...TRUSTED, REDIS_URL: redis.url, RATE_LIMIT_ANONYMOUS: '3/60', RATE_LIMIT_ON_STORE_FAILURE: 'closed' };
    const h = await startHarness(env, { logger: logs.logger, rateLimitHooks: { rateLimitStoreFailure: (mode) => failures.push(mode), rateLimited: () => undefined } });
    try {
      assert.equal((await as(h, '203.0.113.30')).status, 200);
      await redis.stop();
      const refused = await as(h, '203.0.113.30');
      assert.equal(refused.status, 503);
      assert.deepEqual(refused.body, { errors: [{ message: 'Service Unavailable', extensions: { code: 'RATE_LIMIT_UNAVAILABLE' } }] });
      assert.equal(refused.headers.get('retry-after'), '5');
      const viaRest = await fetch(`${h.url}/api/messages/public`, { headers: { 'x-forwarded-for': '203.0.113.30' } });
      assert.equal(viaRest.status, 503);
      assert.deepEqual(await viaRest.json(), { message: 'Service Unavailable' });
      assert.deepEqual(failures, ['closed', 'closed']);
      assert.equal(logs.lines.filter((line) => line['msg'] === 'rate-limit store (Redis) unreachable: charged requests refused').length, 1);

      await redis.restart();
      await until(async () => (await as(h, '203.0.113.31')).status === 200, 'served again once Redis is back');
      const back = await as(h, '203.0.113.31');
      assert.equal(back.status, 200);
      assert.equal(back.headers.get('ratelimit-policy'), '"anonymous";q=3;w=60');
    } finally {
      await h.close();
      await redis.restart().catch(() => undefined);
    }
  });
});
