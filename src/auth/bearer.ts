import type { AuthScheme } from '../errors.js';

/**
 * Parses an `Authorization` header into a bearer (RFC 6750 §2.1) or DPoP (RFC 9449 §7.1) token.
 * The scheme is case-insensitive; exactly one token in token68 syntax must follow one space,
 * without token68's `=` padding, which a JWT never carries (RFC 7515 §2).
 */

export type BearerHeader =
  | { kind: 'absent' }
  | { kind: 'malformed' }
  | { kind: 'token'; token: string; scheme: AuthScheme };

/** Longer headers are refused before any parsing or hashing: real access tokens are a few KiB. */
export const MAX_AUTHORIZATION_LENGTH = 8192;

const BEARER = /^(Bearer|DPoP) ([A-Za-z0-9\-._~+/]+)$/i;

export function parseBearer(header: string | undefined): BearerHeader {
  if (header === undefined) return { kind: 'absent' };
  if (header.length > MAX_AUTHORIZATION_LENGTH) return { kind: 'malformed' };
  const match = BEARER.exec(header);
  return match ? { kind: 'token', token: match[2]!, scheme: match[1]!.toLowerCase() as AuthScheme } : { kind: 'malformed' };
}
