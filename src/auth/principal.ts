import type { JWTPayload } from 'jose';
import { DEFAULT_PERMISSIONS_CLAIM, type PermissionsClaim } from '../config.js';

/** Who made a request, as proven by a verified access token. */
export interface Principal {
  /** The token's `iss`, checked by the verifier; with `subject`, who is charged for rate limits. */
  readonly issuer?: string | undefined;
  /** The token's `sub`, when it has one (machine-to-machine tokens name a client here). */
  readonly subject: string | undefined;
  /** Granted permissions; a set so that each directive check is one lookup. */
  readonly permissions: ReadonlySet<string>;
  /** Seconds since the epoch; a cached principal is only reused within these bounds. */
  readonly expiresAt: number;
  readonly notBefore: number | undefined;
  /**
   * The token's `cnf` claim (RFC 7800), kept with the principal so that a cached one still carries
   * it. Present means sender-constrained; `jkt` is the DPoP key's thumbprint (RFC 9449 §6.1), and a
   * `cnf` without one binds the token to something no request here can prove.
   */
  readonly confirmation?: { readonly jkt: string | undefined } | undefined;
}

const NO_PERMISSIONS: ReadonlySet<string> = new Set();

/**
 * Reads the permissions from the one claim configured, never from both: a token's `scope` and its
 * RBAC `permissions` can be granted by different policies, and merging them would widen either.
 *
 * Auth0 RBAC puts permissions in a `permissions` array of strings. Anything else, a string,
 * an object, null or an array with a non-string in it, grants nothing rather than failing.
 * OAuth 2 puts them in `scope`, one string of space-separated names (RFC 6749 §3.3); anything
 * but a string grants nothing.
 */
export function permissionsOf(claims: JWTPayload, claim: PermissionsClaim = DEFAULT_PERMISSIONS_CLAIM): ReadonlySet<string> {
  const value = claims[claim];
  if (claim === 'scope') return typeof value === 'string' ? new Set(value.split(' ').filter(Boolean)) : NO_PERMISSIONS;
  if (!Array.isArray(value) || !value.every((p): p is string => typeof p === 'string')) return NO_PERMISSIONS;
  return new Set(value);
}

export function principalFrom(claims: JWTPayload, claim: PermissionsClaim = DEFAULT_PERMISSIONS_CLAIM): Principal {
  return {
    issuer: claims.iss,
    subject: typeof claims.sub === 'string' ? claims.sub : undefined,
    permissions: permissionsOf(claims, claim),
    // `exp` is a required claim, so verification guarantees it is a number.
    expiresAt: claims.exp!,
    notBefore: claims.nbf,
    confirmation: confirmationOf(claims['cnf']),
  };
}

function confirmationOf(cnf: unknown): Principal['confirmation'] {
  if (cnf === undefined) return undefined;
  const jkt = (cnf as { jkt?: unknown } | null)?.jkt;
  return { jkt: typeof jkt === 'string' ? jkt : undefined };
}
