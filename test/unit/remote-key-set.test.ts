import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { errors, jwtVerify } from 'jose';
import { KeySetUnavailableError, RemoteKeySet } from '../../src/auth/key-set.js';
import { captureLogs } from '../helpers/log-capture.js';
import { KeySetServer, sign } from '../../support/key-set-server.js';
import { T0, TIMINGS } from '../helpers/verifier-clock.js';

/** `RemoteKeySet` on a clock moved by hand, against a real loopback key-set endpoint. */
describe('RemoteKeySet', () => {
  let idp: KeySetServer;
  let clock: { now: number };
  let changes: number;
  let keySet: RemoteKeySet;
  let token: string;

  beforeEach(async () => {
    idp = await KeySetServer.start();
    const key = await idp.publish('key-1');
    token = await sign({ sub: 'x' }, { key });
    clock = { now: T0 };
    changes = 0;
    keySet = new RemoteKeySet({ ...TIMINGS, url: new URL('.well-known/jwks.json', idp.issuer), now: () => clock.now });
    keySet.onChange(() => (changes += 1));
  });
  afterEach(() => idp.close());

  const verify = (t = token) => jwtVerify(t, keySet.getKey);
  const unknownKid = async () => sign({ sub: 'x' }, { key: idp.published[0]!, header: { kid: 'unknown' } });

  it('fetches once, then serves from memory until the max age', async () => {
    assert.equal(keySet.ready, true, 'ready before the first fetch: one may be tried');
    await verify();
    clock.now = T0 + TIMINGS.maxAgeMs - 1;
    await verify();
    assert.deepEqual([idp.fetches, keySet.fetches, changes], [1, 1, 1]);
  });

  it('past the max age, refreshes in the background with one fetch for a burst, using the old keys meanwhile', async () => {
    await verify();
    clock.now = T0 + TIMINGS.maxAgeMs;
    idp.delayMs = 50;
    await Promise.all(Array.from({ length: 20 }, () => verify()));
    assert.equal(keySet.fetches, 2, 'the burst itself started the refresh');
    await keySet.refresh();
    assert.equal(idp.fetches, 2);
  });

  it('refetches for an unknown kid once the cooldown has passed, not before', async () => {
    await verify();
    await assert.rejects(verify(await unknownKid()), errors.JWKSNoMatchingKey);
    assert.equal(idp.fetches, 1, 'within the cooldown');
    clock.now = T0 + TIMINGS.cooldownMs;
    await assert.rejects(verify(await unknownKid()), errors.JWKSNoMatchingKey);
    assert.equal(idp.fetches, 2, 'after the cooldown');
  });

  it('after a failed fetch, tries no other until the retry pause has passed, and is not ready meanwhile', async () => {
    idp.fault = 'status-500';
    await assert.rejects(verify(), (error: unknown) => {
      assert.ok(error instanceof KeySetUnavailableError);
      assert.deepEqual([error.name, error.code, (error.cause as Error).message], ['KeySetUnavailableError', 'ERR_KEY_SET_UNAVAILABLE', 'key set answered HTTP 500']);
      return true;
    });
    assert.equal(keySet.ready, false);
    clock.now = T0 + TIMINGS.retryAfterFailureMs - 1;
    await assert.rejects(verify(), { name: 'KeySetUnavailableError', message: 'the key set could not be fetched recently' });
    assert.deepEqual([idp.fetches, keySet.ready], [1, false]);
    clock.now = T0 + TIMINGS.retryAfterFailureMs;
    assert.equal(keySet.ready, true);
    idp.fault = 'ok';
    await verify();
    assert.equal(idp.fetches, 2);
  });

  it('retries an unknown kid at once when the last fetch failed, even within the cooldown', async () => {
    await verify();
    idp.fault = 'status-500';
    clock.now = T0 + TIMINGS.maxAgeMs;
    await assert.rejects(keySet.refresh(), KeySetUnavailableError);
    idp.fault = 'ok';
    const rotated = await idp.publish('key-2');
    clock.now += TIMINGS.retryAfterFailureMs;
    await verify(await sign({ sub: 'y' }, { key: rotated }));
    assert.equal(idp.fetches, 3);
  });

  it('stays ready with keys cached while the provider fails', async () => {
    await verify();
    idp.fault = 'status-500';
    await assert.rejects(keySet.refresh(), KeySetUnavailableError);
    assert.equal(keySet.ready, true);
  });

  it('drops keys older than the stale maximum, so a failing provider no longer keeps them alive', async () => {
    await verify();
    idp.fault = 'status-500';
    clock.now = T0 + TIMINGS.staleMaxMs - 1;
    await verify();
    assert.equal(changes, 1);
    clock.now = T0 + TIMINGS.staleMaxMs;
    await assert.rejects(verify(), KeySetUnavailableError);
    assert.equal(changes, 2, 'the caches built on the dropped keys are told');
    assert.equal(keySet.ready, false);
    idp.fault = 'ok';
    clock.now += TIMINGS.retryAfterFailureMs;
    await verify();
    assert.equal(changes, 3, 'the same document again is new keys after none');
  });

  it('reloads on request even within the retry pause, and logs the outcome', async () => {
    const logs = captureLogs();
    idp.fault = 'status-500';
    await assert.rejects(verify(), KeySetUnavailableError);
    await keySet.reload(logs.logger);
    assert.equal(idp.fetches, 2, 'the pause after a failure does not stop the operator');
    idp.fault = 'ok';
    await keySet.reload(logs.logger);
    await verify();
    assert.deepEqual(
      logs.lines.map((l) => [l['level'], l['msg']]),
      [
        [40, 'key set reload failed; the keys in use stay until JWKS_STALE_MAX_MS'],
        [30, 'key set reloaded'],
      ],
    );
    assert.equal(logs.lines[1]!['url'], `${idp.issuer}.well-known/jwks.json`);
    assert.match(String((logs.lines[0]!['err'] as { message: string }).message), /^cannot fetch /);
    assert.equal(idp.fetches, 3);
  });

  it('drops stale keys without an onChange listener too', async () => {
    const bare = new RemoteKeySet({ ...TIMINGS, url: new URL('.well-known/jwks.json', idp.issuer), now: () => clock.now });
    await jwtVerify(token, bare.getKey);
    idp.fault = 'status-500';
    clock.now = T0 + TIMINGS.staleMaxMs;
    await assert.rejects(jwtVerify(token, bare.getKey), KeySetUnavailableError);
  });

  it('coalesces concurrent refreshes into one fetch', async () => {
    idp.delayMs = 50;
    await Promise.all([keySet.refresh(), keySet.refresh(), verify()]);
    assert.deepEqual([idp.fetches, keySet.fetches], [1, 1]);
  });

  it('gives up on a hanging provider after the timeout', async () => {
    const quick = new RemoteKeySet({ ...TIMINGS, timeoutMs: 50, url: new URL('.well-known/jwks.json', idp.issuer) });
    idp.fault = 'hang';
    await assert.rejects(quick.refresh(), (error: unknown) => error instanceof KeySetUnavailableError && /cannot fetch/.test(error.message));
  });
});
