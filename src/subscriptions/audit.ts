import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError } from 'graphql';
import type { RequestContext } from '../auth/context.js';
import { AccessDeniedError } from '../errors.js';

/**
 * One audit line for the denials among a subscription's errors, on the connection's logger, and
 * the real error behind any that is masked. Subscriptions do not pass through Apollo's plugins.
 */
export function auditDenials(errors: readonly GraphQLError[], context: RequestContext): void {
  const denied = errors.map((error) => unwrapResolverError(error)).filter((error) => error instanceof AccessDeniedError);
  if (denied.length > 0) {
    const fields = denied.map(({ field, code, missing }) => ({ field, code, missing }));
    context.log.warn({ audit: 'access-denied', subject: context.principal?.subject ?? null, denied: fields }, 'access denied');
  }
  for (const error of errors) {
    const original = unwrapResolverError(error);
    if (!(original instanceof GraphQLError)) context.log.error({ err: original, path: error.path }, 'subscription resolver failed');
  }
}
