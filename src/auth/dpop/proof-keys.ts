import { calculateJwkThumbprint, EmbeddedJWK, type JWK, type JWTHeaderParameters } from 'jose';
import { LRUCache } from 'lru-cache';

/** A proof's public key as WebCrypto imported it, and its RFC 7638 SHA-256 thumbprint. */
export interface ProofKey {
  key: CryptoKey;
  thumbprint: string;
}

/**
 * Imported proof keys kept per process. A client signs every proof with one key, so its proofs
 * repeat one header; importing that key and hashing its thumbprint cost about twice the signature
 * check (bench/README.md, "What a DPoP proof costs").
 */
const CACHE_SIZE = 1_000;

const cache = new LRUCache<string, ProofKey>({ max: CACHE_SIZE });

/**
 * The key of a compact proof's protected header, for jose's `jwtVerify`. jose has already checked
 * the header's `alg` against the allowed list when it asks, and still checks the key it gets
 * against that `alg` and verifies the signature with it, cache hit or not.
 *
 * Entries are keyed by the header's exact encoded text (at most a proof's 4 KiB, so 1,000 entries
 * stay within a few MB). Everything `EmbeddedJWK` and the thumbprint depend on (the `jwk`, the
 * `alg`) is inside that text and nothing outside it, so a hit returns what a miss would compute:
 * a header that was refused is never cached, and a different header, even for the same key with
 * another member or member order, is a miss.
 */
export async function proofKey(encodedHeader: string, header: JWTHeaderParameters): Promise<ProofKey> {
  const cached = cache.get(encodedHeader);
  if (cached) return cached;
  // The header alone: jose reads only a flattened token's unprotected header, which a compact proof has none of.
  const key = (await EmbeddedJWK(header)) as CryptoKey;
  const entry = { key, thumbprint: await calculateJwkThumbprint(header.jwk as JWK, 'sha256') };
  cache.set(encodedHeader, entry);
  return entry;
}
