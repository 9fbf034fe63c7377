import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateKeyPair, exportJWK } from 'jose';
import { b64url } from '../helpers/forge-token.js';
import { boundCredentials, boundToken, createDpopKey, createProof, forgeProof, PATIENT_KEY_SET, postGraphql, type DpopKey, type DpopResponse, type ProofParts } from '../helpers/dpop.js';
import { ADMIN, startHarness, type Harness } from '../helpers/harness.js';
import { rawRequest } from '../helpers/http-request.js';

const ALGS = 'algs="ES256 PS256 RS256 EdDSA"';
const INVALID_PROOF = `Bearer realm="api", DPoP ${ALGS}, error="invalid_dpop_proof"`;
const INVALID_TOKEN_DPOP = `Bearer realm="api", DPoP ${ALGS}, error="invalid_token"`;
const INVALID_TOKEN_BEARER = `Bearer realm="api", error="invalid_token", DPoP ${ALGS}`;

/** One UNAUTHENTICATED error, no data, the seed's message and the given challenge. */
function assertRefused(response: DpopResponse, challenge: string): void {
  assert.equal(response.status, 401);
  assert.equal(response.body.data, undefined);
  assert.equal(response.body.errors?.length, 1);
  assert.equal(response.body.errors[0]!.message, 'Bad credentials');
  assert.equal(response.body.errors[0]!.extensions?.['code'], 'UNAUTHENTICATED');
  assert.equal(response.headers.get('www-authenticate'), challenge);
}

function assertGranted(response: DpopResponse): void {
  assert.equal(response.status, 200, JSON.stringify(response.body));
  assert.deepEqual(response.body.data, { adminMessage: { text: 'This is an admin message.' } });
}

describe('DPoP-bound tokens (RFC 9449)', () => {
  let h: Harness;
  let key: DpopKey;
  let token: string;
  let nextProof: () => Promise<string>;
  let graphqlUrl: string;
  before(async () => {
    h = await startHarness(PATIENT_KEY_SET);
    graphqlUrl = `${h.url}/graphql`;
    ({ key, accessToken: token, nextProof } = await boundCredentials(h, { method: 'POST', url: graphqlUrl }));
  });
  after(() => h.close());

  const proofFor = (parts: ProofParts = {}, accessToken = token) => forgeProof(key, { method: 'POST', url: graphqlUrl, accessToken }, parts);
  const send = async (proof: string, accessToken = token) => postGraphql(h, { token: accessToken, proofs: [proof] });
  const refusedProof = async (parts: ProofParts) => assertRefused(await send(await proofFor(parts)), INVALID_PROOF);

  describe('accepts', () => {
    it('a bound token with a fresh proof on POST /graphql, with the DPoP scheme in any case', async () => {
      assertGranted(await send(await nextProof()));
      assertGranted(await postGraphql(h, { token, scheme: 'dpop', proofs: [await proofFor()] }));
    });

    it('GET /graphql, whose htu leaves out the query', async () => {
      const url = `${graphqlUrl}?query=${encodeURIComponent('{ adminMessage { text } }')}`;
      const proof = await createProof(key, { method: 'GET', url, accessToken: token });
      const response = await fetch(url, { headers: { authorization: `DPoP ${token}`, dpop: proof, 'apollo-require-preflight': '1' } });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { data: { adminMessage: { text: 'This is an admin message.' } } });
    });

    it('the REST mirror, with the full path in htu', async () => {
      const url = `${h.url}/api/messages/admin`;
      const proof = await createProof(key, { method: 'GET', url, accessToken: token });
      const response = await fetch(url, { headers: { authorization: `DPoP ${token}`, dpop: proof } });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { text: 'This is an admin message.' });
    });

    it('an htu that differs only in case of scheme and host, or carries a query', async () => {
      const upper = graphqlUrl.replace('http://', 'HTTP://');
      assertGranted(await send(await proofFor({ claims: { htu: upper } })));
      assertGranted(await send(await proofFor({ claims: { htu: `${graphqlUrl}?a=1#f` } })));
    });

    it('a plain bearer token without cnf, still', async () => {
      const response = await postGraphql(h, { token: await h.token({ permissions: [ADMIN] }), scheme: 'Bearer' });
      assertGranted(response);
    });

    it('a proof at the edges of the iat window: 300 s old, 30 s ahead', async () => {
      const now = Math.floor(Date.now() / 1000);
      // Slack toward the inside: the floor above drops up to a second, and the clock ticks on
      // between signing and checking (the server compares with its fractional time).
      assertGranted(await send(await proofFor({ claims: { iat: now - 298 } })));
      assertGranted(await send(await proofFor({ claims: { iat: now + 29 } })));
    });
  });

  describe('refuses the proof (401, error="invalid_dpop_proof")', () => {
    it('without a DPoP header', async () => assertRefused(await postGraphql(h, { token }), INVALID_PROOF));

    it('with two DPoP headers, even both valid', async () => {
      const proofs = [await proofFor(), await proofFor()];
      const body = JSON.stringify({ query: '{ adminMessage { text } }' });
      const { status, headers } = await rawRequest(graphqlUrl, 'POST', { 'content-type': 'application/json', authorization: `DPoP ${token}`, dpop: proofs }, [body]);
      assert.equal(status, 401);
      assert.equal(headers['www-authenticate'], INVALID_PROOF);
    });

    it('whose typ is not dpop+jwt', async () => {
      await refusedProof({ header: { typ: 'JWT' } });
      await refusedProof({ header: { typ: undefined } });
    });

    it('with alg none', async () => {
      const header = { typ: 'dpop+jwt', alg: 'none', jwk: key.publicJwk };
      const claims = { htm: 'POST', htu: graphqlUrl, jti: 'none-1', iat: Math.floor(Date.now() / 1000) };
      assertRefused(await send(`${b64url(header)}.${b64url(claims)}.`), INVALID_PROOF);
    });

    it('with a symmetric algorithm (HS256)', async () => {
      const secret = new TextEncoder().encode('a shared secret that is long enough for HS256');
      await refusedProof({ header: { alg: 'HS256', jwk: { kty: 'oct', k: b64url('a shared secret that is long enough for HS256') } }, signWith: secret as unknown as CryptoKey });
    });

    it('with an asymmetric algorithm left off the allow-list (ES384)', async () => {
      const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
      await refusedProof({ header: { alg: 'ES384', jwk: await exportJWK(publicKey) }, signWith: privateKey });
    });

    it('without a jwk header', async () => refusedProof({ header: { jwk: undefined } }));

    it('whose jwk is a private key', async () => {
      const { privateKey } = await generateKeyPair('ES256', { extractable: true });
      await refusedProof({ header: { jwk: await exportJWK(privateKey) }, signWith: privateKey });
    });

    it('whose jwk carries a private or symmetric member beside the public key', async () => {
      await refusedProof({ header: { jwk: { ...key.publicJwk, k: 'AAAA' } } });
    });

    it('whose signature does not verify', async () => {
      const { privateKey } = await generateKeyPair('ES256');
      await refusedProof({ signWith: privateKey });
      const proof = await proofFor();
      const [head, body] = proof.split('.');
      const otherBody = b64url({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), htm: 'GET' });
      assertRefused(await send(`${head}.${otherBody}.${proof.split('.')[2]}`), INVALID_PROOF);
    });

    it('whose htm is not the request method', async () => {
      await refusedProof({ claims: { htm: 'GET' } });
      await refusedProof({ claims: { htm: 'post' } });
      await refusedProof({ claims: { htm: undefined } });
    });

    it('whose htu is another URL, or none', async () => {
      await refusedProof({ claims: { htu: `${h.url}/api/messages/admin` } });
      await refusedProof({ claims: { htu: graphqlUrl.replace('127.0.0.1', 'localhost') } });
      await refusedProof({ claims: { htu: graphqlUrl.replace('http:', 'https:') } });
      await refusedProof({ claims: { htu: '/graphql' } });
      await refusedProof({ claims: { htu: undefined } });
    });

    it('whose iat is older than 300 s, later than 30 s ahead, or missing', async () => {
      const now = Math.floor(Date.now() / 1000);
      await refusedProof({ claims: { iat: now - 302 } });
      await refusedProof({ claims: { iat: now + 32 } });
      await refusedProof({ claims: { iat: undefined } });
      await refusedProof({ claims: { iat: String(now) } });
    });

    it('without a jti, or with an empty or oversized one', async () => {
      await refusedProof({ claims: { jti: undefined } });
      await refusedProof({ claims: { jti: '' } });
      await refusedProof({ claims: { jti: 7 } });
      await refusedProof({ claims: { jti: 'j'.repeat(257) } });
    });

    it('used a second time', async () => {
      const proof = await proofFor();
      assertGranted(await send(proof));
      assertRefused(await send(proof), INVALID_PROOF);
    });

    it('whose ath is not the hash of this token, or missing', async () => {
      await refusedProof({ claims: { ath: b64url('not the hash') } });
      await refusedProof({ claims: { ath: undefined } });
      const other = await boundToken(h, key, { sub: 'auth0|other' });
      assertRefused(await send(await proofFor({}, other)), INVALID_PROOF);
    });

    it('signed by a key other than the one the token is bound to', async () => {
      const thief = await createDpopKey();
      const proof = await createProof(thief, { method: 'POST', url: graphqlUrl, accessToken: token });
      assertRefused(await send(proof), INVALID_PROOF);
    });

    it('longer than 4 KiB', async () => refusedProof({ claims: { padding: 'p'.repeat(4096) } }));
  });

  describe('refuses the token (401, error="invalid_token")', () => {
    it('a bound token presented as Bearer, even once it is cached', async () => {
      assertGranted(await send(await proofFor()));
      assertRefused(await postGraphql(h, { token, scheme: 'Bearer' }), INVALID_TOKEN_BEARER);
      assertRefused(await postGraphql(h, { token, scheme: 'Bearer', proofs: [await proofFor()] }), INVALID_TOKEN_BEARER);
    });

    it('a token bound by another confirmation method, as Bearer or DPoP', async () => {
      const mtls = await h.token({ permissions: [ADMIN], cnf: { 'x5t#S256': 'abc' } });
      assertRefused(await postGraphql(h, { token: mtls, scheme: 'Bearer' }), INVALID_TOKEN_BEARER);
      assertRefused(await send(await proofFor({}, mtls), mtls), INVALID_PROOF);
    });

    it('a token without cnf presented as DPoP, even with a valid proof', async () => {
      const unbound = await h.token({ permissions: [ADMIN] });
      assertRefused(await send(await proofFor({}, unbound), unbound), INVALID_TOKEN_DPOP);
    });

    it('an invalid token under DPoP, with the error on the DPoP challenge', async () => {
      const expired = await boundToken(h, key, { exp: Math.floor(Date.now() / 1000) - 60 });
      assertRefused(await send(await proofFor({}, expired), expired), INVALID_TOKEN_DPOP);
    });
  });

  it('answers REST failures with the seed body and the challenges', async () => {
    const url = `${h.url}/api/messages/admin`;
    const response = await fetch(url, { headers: { authorization: `DPoP ${token}`, dpop: await proofFor() } });
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), INVALID_PROOF);
    assert.deepEqual(await response.json(), { message: 'Bad credentials' });
  });
});
