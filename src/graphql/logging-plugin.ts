import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { ContextBuilder, RequestContext } from '../auth/context.js';
import { AccessDeniedError } from '../errors.js';

/** Distinct denials listed in one audit line; a list of a thousand guarded objects still writes one short line. */
export const AUDIT_LIST_CAP = 20;

interface Denial {
  field: string;
  code: string;
  missing: readonly string[];
  count: number;
}

/** Apollo tells plugins that context creation failed, but not for which request: this remembers its logger. */
const failedContexts = new WeakMap<object, Logger>();

/** The context builder for Apollo, remembering the request's logger for `contextCreationDidFail`. */
export function withContextFailureLog(build: ContextBuilder): ContextBuilder {
  return async (request) => {
    try {
      return await build(request);
    } catch (error) {
      if (typeof error === 'object' && error !== null) failedContexts.set(error, request.log);
      throw error;
    }
  };
}

/**
 * Logs, on the request's own logger (so with its request id), what went wrong in an operation:
 *
 * - one audit line per request listing the fields the directives denied: who asked (the token's
 *   subject, or null when anonymous), which fields, which permissions were missing, how often.
 *   The decision is the directives'; this only records it, from the errors they raised;
 * - the real error behind each one that `format-error.ts` masks, since the client never sees it;
 * - an unexpected failure while building the context, which Apollo answers 500 without a word.
 *   Refused credentials are not logged here: they are GraphQL errors that the client is told about.
 */
export function loggingPlugin(logger: Logger): ApolloServerPlugin<RequestContext> {
  return {
    async contextCreationDidFail({ error }) {
      if (error instanceof GraphQLError) return;
      (failedContexts.get(error) ?? logger).error({ err: error }, 'context creation failed');
    },
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          logOperationErrors(errors, contextValue);
        },
      };
    },
  };
}

/**
 * The audit line and the masked errors of one operation's errors, on its context's logger: for an
 * HTTP request from the plugin above, for a subscription from each event's errors (subscriptions
 * do not pass through Apollo's plugins), so both write the same line with the same cap.
 */
export function logOperationErrors(errors: readonly GraphQLError[], context: RequestContext): void {
  const denials = new Map<string, Denial>();
  let deniedCount = 0;
  for (const error of errors) {
    const original = unwrapResolverError(error);
    if (original instanceof AccessDeniedError) {
      deniedCount += 1;
      const key = `${original.code} ${original.field}`;
      const seen = denials.get(key);
      if (seen) seen.count += 1;
      else if (denials.size < AUDIT_LIST_CAP) denials.set(key, { field: original.field, code: original.code, missing: original.missing, count: 1 });
    } else if (!(original instanceof GraphQLError)) {
      context.log.error({ err: original, path: error.path }, 'resolver failed');
    }
  }
  if (deniedCount === 0) return;
  context.log.warn({ audit: 'access-denied', subject: context.principal?.subject ?? null, denied: [...denials.values()], deniedCount }, 'access denied');
}
