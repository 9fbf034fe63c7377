/**
 * What one trusted issuer is, and the checks of each value an issuer is configured with, shared by
 * the single-issuer variables and `AUTH_ISSUERS` entries. Reads no environment: `config.ts` hands
 * it values and a `fail` that names the variable at fault.
 */
import { ASYMMETRIC_ALGORITHMS } from './auth/dpop/proof.js';
import type { KeySetTimings } from './auth/key-set.js';

/** Everything bound to one issuer besides where it is: whom its tokens are for and what they grant. */
export interface IssuerSettings {
  /** The API identifier(s); a token's `aud` must contain one of them. */
  audience: string | string[];
  /** Where its tokens carry permissions: a top-level claim name, or an RFC 6901 JSON Pointer starting with `/`. */
  permissionsClaim: string;
  /** The JWS algorithms its tokens may be signed with; asymmetric only. */
  algorithms: string[];
  /** Fetching of its key set, in milliseconds. */
  keySet: KeySetTimings;
  /** True refuses its tokens unless DPoP-bound (`DPOP_REQUIRED` is the default). */
  dpopRequired: boolean;
}

/** A trusted issuer: where its tokens come from, and every setting bound to it. */
export interface IssuerConfig extends IssuerSettings {
  /** Exact `iss` a token must carry, e.g. `https://tenant.eu.auth0.com/`. */
  issuer: string;
  /** The issuer's JSON Web Key Set. */
  jwksUri: URL;
  /**
   * The provider's OIDC discovery document: when it answers at start-up, its `issuer` and
   * `jwks_uri` replace the two above, which are derived from the issuer's address.
   */
  discoveryUrl?: URL;
}

/** No issuer configured outside production: `main` starts `count` development issuers on loopback. */
export interface EmbeddedIssuers {
  embedded: true;
  /** `DEV_ISSUERS`: the second one reads permissions from a Keycloak-shaped claim. */
  count: 1 | 2;
  settings: IssuerSettings;
}

export const DEFAULT_PERMISSIONS_CLAIM = 'permissions';
export const DEFAULT_ALGORITHMS: readonly string[] = ['RS256'];

/** Every setting of an issuer but its audience and claim, the same for each unless it says otherwise. */
export type IssuerDefaults = Omit<IssuerSettings, 'audience' | 'permissionsClaim'>;

/** Makes the error of a bad value, naming the variable (and entry) it came from. */
type Fail = (problem: string) => Error;

/** The bounds of each key-set timing, for `JWKS_*` and an `AUTH_ISSUERS` entry's `keySet` alike. */
export const TIMING_BOUNDS: Readonly<Record<keyof KeySetTimings, readonly [min: number, max: number]>> = {
  timeoutMs: [1, 5_000],
  cooldownMs: [0, 3_600_000],
  maxAgeMs: [1_000, 86_400_000],
  staleMaxMs: [1_000, 604_800_000],
  retryAfterFailureMs: [0, 60_000],
};

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/** `AUTH_ISSUERS`: a JSON array of issuers, each issuer once. */
export function parseIssuerList(text: string, defaults: IssuerDefaults, fail: Fail): IssuerConfig[] {
  let entries: unknown;
  try {
    entries = JSON.parse(text);
  } catch (error) {
    throw fail(`is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(entries) || entries.length === 0) {
    throw fail('must be a JSON array of issuers, e.g. [{"issuer":"https://tenant.eu.auth0.com/","audience":"https://api.example.com"}]');
  }
  const seen = new Set<string>();
  return entries.map((entry: unknown, index) => {
    const failHere: Fail = (problem) => fail(`entry ${index + 1}: ${problem}`);
    const issuer = issuerEntry(entry, failHere, defaults);
    if (seen.has(issuer.issuer)) throw failHere(`the issuer "${issuer.issuer}" is listed twice`);
    seen.add(issuer.issuer);
    return issuer;
  });
}

/** The fields of an `AUTH_ISSUERS` entry; any other is a typo, refused rather than ignored. */
const ENTRY_FIELDS = ['issuer', 'audience', 'permissionsClaim', 'algorithms', 'jwksUri', 'keySet', 'dpopRequired'];

function issuerEntry(entry: unknown, fail: Fail, defaults: IssuerDefaults): IssuerConfig {
  const fields = record(entry, 'must be an object such as {"issuer":"…","audience":"…"}', fail);
  const unknown = Object.keys(fields).find((field) => !ENTRY_FIELDS.includes(field));
  if (unknown !== undefined) throw fail(`has no field "${unknown}" (the fields are ${ENTRY_FIELDS.join(', ')})`);
  const { issuer, audience, jwksUri } = fields;
  if (typeof issuer !== 'string' || !issuer) throw fail('needs "issuer", the exact "iss" of its tokens');
  const base = issuerUrl(issuer, (problem) => fail(`"issuer" ${problem}`));
  const audiences = typeof audience === 'string' ? [audience] : audience;
  if (!Array.isArray(audiences) || audiences.length === 0 || !audiences.every((a) => typeof a === 'string' && a)) {
    throw fail('needs "audience", the API identifier its tokens carry in "aud" (a string or an array of strings)');
  }
  const claim = fields['permissionsClaim'] ?? DEFAULT_PERMISSIONS_CLAIM;
  const claimFail: Fail = (problem) => fail(`"permissionsClaim" ${problem}`);
  if (typeof claim !== 'string') throw claimFail('must be a string: a claim name or a JSON Pointer such as /realm_access/roles');
  return {
    issuer,
    ...(jwksUri === undefined ? locationsUnder(base) : { jwksUri: keySetUrl(jwksUri, fail) }),
    audience: typeof audience === 'string' ? audience : (audiences as string[]),
    permissionsClaim: permissionsClaim(claim, claimFail),
    algorithms: algorithms(fields['algorithms'], defaults.algorithms, fail),
    keySet: entryTimings(fields['keySet'], defaults.keySet, fail),
    dpopRequired: optionalBoolean(fields['dpopRequired'], '"dpopRequired"', defaults.dpopRequired, fail),
  };
}

function record(value: unknown, problem: string, fail: Fail): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail(problem);
  return value as Record<string, unknown>;
}

function algorithms(value: unknown, fallback: readonly string[], fail: Fail): string[] {
  if (value === undefined) return [...fallback];
  const allowed: readonly string[] = ASYMMETRIC_ALGORITHMS;
  if (!Array.isArray(value) || value.length === 0 || !value.every((alg) => allowed.includes(alg as string))) {
    throw fail(`"algorithms" must list some of ${allowed.join(', ')}`);
  }
  return value as string[];
}

function entryTimings(value: unknown, defaults: KeySetTimings, fail: Fail): KeySetTimings {
  if (value === undefined) return defaults;
  const fields = record(value, '"keySet" must be an object of timings in milliseconds', fail);
  const timings = { ...defaults };
  for (const [field, given] of Object.entries(fields)) {
    const bounds = TIMING_BOUNDS[field as keyof KeySetTimings] as readonly [number, number] | undefined;
    if (!bounds) throw fail(`"keySet" has no field "${field}" (the fields are ${Object.keys(TIMING_BOUNDS).join(', ')})`);
    const [min, max] = bounds;
    if (!Number.isInteger(given) || (given as number) < min || (given as number) > max) {
      throw fail(`"keySet.${field}" must be a whole number from ${min} to ${max}, got ${JSON.stringify(given)}`);
    }
    timings[field as keyof KeySetTimings] = given as number;
  }
  if (timings.staleMaxMs < timings.maxAgeMs) throw fail(`"keySet.staleMaxMs" must be at least its maxAgeMs (${timings.maxAgeMs})`);
  return timings;
}

function optionalBoolean(value: unknown, name: string, fallback: boolean, fail: Fail): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw fail(`${name} must be true or false`);
  return value;
}

/** RFC 6901: `/` before each reference token, `~` only as `~0` or `~1`. */
const JSON_POINTER = /^(\/([^~/]|~[01])*)+$/;

/** Names a pointer could reach an object's prototype through, where a string such as `Object` waits. */
const PROTOTYPE_NAMES = /(^|\/)(__proto__|constructor|prototype)(\/|$)/;

/** A top-level claim name (no white space), or a JSON Pointer into the token's claims. */
export function permissionsClaim(value: string, fail: Fail): string {
  const valid = value.startsWith('/') ? JSON_POINTER.test(value) && !PROTOTYPE_NAMES.test(value) : /^\S+$/.test(value);
  if (valid) return value;
  throw fail(`must be a claim name or an RFC 6901 JSON Pointer such as /realm_access/roles, got "${value}"`);
}

/** Where keys and metadata are looked for when neither is configured: OIDC discovery, else Auth0's layout. */
export function locationsUnder(base: string): Pick<IssuerConfig, 'jwksUri' | 'discoveryUrl'> {
  return {
    jwksUri: new URL('.well-known/jwks.json', base),
    discoveryUrl: new URL('.well-known/openid-configuration', base),
  };
}

/** Where an issuer may serve its tokens' keys and metadata from: https, or plain http on loopback only. */
export function isTrustedIssuerUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
}

/** The issuer's address with one trailing slash, Auth0's spelling, the base of the derived locations. */
export function issuerUrl(value: string, fail: Fail): string {
  if (!URL.canParse(value)) throw fail(`must be an absolute URL, got "${value}"`);
  const url = new URL(value);
  if (!isTrustedIssuerUrl(url)) throw fail('must use https (plain http only for localhost, 127.0.0.1 or [::1])');
  if (url.search || url.hash || url.username) throw fail('must not carry credentials, a query or a fragment');
  // `URL` lower-cases the host; the path keeps its case, as issuers compare exactly.
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

function keySetUrl(value: unknown, fail: Fail): URL {
  if (typeof value !== 'string' || !URL.canParse(value) || !isTrustedIssuerUrl(new URL(value))) {
    throw fail('"jwksUri" must be an https URL (plain http only for loopback hosts)');
  }
  return new URL(value);
}
