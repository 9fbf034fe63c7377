/**
 * A JWS in compact form has one spelling: base64url segments without padding (RFC 7515 §2), each
 * with the unused low bits of its last character at zero. Base64 decoders, jose's among them,
 * ignore those bits and accept `+`, `/` and `=`, so without this check one signed token has 16
 * accepted spellings of its signature (32 with padding): each would be verified afresh and cached
 * apart, and a log or deny list keyed on the token's text would miss all but one.
 *
 * Re-encoding what was decoded gives the canonical spelling, in base64url characters only.
 * The number of segments is left to jose.
 */
export function isCanonicalCompactJws(token: string): boolean {
  return token.split('.').every((segment) => Buffer.from(segment, 'base64url').toString('base64url') === segment);
}
