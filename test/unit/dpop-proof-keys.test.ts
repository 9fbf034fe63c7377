import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { calculateJwkThumbprint, CompactSign, compactVerify, exportJWK, generateKeyPair, type JWK, type JWTHeaderParameters } from 'jose';
import { DPOP_DEFAULTS } from '../../src/auth/dpop/dpop-settings.js';
import { proofKey } from '../../src/auth/dpop/proof-keys.js';

/** RFC 7638 §3.1's example key, and the thumbprint the RFC gives for it. */
const RFC_7638_KEY: JWK = {
  kty: 'RSA',
  n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
  e: 'AQAB',
};
const RFC_7638_THUMBPRINT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

/** A proof's protected header as a client encodes it, with the key it embeds. */
function encoded(header: JWTHeaderParameters): string {
  return Buffer.from(JSON.stringify(header)).toString('base64url');
}

describe('proofKey', () => {
  it("imports the embedded key, which verifies the proof's signature, with its RFC 7638 thumbprint", async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    const header: JWTHeaderParameters = { alg: 'ES256', typ: 'dpop+jwt', jwk };
    const proof = await new CompactSign(new TextEncoder().encode('{}')).setProtectedHeader(header).sign(privateKey);
    const [encodedHeader] = proof.split('.');
    const { key, thumbprint } = await proofKey(encodedHeader!, header);
    assert.equal(key.type, 'public');
    assert.equal(thumbprint, await calculateJwkThumbprint(jwk, 'sha256'));
    assert.equal(new TextDecoder().decode((await compactVerify(proof, key)).payload), '{}');
  });

  it('hashes the thumbprint as RFC 7638 does', async () => {
    const header: JWTHeaderParameters = { alg: 'RS256', typ: 'dpop+jwt', jwk: RFC_7638_KEY };
    assert.equal((await proofKey(encoded(header), header)).thumbprint, RFC_7638_THUMBPRINT);
  });

  it('imports a repeated header once, and a header spelled otherwise anew', async () => {
    const header: JWTHeaderParameters = { alg: 'RS256', typ: 'dpop+jwt', jwk: RFC_7638_KEY };
    const first = await proofKey(encoded(header), header);
    assert.equal(await proofKey(encoded(header), header), first);
    const reordered: JWTHeaderParameters = { typ: 'dpop+jwt', alg: 'RS256', jwk: RFC_7638_KEY };
    const other = await proofKey(encoded(reordered), reordered);
    assert.notEqual(other, first);
    assert.equal(other.thumbprint, first.thumbprint);
  });

  it('refuses a header whose key is private, and caches nothing for it', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const header: JWTHeaderParameters = { alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(privateKey) };
    for (let i = 0; i < 2; i++) await assert.rejects(proofKey(encoded(header), header), /public/);
  });
});

describe('the DPoP defaults', () => {
  it("are Auth0's: its algorithms and iat window, bearer tokens accepted, the Host as the origin", () => {
    assert.deepEqual(DPOP_DEFAULTS, { algorithms: ['ES256', 'PS256', 'RS256', 'EdDSA'], maxAgeS: 300, maxAheadS: 30, required: false, publicUrls: [] });
  });
});
