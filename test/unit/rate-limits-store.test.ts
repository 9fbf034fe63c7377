import assert from 'node:assert/strict';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { GraphQLError } from 'graphql';
import { createContextBuilder, type AuthRequest } from '../../src/auth/context.js';
import { loadConfig } from '../../src/config.js';
import { queryLimits } from '../../src/graphql/query-limits.js';
import { buildSchema } from '../../src/graphql/schema.js';
import { createRateLimits } from '../../src/limits/rate-limits.js';
import { freePort } from '../../support/free-port.js';
import { captureLogs } from '../helpers/log-capture.js';
import { RedisServer } from '../helpers/redis-server.js';
import { until } from '../helpers/until.js';
import { startClockedVerifier } from '../helpers/verifier-clock.js';

/** The rate limits' shared counters in Redis: what an outage does, in each mode, and the recovery. */
const schema = buildSchema();
const limits = queryLimits();

function request(): IncomingMessage & AuthRequest {
  const req = new IncomingMessage(Object.defineProperty(new Socket(), 'remoteAddress', { value: '198.51.100.9' }));
  return Object.assign(req, { method: 'GET', url: '/api/messages/public', headers: {}, rawHeaders: [], log: captureLogs().logger });
}

async function withRedis(redisUrl: string, onStoreFailure: 'open' | 'closed') {
  const logs = captureLogs();
  const failures: string[] = [];
  const hooks = { rateLimited: () => undefined, rateLimitStoreFailure: (mode: string) => void failures.push(mode) };
  const config = loadConfig({ RATE_LIMIT_ANONYMOUS: '2/60', REDIS_URL: redisUrl, RATE_LIMIT_ON_STORE_FAILURE: onStoreFailure });
  const rateLimits = await createRateLimits({ config, logger: logs.logger, schema, queryLimits: limits, hooks });
  const verifier = await startClockedVerifier();
  const rest = rateLimits.restContext(createContextBuilder(verifier.verifier));
  await verifier.close();
  const logged = () => logs.lines.map((line) => [line['level'], line['msg'], line['onStoreFailure']]);
  return { rateLimits, rest, failures, logged };
}

const unreachable = async () => `redis://127.0.0.1:${await freePort()}`;

describe('rate limits while Redis is unreachable', () => {
  it('closed: refuses with 503 and Retry-After 5, logs the outage once, and counts every refusal', async () => {
    const started = Date.now();
    const { rateLimits, rest, failures, logged } = await withRedis(await unreachable(), 'closed');
    assert.ok(Date.now() - started >= 1_900, 'start-up waits for Redis a while');
    for (let i = 0; i < 2; i++) {
      await assert.rejects(rest(request()), (error: unknown) => {
        assert.ok(error instanceof GraphQLError);
        const http = error.extensions['http'] as { status: number; headers: Map<string, string> };
        assert.deepEqual([error.extensions['code'], http.status, http.headers.get('retry-after')], ['RATE_LIMIT_UNAVAILABLE', 503, '5']);
        return true;
      });
    }
    assert.deepEqual(failures, ['closed', 'closed']);
    assert.deepEqual(logged(), [[50, 'rate-limit store (Redis) unreachable: charged requests refused', 'closed']]);
    await rateLimits.close();
  });

  it('open: counts in this process instead, and warns once', async () => {
    const { rateLimits, rest, failures, logged } = await withRedis(await unreachable(), 'open');
    await rest(request());
    await rest(request());
    await assert.rejects(rest(request()), (error: unknown) => error instanceof GraphQLError && error.extensions['code'] === 'RATE_LIMITED');
    assert.deepEqual(failures, ['open', 'open', 'open']);
    assert.deepEqual(logged(), [[40, 'rate-limit store (Redis) unreachable: each replica counts alone', 'open']]);
    await rateLimits.close();
  });
});

describe('rate limits counted in Redis', () => {
  it('counts there once connected, says when Redis is back after an outage, and reports the next outage again', async () => {
    const server = await RedisServer.start();
    const started = Date.now();
    const { rateLimits, rest, failures, logged } = await withRedis(server.url, 'closed');
    try {
      assert.ok(Date.now() - started < 1_900, 'a reachable Redis is not waited for until the timeout');
      await rest(request());
      assert.deepEqual([failures, logged()], [[], []]);
      await server.stop();
      await assert.rejects(rest(request()), (error: unknown) => error instanceof GraphQLError && error.extensions['code'] === 'RATE_LIMIT_UNAVAILABLE');
      await server.restart();
      await until(() => logged().some(([, msg]) => msg === 'rate limits counted in Redis again'), 'the recovery logged');
      assert.ok(await rest(request()), 'counted in Redis again (a restarted Redis without persistence counts afresh)');
      await server.stop();
      await assert.rejects(rest(request()), (error: unknown) => error instanceof GraphQLError && error.extensions['code'] === 'RATE_LIMIT_UNAVAILABLE');
      assert.deepEqual(logged().map(([level]) => level), [50, 30, 50]);
    } finally {
      await rateLimits.close();
      await server.stop();
    }
  });
});
