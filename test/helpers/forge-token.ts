import { createHmac } from 'node:crypto';
import type { SigningKey } from '../../support/key-set-server.js';

/** base64url of a string as is, or of an object's JSON. */
export function b64url(value: string | object): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/**
 * Signs any header and payload with RS256 through WebCrypto, bypassing the checks jose makes on
 * what it signs, so tests can present validly signed tokens that are malformed in other ways.
 */
export async function signRaw(header: string | object, payload: string | object, key: SigningKey): Promise<string> {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const signature = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', key.privateKey, Buffer.from(input));
  return `${input}.${Buffer.from(signature).toString('base64url')}`;
}

/** Signs with an HMAC, as an attacker does who uses a public key as the shared secret. */
export function signHmac(header: object, payload: object, secret: string | Buffer, hash = 'sha256'): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`;
}
