import type { JWTPayload } from 'jose';
import jsonpointer from 'jsonpointer';
import { DEFAULT_PERMISSIONS_CLAIM } from '../issuers-config.js';

/** Who made a request, as proven by a verified access token. */
export interface Principal {
  /**
   * The token's `iss`, one of the configured issuers: a `sub` is unique only within its issuer,
   * so whatever keys callers (rate limits, audit) keys them by both.
   */
  readonly issuer: string | undefined;
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

/** Reads the permissions out of a token's claims, from the one claim configured for its issuer. */
export type PermissionsReader = (claims: JWTPayload) => ReadonlySet<string>;

/** The RFC 6901 JSON Pointer to a claim: a pointer as it is, a top-level name escaped (`~` as `~0`, `/` as `~1`). */
export function claimPointer(claim: string): string {
  return claim.startsWith('/') ? claim : `/${claim.replaceAll('~', '~0').replaceAll('/', '~1')}`;
}

/**
 * Reads the permissions from the one claim configured, never from another: a token's `scope` and
 * its RBAC `permissions` can be granted by different policies, and merging them would widen either.
 *
 * The claim holds an array of strings (Auth0 RBAC, Keycloak, Entra ID `roles`) or one string of
 * space-separated names (OAuth 2 `scope`, RFC 6749 §3.3, and Entra ID `scp`). Anything else (an
 * object, null, an array with a non-string in it) grants nothing rather than failing.
 */
export function permissionsReader(claim: string = DEFAULT_PERMISSIONS_CLAIM): PermissionsReader {
  const pointer = jsonpointer.compile(claimPointer(claim));
  return (claims) => {
    const value: unknown = pointer.get(claims);
    if (typeof value === 'string') return new Set(value.split(' ').filter(Boolean));
    if (!Array.isArray(value) || !value.every((p): p is string => typeof p === 'string')) return NO_PERMISSIONS;
    return new Set(value);
  };
}

export function principalFrom(claims: JWTPayload, readPermissions: PermissionsReader = permissionsReader()): Principal {
  return {
    issuer: claims.iss,
    subject: typeof claims.sub === 'string' ? claims.sub : undefined,
    permissions: readPermissions(claims),
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
