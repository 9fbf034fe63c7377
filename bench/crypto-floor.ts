import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { decodeProtectedHeader, type JWK } from '../support/jose.js';

/**
 * CPU µs per call of `operation`, user + system time of this whole process (libuv's thread pool
 * included, where WebCrypto works), over `iterations` calls made `concurrency` at a time, as a
 * server under load makes them (one at a time, each WebCrypto call pays a thread hop and two
 * wake-ups that concurrent calls share); the median of `repeats` such runs. CPU time rather than
 * wall time, so that other work on the machine moves it little.
 */
export async function cpuMicrosPerCall(operation: () => unknown, iterations: number, { repeats = 5, concurrency = 10 } = {}): Promise<number> {
  const runs: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const before = process.cpuUsage();
    for (let i = 0; i < iterations; i += concurrency) await Promise.all(Array.from({ length: concurrency }, operation));
    const { user, system } = process.cpuUsage(before);
    runs.push((user + system) / iterations);
  }
  return runs.sort((a, b) => a - b)[Math.floor(runs.length / 2)]!;
}

/** A compact JWS taken apart once, so that a floor measures the signature check alone. */
export function signedParts(jws: string): { input: Uint8Array<ArrayBuffer>; signature: Uint8Array<ArrayBuffer> } {
  const [header, payload, signature] = jws.split('.');
  // Copied into plain ArrayBuffers, which WebCrypto's types ask for.
  return { input: new Uint8Array(Buffer.from(`${header}.${payload}`)), signature: new Uint8Array(Buffer.from(signature!, 'base64url')) };
}

/**
 * A raw `node:crypto` verification of a compact JWS with SHA-256 (ES256 or RS256): no JOSE
 * library, no parsing, the key imported once. Throws if the signature does not verify, so a floor
 * is never measured on a failing input.
 */
export function rawVerifier(jws: string, key: KeyObject): () => boolean {
  const { input, signature } = signedParts(jws);
  const options = key.asymmetricKeyType === 'ec' ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
  const check = () => verify('sha256', input, options, signature);
  if (!check()) throw new Error('the floor input does not verify');
  return check;
}

export interface CryptoFloors {
  /** CPU µs of one raw ES256 verification of a DPoP proof, with the key its header carries. */
  es256Micros: number;
  /** CPU µs of one raw RS256 verification of an access token, with the issuer's key. */
  rs256Micros: number;
}

const FLOOR_ITERATIONS = 2_000;

/** The signature floors for the bench's own inputs: the proof the DPoP contender sends and the token every contender sends. */
export async function measureCryptoFloors(inputs: { proof: string; token: string; tokenKey: JWK }): Promise<CryptoFloors> {
  const proofKey = createPublicKey({ key: decodeProtectedHeader(inputs.proof).jwk as JWK, format: 'jwk' });
  const tokenKey = createPublicKey({ key: inputs.tokenKey, format: 'jwk' });
  return {
    es256Micros: await cpuMicrosPerCall(rawVerifier(inputs.proof, proofKey), FLOOR_ITERATIONS),
    rs256Micros: await cpuMicrosPerCall(rawVerifier(inputs.token, tokenKey), FLOOR_ITERATIONS),
  };
}
