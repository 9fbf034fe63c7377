import type { ApolloServerOptions, ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import {
  getOperationAST,
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values.js';
import { createFormatError } from './format-error.js';
import type { queryLimits } from './query-limits.js';

export interface OperationRulesOptions {
  /** The query limits, shared with what charges an operation by its cost. */
  limits: ReturnType<typeof queryLimits>;
  /** Whether `__schema` and `__type` may be asked for (`GRAPHQL_INTROSPECTION`). */
  introspection: boolean;
  /** Production hides field suggestions and the permissions a denial lacked. */
  production: boolean;
}

/** An operation as a socket's `subscribe` message carries it. */
export interface OperationRequest {
  query: string;
  operationName?: string | null | undefined;
  variables?: Readonly<Record<string, unknown>> | null | undefined;
}

/** What Apollo Server is built with, from these rules. */
type ApolloRuleOptions = Required<
  Pick<ApolloServerOptions<BaseContext>, 'validationRules' | 'parseOptions' | 'introspection' | 'hideSchemaDetailsFromClientErrors' | 'formatError'>
>;

export interface OperationRules {
  /** For Apollo Server's constructor: HTTP. */
  apollo: ApolloRuleOptions;
  /** graphql-armor's plugins, for Apollo Server (the cost limit runs there). */
  plugins: ApolloServerPlugin[];
  /**
   * For a socket: the document parsed and validated, and its variables coerced, as Apollo does for
   * HTTP, or the errors with the codes Apollo gives them.
   */
  prepare(schema: GraphQLSchema, request: OperationRequest): { document: DocumentNode } | { errors: GraphQLError[] };
  /** For a socket: an error as HTTP would answer it, masked where it would be, without its HTTP status. */
  formatSocketError(error: GraphQLError): GraphQLFormattedError;
}

/**
 * graphql-js 16 validates a `mutation` against a schema without a Mutation type and lets execution
 * fail on it, as an internal error; it is the client's mistake, so it is refused as one (as
 * graphql-js 17's KnownOperationTypesRule does).
 */
const knownOperationTypes: ValidationRule = (context) => ({
  OperationDefinition(node) {
    if (!context.getSchema().getRootType(node.operation)) {
      context.reportError(new GraphQLError(`The schema has no ${node.operation} operations.`, { nodes: [node] }));
    }
  },
});

/** What Apollo's suggestion hiding removes from a message: graphql-js's "Did you mean …?" tail. */
const SUGGESTION = / ?Did you mean(.+?)\?$/;

/**
 * The one definition of what an operation must pass and how its errors are answered, for HTTP
 * (Apollo Server) and WebSocket (graphql-ws) alike: the limits, the introspection switch, field
 * suggestions hidden in production, masking. A rule added here holds on both transports; the
 * transports only differ in how they carry the answer.
 */
export function operationRules({ limits, introspection, production }: OperationRulesOptions): OperationRules {
  // graphql-js's own rule rather than Apollo's `introspection: false`, so that sockets, which do
  // not pass through Apollo, refuse introspection with the same rule and the same words.
  const validationRules: ValidationRule[] = [
    knownOperationTypes,
    ...limits.validationRules,
    ...(introspection ? [] : [NoSchemaIntrospectionCustomRule]),
  ];
  const maskErrors = createFormatError({ explainDenials: !production });
  const formatError = (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const masked = maskErrors(formatted, error);
    return production ? { ...masked, message: masked.message.replace(SUGGESTION, '') } : masked;
  };
  const allRules = [...specifiedRules, ...validationRules];

  return {
    apollo: {
      validationRules,
      parseOptions: limits.parseOptions,
      // The switch is `NoSchemaIntrospectionCustomRule` above; Apollo's own would add a second rule.
      introspection: true,
      // Suggestions are hidden by `formatError`, which answers every error of both transports.
      hideSchemaDetailsFromClientErrors: false,
      formatError,
    },
    plugins: limits.plugins,
    prepare(schema, { query, operationName, variables }) {
      let document: DocumentNode;
      try {
        document = parse(query, limits.parseOptions);
      } catch (error) {
        return { errors: [withCode(error instanceof GraphQLError ? error : new GraphQLError('Syntax Error'), ApolloServerErrorCode.GRAPHQL_PARSE_FAILED)] };
      }
      const invalid = validate(schema, document, allRules);
      if (invalid.length > 0) return { errors: invalid.map((error) => withCode(error, ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED)) };
      const operation = getOperationAST(document, operationName);
      if (operation) {
        const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
        if (coerced.errors) return { errors: coerced.errors.map((error) => withCode(error, ApolloServerErrorCode.BAD_USER_INPUT)) };
      }
      return { document };
    },
    formatSocketError(error) {
      // As Apollo does: an error nobody gave a code is an internal one, so `formatError` masks it.
      const coded = error.extensions['code'] === undefined ? withCode(error, ApolloServerErrorCode.INTERNAL_SERVER_ERROR) : error;
      const formatted = formatError(coded.toJSON(), error);
      // The HTTP status a request error carries means nothing on a socket.
      if (!formatted.extensions || !('http' in formatted.extensions)) return formatted;
      const { http, ...extensions } = formatted.extensions;
      return { ...formatted, extensions };
    },
  };
}

function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError ?? error,
    extensions: { ...error.extensions, code },
  });
}
