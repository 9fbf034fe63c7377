import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { RequestContext } from '../auth/context.js';
import { decisionOf } from '../directives/decide.js';
import { analyzeOperation } from '../directives/operation-analysis.js';
import { badUserInputError, ErrorCode, internalServerError, operationDeniedError } from '../errors.js';
import type { Telemetry } from '../observability/hooks.js';

export interface RejectOptions {
  /** Outside production the error lists the denied coordinates, as `Type.field`. */
  listDenied: boolean;
  /** The `WWW-Authenticate` of a 401 over HTTP, as `authChallenge` builds it for an anonymous request. */
  missingTokenChallenge?: string;
  /** Counts each refused field as the guards count theirs. */
  telemetry?: Telemetry;
}

/**
 * Reject mode's decision for one operation, by the same rules the guards apply, before any
 * resolver runs: undefined when nothing selected is denied. Policies need data, so they are left
 * to the guards at run time, where a denial nulls the field as in filter mode.
 */
export function rejection(
  schema: GraphQLSchema,
  document: DocumentNode,
  context: Pick<RequestContext, 'principal' | 'log'>,
  request: { operationName?: string | null | undefined; variables?: Readonly<Record<string, unknown>> | undefined },
  { listDenied, missingTokenChallenge, telemetry }: RejectOptions,
): GraphQLError | undefined {
  let denials;
  try {
    ({ denials } = analyzeOperation(schema, document, context.principal, request));
  } catch (error) {
    // Fail closed: an operation that cannot be analysed does not run. graphql-js raises a
    // GraphQLError for values that do not fit (a variable, or `@include(if:)` given null): the
    // client's mistake, logged at `info`, without the message, as it quotes the values.
    if (error instanceof GraphQLError) {
      context.log.info({ audit: 'operation-rejected', code: ErrorCode.BAD_USER_INPUT }, 'operation refused: invalid values');
      return badUserInputError(error.message);
    }
    context.log.error({ err: error }, 'operation analysis failed; refused');
    return internalServerError();
  }
  if (denials.length === 0) return undefined;
  if (telemetry) for (const denial of denials) telemetry.authzDecisions(denial.field)(decisionOf(denial));
  const code = context.principal ? ErrorCode.FORBIDDEN : ErrorCode.UNAUTHENTICATED;
  const denied = [...new Set(denials.map((denial) => denial.field))];
  context.log.warn({ audit: 'operation-rejected', subject: context.principal?.subject ?? null, code, denied }, 'operation rejected');
  return operationDeniedError(code, { denied: listDenied ? denied : undefined, missingTokenChallenge });
}

/** `AUTHZ_UNAUTHORIZED_MODE=reject` for HTTP: Apollo answers an error thrown here with its `extensions.http` status. */
export function rejectUnauthorizedPlugin(schema: GraphQLSchema, options: RejectOptions): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request, contextValue }) {
          const error = rejection(schema, document, contextValue, request, options);
          if (error) throw error;
        },
      };
    },
  };
}
