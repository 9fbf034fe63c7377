// DPoP (RFC 9449) in the browser with WebCrypto alone: an ES256 key whose private half cannot be
// exported, so a script that steals the access token cannot take the key with it.

const encoder = new TextEncoder();

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const base64urlJson = (value) => base64url(encoder.encode(JSON.stringify(value)));

/** A fresh key pair; `privateKey.extractable` is false. The public JWK travels in every proof. */
export async function createDpopKey() {
  const { privateKey, publicKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', publicKey);
  const publicJwk = { kty, crv, x, y };
  // RFC 7638: SHA-256 of the required members, in lexicographic order, without whitespace.
  const thumbprint = base64url(await crypto.subtle.digest('SHA-256', encoder.encode(JSON.stringify({ crv, kty, x, y }))));
  return { privateKey, publicJwk, thumbprint };
}

/** A proof for one request: its method, its URL without query or fragment, and the token's hash. */
export async function createProof(key, { method, url, accessToken, nonce }) {
  const target = new URL(url);
  const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk };
  const claims = {
    jti: crypto.randomUUID(),
    htm: method,
    htu: `${target.origin}${target.pathname}`,
    iat: Math.floor(Date.now() / 1000),
    ath: base64url(await crypto.subtle.digest('SHA-256', encoder.encode(accessToken))),
    ...(nonce ? { nonce } : {}),
  };
  const input = `${base64urlJson(header)}.${base64urlJson(claims)}`;
  // WebCrypto's ECDSA signature is r || s, the form JWS uses.
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key.privateKey, encoder.encode(input));
  return `${input}.${base64url(signature)}`;
}
