import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError } from 'graphql';
import type { RequestContext } from '../auth/context.js';
import { AccessDeniedError } from '../errors.js';

/**
 * Logs, on the request's own logger (so with its request id), what went wrong in an operation:
 *
 * - one audit line per field the directives denied: who asked (the token's subject, or null when
 *   anonymous), which field, which permissions were missing. The decision is the directives';
 *   this only records it, from the error they raised;
 * - the real error behind each one that `format-error.ts` masks, since the client never sees it.
 */
export function loggingPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            const original = unwrapResolverError(error);
            if (original instanceof AccessDeniedError) {
              contextValue.log.warn(
                {
                  audit: 'access-denied',
                  subject: contextValue.principal?.subject ?? null,
                  field: original.field,
                  code: original.code,
                  required: original.required,
                  missing: original.missing,
                  path: error.path,
                },
                'access denied',
              );
            } else if (!(original instanceof GraphQLError)) {
              contextValue.log.error({ err: original, path: error.path }, 'resolver failed');
            }
          }
        },
      };
    },
  };
}
