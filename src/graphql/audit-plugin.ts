import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from 'pino';
import type { RequestContext } from '../auth/context.js';
import { AccessDeniedError } from '../errors.js';
import { requestLogger } from '../http/request-logging.js';

/**
 * Writes one audit line per field that the directives denied: who asked (the token's subject, or
 * null when anonymous), which field, and which permissions were missing. The decision itself is
 * the directives'; this only records it, from the error they raised.
 */
export function auditPlugin(logger: Logger): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            const denial = error.originalError;
            if (!(denial instanceof AccessDeniedError)) continue;
            requestLogger(logger).warn(
              {
                audit: 'access-denied',
                subject: contextValue.principal?.subject ?? null,
                field: denial.field,
                code: denial.code,
                required: denial.required,
                missing: denial.missing,
                path: error.path,
              },
              'access denied',
            );
          }
        },
      };
    },
  };
}
