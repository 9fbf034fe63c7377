import type { Principal } from './auth/principal.js';
import type { RequestContext } from './auth/context.js';

/** What a policy is given: who asks, the object the field belongs to, the field's arguments, the request. */
export interface PolicyInput {
  principal: Principal | null;
  parent: unknown;
  args: Readonly<Record<string, unknown>>;
  context: RequestContext;
}

/** True allows the field; false denies it. Throwing, or taking longer than the timeout, also denies. */
export type Policy = (input: PolicyInput) => boolean | PromiseLike<boolean>;

/** A policy that has not answered by then denies, so a slow lookup cannot hold a request open. */
export const POLICY_TIMEOUT_MS = 1_000;

/** Administrators read every note. */
const ADMIN_PERMISSION = 'read:admin-messages';

/**
 * Every policy `@policy(name: "…")` may name. A name missing here stops the schema from building;
 * an entry no field uses is reported at start-up.
 */
export const policies: Readonly<Record<string, Policy>> = {
  /** A note's body is readable by the note's owner (the token's `sub`) and by administrators. */
  noteOwnerOrAdmin: ({ principal, parent }) =>
    principal !== null && (principal.permissions.has(ADMIN_PERMISSION) || principal.subject === (parent as { owner?: unknown }).owner),
};
