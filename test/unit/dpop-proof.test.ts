import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidProofError, MAX_PROOF_LENGTH, tokenHash, verifyProof, type ProofRequest } from '../../src/auth/dpop/proof.js';
import { createDpopKey, createProof } from '../../src/dev/dpop-proof.js';
import { forgeProof } from '../helpers/dpop.js';

const RULES = { algorithms: ['ES256'], maxAgeS: 300, maxAheadS: 30 };
const URL_ = 'https://api.example.com/graphql';
const TOKEN = 'header.payload.signature';

describe('verifyProof', async () => {
  const key = await createDpopKey();
  const target = { method: 'POST', url: URL_, accessToken: TOKEN };
  const signedAt = (iat: number, claims: Record<string, unknown> = {}) => forgeProof(key, target, { claims: { iat, ...claims } });
  const request = (now: number): ProofRequest => ({ ...target, now });
  const rejects = (proof: string, now: number, reason: RegExp) =>
    assert.rejects(verifyProof(proof, request(now), RULES), (error: unknown) => {
      assert.ok(error instanceof InvalidProofError);
      assert.equal(error.code, 'ERR_INVALID_DPOP_PROOF');
      assert.equal(error.name, 'InvalidProofError');
      // A refusal by jose keeps jose's error, for the log.
      assert.equal(error.cause !== undefined, error.message.startsWith('proof rejected'));
      assert.match(error.message, reason);
      return true;
    });

  it('returns the key thumbprint, the jti and the nonce of a valid proof', async () => {
    const now = 1_800_000_000;
    const verified = await verifyProof(await signedAt(now, { jti: 'j-1', nonce: 'n-1' }), request(now), RULES);
    assert.deepEqual(verified, { thumbprint: key.thumbprint, jti: 'j-1', nonce: 'n-1' });
    const proof = await createProof(key, target);
    assert.equal((await verifyProof(proof, request(Math.floor(Date.now() / 1000)), RULES)).nonce, undefined);
  });

  it('takes iat exactly maxAgeS old and exactly maxAheadS ahead, and refuses one second more', async () => {
    const now = 1_800_000_000;
    await verifyProof(await signedAt(now - 300), request(now), RULES);
    await verifyProof(await signedAt(now + 30), request(now), RULES);
    await rejects(await signedAt(now - 301), now, /too old/);
    await rejects(await signedAt(now + 31), now, /future/);
    const narrow = { ...RULES, maxAgeS: 10, maxAheadS: 0 };
    await verifyProof(await signedAt(now - 10), request(now), narrow);
    await verifyProof(await signedAt(now), request(now), narrow);
    await assert.rejects(verifyProof(await signedAt(now - 11), request(now), narrow), /too old/);
    await assert.rejects(verifyProof(await signedAt(now + 1), request(now), narrow), /future/);
  });

  it('refuses a proof longer than MAX_PROOF_LENGTH before parsing it', async () => {
    const proof = await signedAt(1_800_000_000, { padding: 'p'.repeat(MAX_PROOF_LENGTH) });
    await rejects(proof, 1_800_000_000, /too long/);
    const short = await signedAt(1_800_000_000);
    await rejects(short.padEnd(MAX_PROOF_LENGTH, 'x'), 1_800_000_000, /proof rejected/);
    await rejects(short.padEnd(MAX_PROOF_LENGTH + 1, 'x'), 1_800_000_000, /too long/);
  });

  it('accepts a jti of 256 characters and refuses 257', async () => {
    const now = 1_800_000_000;
    await verifyProof(await signedAt(now, { jti: 'j'.repeat(256) }), request(now), RULES);
    await rejects(await signedAt(now, { jti: 'j'.repeat(257) }), now, /jti/);
    await rejects(await signedAt(now, { jti: '' }), now, /jti/);
    await rejects(await signedAt(now, { jti: 12 }), now, /jti/);
  });

  it('names the claim that does not match: htm, htu or ath', async () => {
    const now = 1_800_000_000;
    await rejects(await signedAt(now, { htm: 'GET' }), now, /^htm does not match the request method$/);
    await rejects(await signedAt(now, { htu: 'https://api.example.com/other' }), now, /^htu does not match the request URL$/);
    await rejects(await signedAt(now, { ath: 'x' }), now, /^ath does not match the access token$/);
    await rejects(await signedAt(now, { jti: '' }), now, /^bad jti$/);
    await rejects('', now, /^proof rejected/);
  });

  it('refuses a nonce that is not a string', async () => {
    await rejects(await signedAt(1_800_000_000, { nonce: 7 }), 1_800_000_000, /nonce/);
  });

  it('refuses each private or symmetric JWK member', async () => {
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) {
      const proof = await forgeProof(key, target, { header: { jwk: { ...key.publicJwk, [member]: 'AQAB' } }, claims: { iat: 1_800_000_000 } });
      await rejects(proof, 1_800_000_000, /^proof key has private members$/);
    }
  });

  it('compares htu with the request URL without its query, and refuses when the request URL is unusable', async () => {
    const now = 1_800_000_000;
    const proof = await signedAt(now);
    await verifyProof(proof, { ...request(now), url: `${URL_}?x=1` }, RULES);
    await assert.rejects(verifyProof(proof, { ...request(now), url: 'not a url' }, RULES), /htu/);
    await assert.rejects(verifyProof(await signedAt(now, { htu: 'not a url' }), { ...request(now), url: 'not a url' }, RULES), /htu/);
    await assert.rejects(verifyProof(await signedAt(now, { htu: 42 }), request(now), RULES), /htu/);
    // `new URL` would read a one-element array as its element.
    await assert.rejects(verifyProof(await signedAt(now, { htu: [URL_] }), request(now), RULES), /htu/);
  });

  it('judges the proof\'s own exp and nbf at the request\'s time', async () => {
    const now = 1_800_000_000;
    await rejects(await signedAt(now, { exp: now - 10 }), now, /proof rejected/);
    await rejects(await signedAt(now, { nbf: now + 60 }), now, /proof rejected/);
    await verifyProof(await signedAt(now, { exp: now + 10 }), request(now), RULES);
  });

  it('accepts only the algorithms it is given', async () => {
    const now = 1_800_000_000;
    await assert.rejects(verifyProof(await signedAt(now), request(now), { ...RULES, algorithms: ['RS256'] }), /proof rejected/);
  });

  it('checks a proof whose header was seen before as fully as the first: the signature, the key and its members', async () => {
    const now = 1_800_000_000;
    const first = await signedAt(now);
    await verifyProof(first, request(now), RULES);
    const headerOf = (proof: string) => proof.split('.')[0];
    // The same header bytes, so the same cache entry, signed by another key.
    const thief = await createDpopKey();
    const stolenHeader = await forgeProof(key, target, { claims: { iat: now }, signWith: thief.privateKey });
    assert.equal(headerOf(stolenHeader), headerOf(first));
    await rejects(stolenHeader, now, /signature verification failed/);
    // The same key (so the same thumbprint) with a member that EmbeddedJWK refuses, or a private one.
    for (const header of [{ jwk: { ...key.publicJwk, use: 'enc' } }, { jwk: { ...key.publicJwk, alg: 'ES384' } }, { jwk: { ...key.publicJwk, key_ops: ['sign'] } }]) {
      await rejects(await forgeProof(key, target, { header, claims: { iat: now } }), now, /proof rejected/);
    }
    await rejects(await forgeProof(key, target, { header: { jwk: { ...key.publicJwk, d: key.publicJwk.x } }, claims: { iat: now } }), now, /private members/);
    // The refusals left the first header's entry as it was.
    assert.equal((await verifyProof(await signedAt(now), request(now), RULES)).thumbprint, key.thumbprint);
  });

  it('hashes the access token as RFC 9449 §4.2 shows', () => {
    // The example of RFC 9449 §7.1: this access token and its `ath`.
    const token = 'Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU';
    assert.equal(tokenHash(token), 'fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo');
  });
});

describe('dpopCredentials', () => {
  it('binds the minted token to a fresh key and makes a new proof per call', async () => {
    const { dpopCredentials } = await import('../../src/dev/dpop-proof.js');
    let boundTo = '';
    const credentials = await dpopCredentials(async (jkt) => ((boundTo = jkt), 'the.access.token'), { method: 'GET', url: URL_ });
    assert.equal(boundTo, credentials.key.thumbprint);
    const now = Math.floor(Date.now() / 1000);
    const [a, b] = [await credentials.nextProof(), await credentials.nextProof()];
    const request = { method: 'GET', url: URL_, accessToken: 'the.access.token', now };
    const [va, vb] = [await verifyProof(a!, request, RULES), await verifyProof(b!, request, RULES)];
    assert.equal(va.thumbprint, boundTo);
    assert.notEqual(va.jti, vb.jti);
  });
});
