import type { Principal } from '../auth/principal.js';
import { AccessDeniedError, ErrorCode } from '../errors.js';
import type { AccessRule } from './access-rule.js';

/**
 * The part of a rule that the token alone decides: `@auth`, `@hasPermission` and `@requiresScopes`.
 * Undefined allows; policies are left to `runPolicies`, since they need the data.
 */
export function decideStatically(rule: AccessRule, principal: Principal | null): AccessDeniedError | undefined {
  if (rule.access === 'public') return undefined;
  // Granting is checked first and allocates nothing: it runs for every guarded field of every request.
  if (principal && (rule.access === 'authenticated' || rule.anyOf.some((all) => all.every((p) => principal.permissions.has(p))))) return undefined;
  const required = [...new Set(rule.anyOf.flat())];
  if (!principal) return new AccessDeniedError(ErrorCode.UNAUTHENTICATED, rule.field, required, required);
  const missing = [...new Set(missingFrom(rule, principal).flat())];
  return new AccessDeniedError(ErrorCode.FORBIDDEN, rule.field, required, missing);
}

/** For each alternative of the rule, the permissions the principal lacks; an empty entry grants access. */
export function missingFrom(rule: AccessRule, principal: Principal | null): string[][] {
  return rule.anyOf.map((alternative) => alternative.filter((permission) => !principal?.permissions.has(permission)));
}
