import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { tokenHash } from '../auth/dpop/proof.js';

/** A client's DPoP key: the private half signs proofs, the thumbprint goes in the token's `cnf.jkt`. */
export interface DpopKey {
  privateKey: CryptoKey;
  publicJwk: JWK;
  thumbprint: string;
}

export interface ProofTarget {
  method: string;
  /** The full URL the request goes to; its query and fragment are left out of `htu`. */
  url: string;
  accessToken: string;
  /** The server nonce, when the server asked for one with `use_dpop_nonce`. */
  nonce?: string;
}

/** A fresh ES256 key, as the Auth0 SPA SDK makes one. */
export async function createDpopKey(): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return fromKeys(privateKey, await exportJWK(publicKey));
}

/** A key from its private JWK, as `npm run token -- --dpop` prints it. */
export async function dpopKeyFromJwk(privateJwk: JWK): Promise<DpopKey> {
  const { d: _d, ...publicJwk } = privateJwk;
  return fromKeys((await importJWK(privateJwk, 'ES256')) as CryptoKey, publicJwk);
}

async function fromKeys(privateKey: CryptoKey, publicJwk: JWK): Promise<DpopKey> {
  return { privateKey, publicJwk, thumbprint: await calculateJwkThumbprint(publicJwk, 'sha256') };
}

/** A DPoP proof (RFC 9449 §4.2) for one request; each call has a new `jti`, so each is usable once. */
export function createProof(key: DpopKey, { method, url, accessToken, nonce }: ProofTarget): Promise<string> {
  const target = new URL(url);
  return new SignJWT({
    htm: method,
    htu: `${target.origin}${target.pathname}`,
    ath: tokenHash(accessToken),
    jti: randomUUID(),
    ...(nonce === undefined ? {} : { nonce }),
  })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk })
    .setIssuedAt()
    .sign(key.privateKey);
}

export interface DpopCredentials {
  key: DpopKey;
  accessToken: string;
  /** A new proof for the target, with the server's nonce when given one. */
  nextProof(nonce?: string): Promise<string>;
}

/**
 * For load generators such as the bench, and tests: a fresh key, the token `mint` binds to its
 * thumbprint, and a new proof for `target` per call, each good for one request.
 */
export async function dpopCredentials(mint: (jkt: string) => Promise<string>, target: { method: string; url: string }): Promise<DpopCredentials> {
  const key = await createDpopKey();
  const accessToken = await mint(key.thumbprint);
  return { key, accessToken, nextProof: (nonce) => createProof(key, { ...target, accessToken, ...(nonce === undefined ? {} : { nonce }) }) };
}
