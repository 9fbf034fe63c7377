import type { Principal } from '../auth/principal.js';
import { AccessDeniedError, ErrorCode } from '../errors.js';
import type { AuthzDecision } from '../observability/hooks.js';
import type { AccessRule } from './access-rule.js';

/**
 * Whether the token alone satisfies a rule's `@auth`, `@hasPermission` and `@requiresScopes`. It
 * allocates nothing: it runs for every guarded field, and every hidden list item, of every request.
 */
export function grants(rule: AccessRule, principal: Principal | null): boolean {
  if (rule.access === 'public') return true;
  return principal !== null && (rule.access === 'authenticated' || rule.anyOf.some((all) => all.every((p) => principal.permissions.has(p))));
}

/**
 * The part of a rule that the token alone decides, as the error a denial raises. Undefined allows;
 * policies are left to `runPolicies`, since they need the data.
 */
export function decideStatically(rule: AccessRule, principal: Principal | null): AccessDeniedError | undefined {
  if (grants(rule, principal)) return undefined;
  const required = [...new Set(rule.anyOf.flat())];
  if (!principal) return new AccessDeniedError(ErrorCode.UNAUTHENTICATED, rule.field, required, required);
  const missing = [...new Set(missingFrom(rule, principal).flat())];
  return new AccessDeniedError(ErrorCode.FORBIDDEN, rule.field, required, missing);
}

/** How a guard's answer is counted: no denial grants, else the denial's code says which. */
export function decisionOf(denial: { code: ErrorCode } | undefined): AuthzDecision {
  if (!denial) return 'granted';
  return denial.code === ErrorCode.UNAUTHENTICATED ? 'unauthenticated' : 'forbidden';
}

/** For each alternative of the rule, the permissions the principal lacks; an empty entry grants access. */
export function missingFrom(rule: AccessRule, principal: Principal | null): string[][] {
  return rule.anyOf.map((alternative) => alternative.filter((permission) => !principal?.permissions.has(permission)));
}
