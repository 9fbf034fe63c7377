import { hash } from 'node:crypto';
import { errors, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';
import type { IssuerConfig } from '../config.js';
import { NO_TELEMETRY, type Telemetry, type TraceParent } from '../observability/hooks.js';
import { KeySetUnavailableError, RemoteKeySet } from './key-set.js';
import { permissionsReader, principalFrom, type Principal } from './principal.js';
import { isCanonicalCompactJws } from './token-spelling.js';

/**
 * The token is not one this API accepts: bad signature, wrong claims, expired, malformed. The
 * message is the reason, safe to log: jose's error code, plus the claim at fault when there is one.
 */
export class InvalidTokenError extends Error {
  readonly code = 'ERR_INVALID_TOKEN';
  override readonly name = 'InvalidTokenError';

  /** The error code the message starts with (jose's, or `NOT_CANONICAL`): a metric label from a fixed list. */
  get reason(): `ERR_${string}` {
    const [first = ''] = this.message.split(' ', 1);
    return /^ERR_[A-Z_]+$/.test(first) ? (first as `ERR_${string}`) : 'ERR_JWT_INVALID';
  }
}

/** One issuer's settings that verification reads; key-set fetching takes its URL from `jwksUri`. */
export interface VerifierOptions extends Pick<IssuerConfig, 'issuer' | 'jwksUri' | 'audience' | 'permissionsClaim' | 'algorithms' | 'keySet'> {
  /** How many verified tokens to remember; 0 verifies every request afresh. */
  cacheSize: number;
  /** The clock, in milliseconds since the epoch, for the cache, the key set and the claims; tests pass their own. */
  now?: () => number;
  /** Told of each cache lookup and key-set fetch; verifications and fetches run in spans of their own. */
  telemetry?: Telemetry;
}

/** What the context builder needs: the one entry point that turns a token into its principal. */
export interface TokenVerifier {
  /**
   * Resolves to the token's principal; rejects with `InvalidTokenError` or `KeySetUnavailableError`.
   * A verification (not a cache hit) is traced under `trace`, when the request is sampled.
   */
  verify(token: string, trace?: TraceParent): Promise<Principal>;
}

/** One issuer's verifier, with the key set it owns. */
export interface Verifier extends TokenVerifier {
  readonly keySet: RemoteKeySet;
  /** The principal of the token with this `cacheKeyOf`, when it was verified here and its cache entry holds now; never verifies. */
  cached(key: string): Principal | undefined;
}

/** A token's key in the verified-token cache: a hash, so that the token itself is never kept. */
export function cacheKeyOf(token: string): string {
  return hash('sha256', token, 'base64');
}

/** Clock skew allowed between this server and the issuer, in seconds. */
export const CLOCK_TOLERANCE_S = 5;
/** A verified token is re-verified at least this often, whatever its expiry. */
export const CACHE_TTL_MS = 60_000;
/** The rejection reason of a token spelled in any but its one canonical way. */
export const NOT_CANONICAL = 'ERR_TOKEN_NOT_CANONICAL';

interface CachedPrincipal {
  principal: Principal;
  validUntilMs: number;
}

/**
 * Verifies one issuer's access tokens against its key set, with its algorithms, audience and
 * permissions claim. The key set and the cache are created once per process and issuer, so a key
 * change at one issuer drops only its own cached tokens. The cache holds successes only, keyed by
 * a hash of the token (the token itself is never kept), and a hit is honoured only within the
 * token's own `nbf`/`exp`.
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const now = options.now ?? (() => Date.now());
  const telemetry = options.telemetry ?? NO_TELEMETRY;
  const cache = options.cacheSize > 0 ? new LRUCache<string, CachedPrincipal>({ max: options.cacheSize }) : undefined;
  // Counts key changes: a verification that overlapped one may have used the old keys, so it is
  // done again against the new ones rather than cached (the first fetch of all is such a change).
  let keysVersion = 0;
  const keySet = new RemoteKeySet({ ...options.keySet, url: options.jwksUri, issuer: options.issuer, now, telemetry });
  keySet.onChange(() => {
    keysVersion += 1;
    cache?.clear();
  });
  const readPermissions = permissionsReader(options.permissionsClaim);
  const verifyOptions = {
    issuer: options.issuer,
    audience: options.audience,
    algorithms: options.algorithms,
    clockTolerance: CLOCK_TOLERANCE_S,
    requiredClaims: ['exp'],
  };

  async function verifyWithKeys(token: string, trace: TraceParent | undefined): Promise<Principal> {
    try {
      const { payload } = await telemetry.span('auth.verify_token', trace, (span) =>
        jwtVerify(token, keySet.keyResolver(span), { ...verifyOptions, currentDate: new Date(now()) }),
      );
      return principalFrom(payload, readPermissions);
    } catch (error) {
      if (error instanceof errors.JWTClaimValidationFailed) throw new InvalidTokenError(`${error.code} ${error.claim}`, { cause: error });
      if (error instanceof errors.JOSEError) throw new InvalidTokenError(error.code, { cause: error });
      // With a string token and fixed options, jose throws TypeError only for a key it cannot use
      // (a short RSA modulus, say): a published key that is unusable is the provider's fault.
      if (error instanceof TypeError) throw new KeySetUnavailableError('the key set holds a key that cannot be used', { cause: error });
      throw error;
    }
  }

  // Checked before a verification, so that each token has one cache entry and one verification.
  // A cache hit needs no check: the cache is keyed on the token's exact text, and only text that
  // passed it is ever cached.
  function verifyCanonical(token: string, trace?: TraceParent): Promise<Principal> {
    if (!isCanonicalCompactJws(token)) return Promise.reject(new InvalidTokenError(NOT_CANONICAL));
    return verifyWithKeys(token, trace);
  }

  function cached(key: string): Principal | undefined {
    const hit = cache?.get(key);
    const nowMs = now();
    if (hit && nowMs < hit.validUntilMs && nowMs >= ((hit.principal.notBefore ?? 0) - CLOCK_TOLERANCE_S) * 1000) return hit.principal;
    return undefined;
  }

  // Counts its own lookup; `cached` counts nothing, since the issuer registry asks every issuer's
  // cache and counts the one outcome itself.
  async function verifyCached(token: string, cache: LRUCache<string, CachedPrincipal>, trace: TraceParent | undefined): Promise<Principal> {
    const key = cacheKeyOf(token);
    const hit = cached(key);
    telemetry.tokenCacheLookup(hit !== undefined);
    if (hit) return hit;
    const nowMs = now();
    const version = keysVersion;
    const principal = await verifyCanonical(token, trace);
    if (version !== keysVersion) return verifyCached(token, cache, trace);
    cache.set(key, { principal, validUntilMs: Math.min(principal.expiresAt * 1000, nowMs + CACHE_TTL_MS) });
    return principal;
  }

  return { keySet, cached, verify: cache ? (token, trace) => verifyCached(token, cache, trace) : verifyCanonical };
}
