import assert from 'node:assert/strict';
import { errors, type JWK } from 'jose';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { KeySetUnavailableError } from '../../src/auth/key-set.js';
import { CACHE_TTL_MS, CLOCK_TOLERANCE_S, InvalidTokenError, NOT_CANONICAL } from '../../src/auth/verifier.js';
import { signRaw } from '../helpers/forge-token.js';
import { createSigningKey } from '../../support/key-set-server.js';
import { AUDIENCE, startClockedVerifier, T0, TIMINGS, type ClockedVerifier } from '../helpers/verifier-clock.js';

/**
 * The verified-token cache of `createVerifier`, on a clock moved by hand. A cache hit returns the
 * very principal object cached; a fresh verification builds a new one, so `===` tells them apart.
 */
const SECOND = 1000;
const tolerance = CLOCK_TOLERANCE_S * SECOND;

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** The signature's last character holds 4 unused bits (256 bytes in 342 characters); decoders ignore them. */
const unusedBitFlipped = (token: string) => `${token.slice(0, -1)}${BASE64URL[BASE64URL.indexOf(token.at(-1)!) ^ 1]}`;

const rejectsWith = (promise: Promise<unknown>, message: string) =>
  assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof InvalidTokenError);
    assert.equal(error.message, message);
    return true;
  });

describe('the verified-token cache', () => {
  let c: ClockedVerifier;
  beforeEach(async () => {
    c = await startClockedVerifier();
  });
  afterEach(() => c.close());

  it('serves a repeated token from the cache, without another fetch', async () => {
    const token = await c.token();
    const first = await c.verifier.verify(token);
    const fetches = c.idp.fetches;
    assert.equal(await c.verifier.verify(token), first);
    assert.equal(c.idp.fetches, fetches);
  });

  it('never serves one token the principal of another', async () => {
    const alice = await c.token({ sub: 'auth0|alice', permissions: ['a'] });
    const bob = await c.token({ sub: 'auth0|bob', permissions: ['b'] });
    for (let round = 0; round < 2; round += 1) {
      assert.equal((await c.verifier.verify(alice)).subject, 'auth0|alice');
      assert.equal((await c.verifier.verify(bob)).subject, 'auth0|bob');
    }
    // Alice's claims under Bob's signature: a cache keyed on anything less than the whole token would serve Alice.
    const [head, payload] = alice.split('.');
    await rejectsWith(c.verifier.verify(`${head}.${payload}.${bob.split('.')[2]}`), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  it('re-verifies a token every 60 s', async () => {
    const token = await c.token();
    const first = await c.verifier.verify(token);
    c.clock.now = T0 + CACHE_TTL_MS - 1;
    assert.equal(await c.verifier.verify(token), first);
    c.clock.now = T0 + CACHE_TTL_MS;
    const second = await c.verifier.verify(token);
    assert.notEqual(second, first);
    assert.equal(await c.verifier.verify(token), second);
  });

  it('stops serving a token from the cache at its exp, then accepts it only within the tolerance', async () => {
    const token = await c.token({ exp: T0 / SECOND + 30 });
    const first = await c.verifier.verify(token);
    c.clock.now = T0 + 30 * SECOND - 1;
    assert.equal(await c.verifier.verify(token), first, 'a hit until exp');
    c.clock.now = T0 + 30 * SECOND;
    const late = await c.verifier.verify(token);
    assert.notEqual(late, first, 'verified again at exp, accepted within the tolerance');
    c.clock.now = T0 + 30 * SECOND + tolerance - 1;
    assert.notEqual(await c.verifier.verify(token), late, 'never cached past exp');
    c.clock.now = T0 + 30 * SECOND + tolerance;
    await rejectsWith(c.verifier.verify(token), 'ERR_JWT_EXPIRED');
  });

  it('serves a token from the cache only from its nbf, less the tolerance', async () => {
    const nbf = T0 / SECOND + 60;
    const token = await c.token({ nbf });
    c.clock.now = nbf * SECOND - tolerance;
    const first = await c.verifier.verify(token);
    assert.equal(await c.verifier.verify(token), first);
    // A clock stepped back (NTP, say) must not be answered from the cache.
    c.clock.now = nbf * SECOND - tolerance - 1;
    await rejectsWith(c.verifier.verify(token), 'ERR_JWT_CLAIM_VALIDATION_FAILED nbf');
  });

  it('is emptied when the key set changes, and kept when a fetch brings the same keys', async () => {
    const token = await c.token();
    const first = await c.verifier.verify(token);
    await c.verifier.keySet.refresh();
    assert.equal(await c.verifier.verify(token), first, 'same keys, same cache');
    await c.idp.publish('key-2');
    await c.verifier.keySet.refresh();
    const second = await c.verifier.verify(token);
    assert.notEqual(second, first);
  });

  it('stops accepting the tokens of a withdrawn key, cached or not, once the key set is fetched again', async () => {
    const token = await c.token();
    await c.verifier.verify(token);
    c.idp.published.splice(0, 1, await createSigningKey('key-2'));
    await c.verifier.keySet.refresh();
    await rejectsWith(c.verifier.verify(token), 'ERR_JWKS_NO_MATCHING_KEY');
  });

  it('refetches withdrawn keys within the max age, and drops cached tokens with them', async () => {
    const token = await c.token();
    await c.verifier.verify(token);
    c.idp.published.splice(0, 1, await createSigningKey('key-2'));
    c.clock.now = T0 + TIMINGS.maxAgeMs;
    // The first miss past the max age starts a refresh, and is verified with the old keys, or
    // with the new ones when the refresh ends first (then it fails: key-1 is gone).
    await c.verifier.verify(await c.token({ sub: 'auth0|other' })).catch(() => undefined);
    assert.equal(c.verifier.keySet.fetches, 2);
    await eventually(() => rejectsWith(c.verifier.verify(token), 'ERR_JWKS_NO_MATCHING_KEY'));
  });

  it('refuses every spelling of a token but its canonical one, cached or not', async () => {
    const token = await c.token();
    await c.verifier.verify(token);
    for (const spelling of [`${token}=`, `${token}==`, unusedBitFlipped(token), token.replace('.', '=.')]) {
      await rejectsWith(c.verifier.verify(spelling), NOT_CANONICAL);
    }
  });

  it("rejects what jose rejects, with jose's reason", async () => {
    const noExp = await c.token({ exp: undefined });
    await rejectsWith(c.verifier.verify(noExp), 'ERR_JWT_CLAIM_VALIDATION_FAILED exp');
    await rejectsWith(c.verifier.verify(await c.token({ aud: 'https://other.example.com' })), 'ERR_JWT_CLAIM_VALIDATION_FAILED aud');
    const [, payload] = (await c.token()).split('.');
    const hs256 = `${Buffer.from(JSON.stringify({ alg: 'HS256', kid: c.key.kid })).toString('base64url')}.${payload}.AAAA`;
    await rejectsWith(c.verifier.verify(hs256), 'ERR_JOSE_ALG_NOT_ALLOWED');
    const error = await c.verifier.verify(noExp).catch((e: unknown) => e);
    assert.deepEqual([(error as InvalidTokenError).name, (error as InvalidTokenError).code], ['InvalidTokenError', 'ERR_INVALID_TOKEN']);
    assert.ok((error as InvalidTokenError).cause instanceof errors.JWTClaimValidationFailed, "jose's error is kept as the cause");
  });

  it('answers a published key it cannot use (a 1024-bit RSA modulus) as an unavailable key set', async () => {
    const weak = await crypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify']);
    const publicJwk = { ...(await crypto.subtle.exportKey('jwk', weak.publicKey)), kid: 'weak', alg: 'RS256', use: 'sig' };
    c.idp.published.push({ kid: 'weak', privateKey: weak.privateKey, publicJwk: publicJwk as JWK });
    await c.verifier.keySet.refresh();
    const seconds = Math.floor(c.clock.now / 1000);
    const token = await signRaw({ alg: 'RS256', typ: 'JWT', kid: 'weak' }, { iss: c.idp.issuer, aud: AUDIENCE, exp: seconds + 60 }, c.idp.published.at(-1)!);
    await assert.rejects(c.verifier.verify(token), (error: unknown) => error instanceof KeySetUnavailableError && error.cause instanceof TypeError);
  });

  it('rejects a key set fetched with a status other than 200, whatever its body', async () => {
    c.idp.fault = 'status-203-with-keys';
    await assert.rejects(c.verifier.verify(await c.token()), KeySetUnavailableError);
  });
});

describe('the verifier without a cache', () => {
  it('verifies every request afresh', async () => {
    const c = await startClockedVerifier({ cacheSize: 0 });
    try {
      const token = await c.token();
      assert.notEqual(await c.verifier.verify(token), await c.verifier.verify(token));
      await rejectsWith(c.verifier.verify(`${token}==`), NOT_CANONICAL);
    } finally {
      await c.close();
    }
  });
});

/** Retries an async assertion until it passes: the background refresh ends on its own schedule. */
async function eventually(assertion: () => Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
