import { randomUUID } from 'node:crypto';
import { SignJWT, type JWK, type JWTPayload } from 'jose';
import { tokenHash } from '../../src/auth/dpop/proof.js';
import { createDpopKey, createProof, dpopCredentials, type DpopCredentials, type DpopKey } from '../../src/dev/dpop-proof.js';
import { ADMIN, type Harness } from './harness.js';
import { rawRequest } from './http-request.js';

export { createDpopKey, createProof, type DpopCredentials, type DpopKey };

export const ADMIN_QUERY = '{ adminMessage { text } }';

/**
 * The harness's 500 ms key-set timeout suits the identity-provider fault tests; these tests are
 * about proofs, so on a loaded machine they wait for the first key-set fetch as a server would.
 */
export const PATIENT_KEY_SET = { JWKS_TIMEOUT_MS: '5000' } as const;

/** A token bound to the key whose thumbprint is `jkt` (its `cnf.jkt`), granting the admin permission unless told otherwise. */
function mintBound(h: Harness, jkt: string, claims: JWTPayload = {}): Promise<string> {
  return h.token({ permissions: [ADMIN], cnf: { jkt }, ...claims });
}

/** Another token bound to `key`, as `boundCredentials` mints its first. */
export function boundToken(h: Harness, key: DpopKey, claims: JWTPayload = {}): Promise<string> {
  return mintBound(h, key.thumbprint, claims);
}

/** `dpopCredentials` from the harness's issuer: a fresh key, a token bound to it, and a new proof for `target` per call. */
export function boundCredentials(h: Harness, target: { method: string; url: string }, claims: JWTPayload = {}): Promise<DpopCredentials> {
  return dpopCredentials((jkt) => mintBound(h, jkt, claims), target);
}

export interface ProofParts {
  /** Merged over the valid header; an `undefined` member is left out. */
  header?: Record<string, unknown>;
  /** Merged over the valid claims; an `undefined` member is left out. */
  claims?: Record<string, unknown>;
  /** Signs with this key instead of `key` (the header still names `key`'s public JWK unless overridden). */
  signWith?: CryptoKey;
}

/** A proof that is valid for the request unless `parts` says otherwise. */
export function forgeProof(key: DpopKey, target: { method: string; url: string; accessToken: string }, parts: ProofParts = {}): Promise<string> {
  const url = new URL(target.url);
  const claims: JWTPayload = {
    htm: target.method,
    htu: `${url.origin}${url.pathname}`,
    ath: tokenHash(target.accessToken),
    jti: randomUUID(),
    iat: Math.floor(Date.now() / 1000),
    ...parts.claims,
  };
  const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk as JWK, ...parts.header };
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(parts.signWith ?? key.privateKey);
}

export interface DpopResponse {
  status: number;
  headers: Headers;
  body: { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }>; message?: string; text?: string };
}

/**
 * POSTs `query` to /graphql with `Authorization: <scheme> <token>` and the given proofs (one `DPoP`
 * header each); with `host`, through node's client, as fetch will not set `Host`.
 */
export async function postGraphql(
  h: Pick<Harness, 'url'>,
  { token, proofs = [], scheme = 'DPoP', query = ADMIN_QUERY, host }: { token: string; proofs?: string[]; scheme?: string; query?: string; host?: string },
): Promise<DpopResponse> {
  if (host !== undefined) {
    const raw = ['host', host, 'content-type', 'application/json', 'authorization', `${scheme} ${token}`, ...proofs.flatMap((proof) => ['dpop', proof])];
    const answer = await rawRequest(`${h.url}/graphql`, 'POST', raw, [JSON.stringify({ query })]);
    const headers = new Headers(Object.entries(answer.headers).map(([name, value]) => [name, String(value)]));
    return { status: answer.status, headers, body: JSON.parse(answer.body) as DpopResponse['body'] };
  }
  const headers = new Headers({ 'content-type': 'application/json', authorization: `${scheme} ${token}` });
  for (const proof of proofs) headers.append('dpop', proof);
  const response = await fetch(`${h.url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query }) });
  return { status: response.status, headers: response.headers, body: (await response.json()) as DpopResponse['body'] };
}
