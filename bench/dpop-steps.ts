/**
 * `node --import tsx bench/dpop-steps.ts`: what each step of a DPoP proof check, and of a cold
 * access-token verification, costs in CPU µs per call, made a few at a time in this process.
 * The raw `node:crypto` verifications are the floors the steps are compared with. CPU time, not
 * throughput, so that a shared machine moves the figures little; `--iterations N` per run,
 * `--concurrency N` calls at a time (10, as the bench's connections; 1 shows the thread hops).
 */
import { createPublicKey } from 'node:crypto';
import { parseArgs } from 'node:util';
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, EmbeddedJWK, importJWK, jwtVerify, type JWK } from '../support/jose.js';
import { tokenHash, verifyProof } from '../src/auth/dpop/proof.js';
import { MemoryReplayStore } from '../src/auth/dpop/replay-store.js';
import { createSenderConstraint, DPOP_DEFAULTS } from '../src/auth/dpop/sender-constraint.js';
import { createDpopKey, createProof } from '../src/dev/dpop-proof.js';
import { isCanonicalCompactJws } from '../src/auth/token-spelling.js';
import { createVerifier } from '../src/auth/verifier.js';
import { KeySetServer, sign } from '../support/key-set-server.js';
import { cpuMicrosPerCall, rawVerifier, signedParts } from './crypto-floor.js';

const { values: args } = parseArgs({ options: { iterations: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '10' } } });
const iterations = Number(args.iterations);
const concurrency = Number(args.concurrency);
const REPEATS = 5;

const URL_ = 'http://api.bench.test/graphql';
const AUDIENCE = 'https://hello-world.example.com';
const idp = await KeySetServer.start();
const ISSUER = idp.issuer;
const signingKey = await idp.publish('steps');
const coldVerifier = createVerifier({
  issuer: ISSUER,
  audience: AUDIENCE,
  jwksUri: new URL('.well-known/jwks.json', ISSUER),
  cacheSize: 0,
  keySet: { timeoutMs: 5_000, cooldownMs: 30_000, maxAgeMs: 300_000, staleMaxMs: 1_800_000, retryAfterFailureMs: 1_000 },
  permissionsClaim: 'permissions',
  algorithms: ['RS256'],
});
const now = Math.floor(Date.now() / 1000);
const dpopKey = await createDpopKey();
const token = await sign(
  { iss: ISSUER, aud: AUDIENCE, sub: 'auth0|bench', iat: now, exp: now + 3600, permissions: ['read:admin-messages'], cnf: { jkt: dpopKey.thumbprint } },
  { key: signingKey },
);
const proofFor = () => createProof(dpopKey, { method: 'POST', url: URL_, accessToken: token });
const proof = await proofFor();
// The whole check refuses a replayed proof, so it gets a fresh one per call.
const freshProofs = await Promise.all(Array.from({ length: iterations * REPEATS + 1 }, proofFor));

const header = decodeProtectedHeader(proof);
const jwk = header.jwk as JWK;
const proofCryptoKey = (await EmbeddedJWK(header, { payload: '', signature: '' })) as CryptoKey;
const tokenCryptoKey = (await importJWK(signingKey.publicJwk, 'RS256')) as CryptoKey;
const localKeySet = createLocalJWKSet({ keys: [signingKey.publicJwk] });
const proofParts = signedParts(proof);
const tokenParts = signedParts(token);
const request = { method: 'POST', url: URL_, accessToken: token, now };
const proofClaims = { typ: 'dpop+jwt', algorithms: [...DPOP_DEFAULTS.algorithms], requiredClaims: ['iat'], currentDate: new Date(now * 1000) };
const tokenClaims = { issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'], requiredClaims: ['exp'] };
const replayStore = new MemoryReplayStore();
let replayCount = 0;
const constraint = createSenderConstraint(DPOP_DEFAULTS, { replayStore: new MemoryReplayStore() });
let proofIndex = 0;
const carrier = () => ({ method: 'POST', url: '/graphql', headers: { host: 'api.bench.test' }, rawHeaders: ['Host', 'api.bench.test', 'DPoP', freshProofs[proofIndex++]!] });
const principal = { subject: 'auth0|bench', issuer: ISSUER, permissions: new Set<string>(), expiresAt: now + 3600, notBefore: undefined, confirmation: { jkt: dpopKey.thumbprint } };

const steps: [string, () => unknown][] = [
  ['floor: raw node:crypto ES256 verify (key imported once)', rawVerifier(proof, createPublicKey({ key: jwk, format: 'jwk' }))],
  ['proof: decodeProtectedHeader', () => decodeProtectedHeader(proof)],
  ['proof: key import (EmbeddedJWK, WebCrypto importKey)', () => EmbeddedJWK(header, { payload: '', signature: '' })],
  ['proof: JWK thumbprint (calculateJwkThumbprint)', () => calculateJwkThumbprint(jwk, 'sha256')],
  ['proof: ath (SHA-256 of the access token)', () => tokenHash(token)],
  ['proof: WebCrypto ES256 verify alone (imported key)', () => crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, proofCryptoKey, proofParts.signature, proofParts.input)],
  ['proof: jose jwtVerify, imported key (signature + claims)', () => jwtVerify(proof, proofCryptoKey, proofClaims)],
  ['proof: jose jwtVerify, EmbeddedJWK', () => jwtVerify(proof, EmbeddedJWK, proofClaims)],
  ['proof: htu, two new URL() parses', () => [new URL(URL_), new URL(URL_)]],
  ['proof: replay store claim (fresh key)', () => replayStore.claim(`${dpopKey.thumbprint}.${replayCount++}`, 330)],
  ['proof: verifyProof, the whole (no replay store)', () => verifyProof(proof, request, DPOP_DEFAULTS)],
  ['proof: sender constraint check, the whole (fresh proof each)', () => constraint.check(carrier(), { scheme: 'dpop', token }, principal)],
  ['floor: raw node:crypto RS256 verify (key imported once)', rawVerifier(token, createPublicKey({ key: signingKey.publicJwk, format: 'jwk' }))],
  ['token: WebCrypto RS256 verify alone (imported key)', () => crypto.subtle.verify('RSASSA-PKCS1-v1_5', tokenCryptoKey, tokenParts.signature, tokenParts.input)],
  ['token: jose jwtVerify, imported key', () => jwtVerify(token, tokenCryptoKey, { ...tokenClaims, currentDate: new Date(now * 1000) })],
  ['token: jose jwtVerify, local JWK set (as the verifier)', () => jwtVerify(token, localKeySet, { ...tokenClaims, currentDate: new Date(now * 1000) })],
  ['token: canonical spelling check', () => isCanonicalCompactJws(token)],
  ['token: verifier.verify, TOKEN_CACHE_SIZE=0 (the whole cold path)', () => coldVerifier.verify(token)],
];

console.log(`Node.js ${process.version}; ${iterations} calls per run, ${concurrency} at a time, median of ${REPEATS} runs; CPU µs per call (user + system, all threads)`);
let es256 = 0;
let rs256 = 0;
for (const [name, operation] of steps) {
  const micros = await cpuMicrosPerCall(operation, iterations, { repeats: REPEATS, concurrency });
  if (name.includes('ES256 verify (key')) es256 = micros;
  if (name.includes('RS256 verify (key')) rs256 = micros;
  const floor = name.startsWith('token') ? rs256 : es256;
  console.log(`${micros.toFixed(1).padStart(8)} µs  ${(micros / floor).toFixed(2).padStart(5)}× floor  ${name}`);
}
await idp.close();
