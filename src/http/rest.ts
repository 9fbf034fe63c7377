import type { IncomingMessage, ServerResponse } from 'node:http';
import { execute, GraphQLError, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { AuthRequest, ContextBuilder, RequestContext } from '../auth/context.js';
import { ErrorCode, errorCodeOf } from '../errors.js';
import type { ChargeUnpaid } from '../limits/rate-limits.js';
import type { CorsStep } from './cors-policy.js';
import { answerError, methodNotAllowed, sendGraphQLError, sendJson } from './error-handler.js';

/**
 * The seed's REST routes, under `/api/messages`, and the GraphQL query each one runs. The alias
 * gives every result the same shape, whose `message` is the seed's body.
 */
const queries: Readonly<Record<string, string>> = {
  '/api/messages/public': '{ message: publicMessage { text } }',
  '/api/messages/protected': '{ message: protectedMessage { text } }',
  '/api/messages/admin': '{ message: adminMessage { text } }',
};

export interface RestOptions {
  /** The executable schema Apollo serves, so the directives decide here exactly as there. */
  schema: GraphQLSchema;
  buildContext: ContextBuilder;
  /** The CORS policy of these routes, for their preflights and every answer; other paths get none. */
  cors: CorsStep;
  /** The challenge that asks an anonymous request for a token, as `authChallenge` builds it. */
  missingTokenChallenge: string;
  /** The rate limits' charge for a request refused before its context is built, as for `/graphql`. */
  chargeUnpaid?: ChargeUnpaid | undefined;
}

type Route = (req: IncomingMessage, res: ServerResponse) => void;

const notAllowed = methodNotAllowed(['GET', 'HEAD']);

/**
 * The seed's REST API as a thin mirror of the GraphQL one: each route executes its query and turns
 * the error code into the status, so no access rule is written twice. The queries are parsed and
 * validated once, here, and a query the schema no longer answers stops the app from starting.
 * Plain `node:http` routes by path, served without Express's per-request cost, like `/graphql`.
 */
export function restRoutes({ schema, buildContext, cors, missingTokenChallenge, chargeUnpaid }: RestOptions): Map<string, Route> {
  /** Another method: 405, unless the rate limits answer 429 in its place. */
  const refuseMethod: Route = (req, res) => {
    const unpaid = chargeUnpaid?.(req);
    if (!unpaid) return notAllowed(req, res);
    unpaid.then(
      (refusal) => (refusal ? sendGraphQLError(res, refusal, missingTokenChallenge) : notAllowed(req, res)),
      (failure: unknown) => answerError(failure, req, res),
    );
  };
  return new Map(
    Object.entries(queries).map(([path, query]) => {
      const run = runQuery(schema, parseAndValidate(schema, query), buildContext, missingTokenChallenge);
      const route: Route = (req, res) =>
        cors(req, res, (error) => {
          if (error) return answerError(error, req, res);
          if (req.method !== 'GET' && req.method !== 'HEAD') return refuseMethod(req, res);
          run(req, res).catch((failure: unknown) => answerError(failure, req, res));
        });
      return [path, route];
    }),
  );
}

function parseAndValidate(schema: GraphQLSchema, query: string): DocumentNode {
  const document = parse(query);
  const errors = validate(schema, document);
  if (errors.length > 0) throw new AggregateError(errors, `REST query ${query} does not match the schema`);
  return document;
}

function runQuery(schema: GraphQLSchema, document: DocumentNode, buildContext: ContextBuilder, missingTokenChallenge: string) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let contextValue: RequestContext;
    try {
      // node:http sets `method` and `url` on every request its server emits.
      contextValue = await buildContext(req as AuthRequest);
    } catch (error) {
      // The context builder rejects bad credentials with a GraphQLError; anything else is a fault.
      if (!(error instanceof GraphQLError)) throw error;
      return sendGraphQLError(res, error, missingTokenChallenge);
    }
    const result = await execute({ schema, document, contextValue });
    const error = result.errors?.[0];
    if (!error) return sendJson(res, 200, result.data?.['message']);
    // A resolver that failed by accident goes to `answerError`, which logs it and answers 500.
    if (errorCodeOf(error) === ErrorCode.INTERNAL_SERVER_ERROR) throw error.originalError ?? error;
    return sendGraphQLError(res, error, missingTokenChallenge);
  };
}
