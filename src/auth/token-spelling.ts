/**
 * A JWS in compact form has one spelling: three base64url segments without padding (RFC 7515
 * §2), each with the unused low bits of its last character at zero. Base64 decoders, jose's among
 * them, ignore those bits, so without this check one signed token has 16 accepted spellings of its
 * signature: each would be verified afresh and cached apart, and a log or deny list keyed on the
 * token's text would miss 15 of them.
 */
export function isCanonicalCompactJws(token: string): boolean {
  const segments = token.split('.');
  return segments.length === 3 && segments.every(isCanonicalBase64url);
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function isCanonicalBase64url(segment: string): boolean {
  return BASE64URL.test(segment) && Buffer.from(segment, 'base64url').toString('base64url') === segment;
}
