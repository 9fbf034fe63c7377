import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NONCE_PERIOD_S, NonceSource } from '../../src/auth/dpop/nonce.js';
import { MemoryReplayStore, ReplayStoreUnavailableError } from '../../src/auth/dpop/replay-store.js';

describe('MemoryReplayStore', () => {
  it('accepts a key once while it lives, and again once it has expired', async () => {
    let now = 1_000_000;
    const store = new MemoryReplayStore({ now: () => now });
    assert.equal(await store.claim('a', 10), true);
    assert.equal(await store.claim('a', 10), false);
    assert.equal(await store.claim('b', 10), true);
    now += 9_999;
    assert.equal(await store.claim('a', 10), false);
    now += 1;
    assert.equal(await store.claim('a', 10), true);
  });

  it('drops expired entries as it goes, so its size follows the traffic of one window', async () => {
    let now = 0;
    const store = new MemoryReplayStore({ now: () => now });
    for (let i = 0; i < 100; i += 1) await store.claim(`k${i}`, 1);
    assert.equal(store.size, 100);
    now = 1_000;
    await store.claim('fresh', 1);
    assert.equal(store.size, 1);
  });

  it('refuses new keys when full, rather than forget one that could be replayed', async () => {
    let now = 0;
    const store = new MemoryReplayStore({ maxEntries: 2, now: () => now });
    await store.claim('a', 10);
    await store.claim('b', 10);
    await assert.rejects(store.claim('c', 10), { name: 'ReplayStoreUnavailableError', code: 'ERR_REPLAY_STORE_UNAVAILABLE', message: 'replay store full' });
    await assert.rejects(store.claim('c', 10), ReplayStoreUnavailableError);
    assert.equal(await store.claim('a', 10), false);
    now = 10_000;
    assert.equal(await store.claim('c', 10), true);
  });

  it('forgets everything on close', async () => {
    const store = new MemoryReplayStore();
    await store.claim('a', 10);
    await store.close();
    assert.equal(store.size, 0);
  });
});

describe('NonceSource', () => {
  it('accepts the current nonce through the next period, then refuses it', () => {
    let now = 100 * NONCE_PERIOD_S;
    const nonces = new NonceSource({ now: () => now });
    const first = nonces.current();
    assert.equal(nonces.accepts(first), true);
    now += NONCE_PERIOD_S - 1;
    assert.equal(nonces.current(), first);
    now += 1;
    assert.notEqual(nonces.current(), first);
    assert.equal(nonces.accepts(first), true);
    now += NONCE_PERIOD_S;
    assert.equal(nonces.accepts(first), false);
  });

  it('reads the system clock, in seconds, by default', () => {
    const key = Buffer.alloc(32, 3);
    const period = (seconds: number) => new NonceSource({ key, now: () => seconds }).current();
    const byDefault = new NonceSource({ key }).current();
    const now = Date.now() / 1000;
    assert.ok([period(now), period(now - NONCE_PERIOD_S)].includes(byDefault));
    assert.notEqual(byDefault, period(Number.NaN));
  });

  it('refuses a missing, altered or foreign nonce', () => {
    const now = () => 5_000;
    const nonces = new NonceSource({ now, key: Buffer.alloc(32, 1) });
    const nonce = nonces.current();
    assert.equal(nonces.accepts(undefined), false);
    assert.equal(nonces.accepts(''), false);
    assert.equal(nonces.accepts(`${nonce}x`), false);
    assert.equal(nonces.accepts(nonce.slice(1)), false);
    assert.equal(new NonceSource({ now, key: Buffer.alloc(32, 2) }).accepts(nonce), false);
    assert.equal(new NonceSource({ now, key: Buffer.alloc(32, 1) }).accepts(nonce), true);
  });
});
