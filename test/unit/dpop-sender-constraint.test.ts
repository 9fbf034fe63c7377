import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NonceSource } from '../../src/auth/dpop/nonce.js';
import { reconnectDelayMs } from '../../src/redis-connection.js';
import { MemoryReplayStore, ReplayStoreUnavailableError, type ReplayStore } from '../../src/auth/dpop/replay-store.js';
import { DPOP_DEFAULTS } from '../../src/auth/dpop/dpop-settings.js';
import { createSenderConstraint, SenderConstraintError, type ProofCarrier } from '../../src/auth/dpop/sender-constraint.js';
import { authFailureError } from '../../src/errors.js';
import type { Principal } from '../../src/auth/principal.js';
import { createDpopKey, createProof } from '../../src/dev/dpop-proof.js';

const TOKEN = 'a.bound.token';
const principal = (jkt: string | undefined): Principal => ({
  issuer: 'https://tenant.example.com/',
  subject: 'auth0|unit',
  permissions: new Set(),
  expiresAt: 2_000_000_000,
  notBefore: undefined,
  confirmation: { jkt },
});

/** The failure a check rejected with: its status, challenge and nonce, as the request is answered. */
async function failure(promise: Promise<void>): Promise<{ status: number; challenge: string | undefined; nonce: string | undefined }> {
  const rejected = await promise.then(() => assert.fail('accepted'), (e: unknown) => e);
  assert.ok(rejected instanceof SenderConstraintError);
  const error = authFailureError(rejected.failure, rejected.challenge);
  const http = error.extensions['http'] as { status: number; headers: Map<string, string> };
  return { status: http.status, challenge: http.headers.get('www-authenticate'), nonce: http.headers.get('dpop-nonce') };
}

describe('createSenderConstraint', async () => {
  const key = await createDpopKey();
  const carrier = async (rawHeaderNames: string[] = ['DPoP'], extra: string[] = [], url = 'http://api.test/graphql?x=1'): Promise<ProofCarrier> => {
    const proof = await createProof(key, { method: 'POST', url: 'http://api.test/graphql', accessToken: TOKEN });
    return {
      method: 'POST',
      url: new URL(url).pathname + new URL(url).search,
      headers: { host: 'api.test' },
      rawHeaders: [...extra, ...rawHeaderNames.flatMap((name) => [name, proof])],
    };
  };
  const dpop = { scheme: 'dpop' as const, token: TOKEN };

  it('grants a proof under a DPoP header named in any case, among other headers whose value is "dpop"', async () => {
    const check = createSenderConstraint();
    await check.check(await carrier(['DPoP']), dpop, principal(key.thumbprint));
    await check.check(await carrier(['dpop'], ['X-Note', 'dpop', 'Accept', 'DPoP']), dpop, principal(key.thumbprint));
  });

  it('refuses two DPoP headers, or none', async () => {
    const check = createSenderConstraint();
    assert.equal((await failure(check.check(await carrier(['DPoP', 'dpop']), dpop, principal(key.thumbprint)))).status, 401);
    assert.match((await failure(check.check(await carrier([]), dpop, principal(key.thumbprint)))).challenge!, /invalid_dpop_proof/);
  });

  it('builds htu from Host, and refuses without one', async () => {
    const request = await carrier();
    await assert.rejects(createSenderConstraint().check({ ...request, headers: {} }, dpop, principal(key.thumbprint)));
    await assert.rejects(createSenderConstraint().check({ ...request, headers: { host: 'other.test' } }, dpop, principal(key.thumbprint)));
  });

  it('with public URLs, checks htu against the one whose host the request names, and refuses a Host outside them', async () => {
    const behindProxy = createSenderConstraint({ ...DPOP_DEFAULTS, publicUrls: ['https://api.example.com', 'http://api.test'] });
    await behindProxy.check({ ...(await carrier()), headers: { host: 'API.test' } }, dpop, principal(key.thumbprint));
    // Another listed origin: the proof named http://api.test.
    await assert.rejects(behindProxy.check({ ...(await carrier()), headers: { host: 'api.example.com' } }, dpop, principal(key.thumbprint)), /htu does not match/);
    for (const headers of [{ host: 'internal:6061' }, {}]) {
      await assert.rejects(
        behindProxy.check({ ...(await carrier()), headers }, dpop, principal(key.thumbprint)),
        (error: unknown) => error instanceof SenderConstraintError && error.message === 'Host is not among the public URLs',
        JSON.stringify(headers),
      );
    }
  });

  it('remembers each proof for the whole iat window, max age plus max ahead', async () => {
    const ttls: number[] = [];
    const memory = new MemoryReplayStore();
    const recording: ReplayStore = { claim: (k, ttl) => (ttls.push(ttl), memory.claim(k, ttl)), close: () => memory.close() };
    await createSenderConstraint({ ...DPOP_DEFAULTS, maxAgeS: 120, maxAheadS: 7 }, { replayStore: recording })
      .check(await carrier(), dpop, principal(key.thumbprint));
    assert.deepEqual(ttls, [127]);
  });

  it('keys the replay store by key and jti, so another key may reuse a jti', async () => {
    const keys: string[] = [];
    const memory = new MemoryReplayStore();
    const recording: ReplayStore = { claim: (k, ttl) => (keys.push(k), memory.claim(k, ttl)), close: () => memory.close() };
    const check = createSenderConstraint(DPOP_DEFAULTS, { replayStore: recording });
    await check.check(await carrier(), dpop, principal(key.thumbprint));
    await check.check(await carrier(), dpop, principal(key.thumbprint));
    assert.equal(new Set(keys).size, 2);
    assert.match(keys[0]!, /^[A-Za-z0-9_-]{43}$/);
  });

  it('fails closed with 503 when the replay store cannot answer', async () => {
    const broken: ReplayStore = { claim: () => Promise.reject(new ReplayStoreUnavailableError('down')), close: async () => undefined };
    const result = await failure(createSenderConstraint(DPOP_DEFAULTS, { replayStore: broken }).check(await carrier(), dpop, principal(key.thumbprint)));
    assert.equal(result.status, 503);
  });

  it('judges iat by its own clock', async () => {
    const request = await carrier();
    const later = createSenderConstraint(DPOP_DEFAULTS, { now: () => Date.now() / 1000 + 400 });
    assert.match((await failure(later.check(request, dpop, principal(key.thumbprint)))).challenge!, /invalid_dpop_proof/);
  });

  it('puts the error on the DPoP challenge alone under DPOP_REQUIRED', async () => {
    const required = createSenderConstraint({ ...DPOP_DEFAULTS, required: true });
    const bearer = await failure(required.check(await carrier(), { scheme: 'bearer', token: TOKEN }, { ...principal(undefined), confirmation: undefined }));
    assert.deepEqual(bearer, { status: 401, challenge: 'DPoP algs="ES256 PS256 RS256 EdDSA", error="invalid_token"', nonce: undefined });
    assert.deepEqual(required.challenge('dpop'), { scheme: 'dpop', dpopAlgorithms: DPOP_DEFAULTS.algorithms, bearerAccepted: false });
  });
});

describe('createSenderConstraint with server nonces', async () => {
  const key = await createDpopKey();
  const request = async (nonce?: string): Promise<ProofCarrier> => ({
    method: 'GET',
    url: '/api/messages/admin',
    headers: { host: 'api.test' },
    rawHeaders: ['DPoP', await createProof(key, { method: 'GET', url: 'http://api.test/api/messages/admin', accessToken: TOKEN, ...(nonce ? { nonce } : {}) })],
  });

  it('asks for the current nonce, with use_dpop_nonce, and accepts it', async () => {
    const nonces = new NonceSource();
    const check = createSenderConstraint(DPOP_DEFAULTS, { nonces });
    const asked = await failure(check.check(await request(), { scheme: 'dpop', token: TOKEN }, principal(key.thumbprint)));
    assert.deepEqual(asked, {
      status: 401,
      challenge: 'Bearer realm="api", DPoP algs="ES256 PS256 RS256 EdDSA", error="use_dpop_nonce"',
      nonce: nonces.current(),
    });
    await check.check(await request(nonces.current()), { scheme: 'dpop', token: TOKEN }, principal(key.thumbprint));
  });
});

describe('reconnectDelayMs', () => {
  it('doubles from 50 ms and stays at 1 s', () => {
    assert.deepEqual([0, 1, 2, 4, 5, 30].map(reconnectDelayMs), [50, 100, 200, 800, 1_000, 1_000]);
  });
});
