import type { JWTPayload } from 'jose';

/** Who made a request, as proven by a verified access token. */
export interface Principal {
  /** The token's `sub`, when it has one (machine-to-machine tokens name a client here). */
  readonly subject: string | undefined;
  /** Granted permissions; a set so that each directive check is one lookup. */
  readonly permissions: ReadonlySet<string>;
  /** Seconds since the epoch; a cached principal is only reused within these bounds. */
  readonly expiresAt: number;
  readonly notBefore: number | undefined;
}

const NO_PERMISSIONS: ReadonlySet<string> = new Set();

/**
 * Auth0 RBAC puts permissions in a `permissions` array of strings. Anything else, a string,
 * an object, null or an array with a non-string in it, grants nothing rather than failing.
 */
export function permissionsOf(claims: JWTPayload): ReadonlySet<string> {
  const value = claims['permissions'];
  if (!Array.isArray(value) || !value.every((p): p is string => typeof p === 'string')) return NO_PERMISSIONS;
  return new Set(value);
}

export function principalFrom(claims: JWTPayload): Principal {
  return {
    subject: typeof claims.sub === 'string' ? claims.sub : undefined,
    permissions: permissionsOf(claims),
    // `exp` is a required claim, so verification guarantees it is a number.
    expiresAt: claims.exp!,
    notBefore: claims.nbf,
  };
}
