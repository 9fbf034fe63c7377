import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { QuotaStoreUnavailableError, quotaCounter, type CounterStore } from '../../src/limits/quota-counter.js';
import { createRedisClient, type RedisClient } from '../../src/redis-connection.js';
import { freePort } from '../../support/free-port.js';
import { RedisServer } from '../helpers/redis-server.js';

const QUOTA = { points: 5, windowS: 60 };

/** A store whose failures are counted, so a test sees each charge Redis missed. */
function store(redis: RedisClient | undefined, onStoreFailure: 'open' | 'closed'): CounterStore & { failures: number } {
  const counted = { redis, onStoreFailure, failures: 0, storeFailed: () => void counted.failures++ };
  return counted;
}

/** A client that was never connected: what a replica holds while Redis is down. */
async function unreachableRedis(): Promise<RedisClient> {
  const client = createRedisClient(new URL(`redis://127.0.0.1:${await freePort()}`));
  client.on('error', () => undefined);
  return client;
}

describe('quotaCounter in memory', () => {
  it('counts points per caller until the quota is spent, then refuses with nothing remaining', async () => {
    const counter = quotaCounter('authenticated', QUOTA, store(undefined, 'open'));
    const first = await counter.charge('alice', 3);
    assert.deepEqual([first.allowed, first.remaining], [true, 2]);
    assert.ok(first.resetMs > 59_000 && first.resetMs <= 60_000, `resetMs ${first.resetMs}`);
    const second = await counter.charge('alice', 2);
    assert.deepEqual([second.allowed, second.remaining], [true, 0]);
    const refused = await counter.charge('alice', 1);
    assert.deepEqual([refused.allowed, refused.remaining], [false, 0]);
    assert.ok(refused.resetMs > 59_000 && refused.resetMs <= 60_000, `resetMs ${refused.resetMs}`);
    const other = await counter.charge('bob', 1);
    assert.deepEqual([other.allowed, other.remaining], [true, 4]);
  });

  it('refuses a charge larger than the whole quota', async () => {
    const counter = quotaCounter('anonymous', QUOTA, store(undefined, 'closed'));
    assert.equal((await counter.charge('alice', 6)).allowed, false);
  });
});

describe('quotaCounter in Redis', () => {
  let server: RedisServer;
  let redis: RedisClient;
  before(async () => {
    server = await RedisServer.start();
    redis = createRedisClient(new URL(server.url));
    redis.on('error', () => undefined);
    await redis.connect();
  });
  after(async () => {
    redis.destroy();
    await server.stop();
  });

  it('shares one count between replicas, and keeps each quota name apart', async () => {
    const replicaA = quotaCounter('authenticated', QUOTA, store(redis, 'open'));
    const replicaB = quotaCounter('authenticated', QUOTA, store(redis, 'open'));
    const otherQuota = quotaCounter('anonymous', QUOTA, store(redis, 'open'));
    assert.equal((await replicaA.charge('shared', 4)).remaining, 1);
    assert.equal((await replicaB.charge('shared', 2)).allowed, false);
    assert.equal((await otherQuota.charge('shared', 1)).remaining, 4);
    assert.deepEqual((await redis.keys('ratelimit:*')).sort(), ['ratelimit:anonymous:shared', 'ratelimit:authenticated:shared']);
  });

  it('tells nothing of a store failure while Redis answers', async () => {
    const counted = store(redis, 'open');
    await quotaCounter('authenticated', QUOTA, counted).charge('healthy', 1);
    assert.equal(counted.failures, 0);
  });
});

describe('quotaCounter while Redis is down', () => {
  it('open: counts in this process, and reports each charge it stood in for', async () => {
    const counted = store(await unreachableRedis(), 'open');
    const counter = quotaCounter('authenticated', QUOTA, counted);
    assert.equal((await counter.charge('alice', 4)).remaining, 1);
    const refused = await counter.charge('alice', 2);
    assert.deepEqual([refused.allowed, refused.remaining], [false, 0]);
    assert.equal(counted.failures, 2);
  });

  it('closed: refuses to count, with the cause, and reports the failure', async () => {
    const counted = store(await unreachableRedis(), 'closed');
    const counter = quotaCounter('authenticated', QUOTA, counted);
    await assert.rejects(counter.charge('alice', 1), (error: unknown) => {
      assert.ok(error instanceof QuotaStoreUnavailableError);
      assert.equal(error.name, 'QuotaStoreUnavailableError');
      assert.equal(error.message, 'rate-limit store did not answer');
      assert.ok(error.cause instanceof Error);
      return true;
    });
    assert.equal(counted.failures, 1);
  });
});
