import express, { type RequestHandler, type Response } from 'express';
import { execute, GraphQLError, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { ContextBuilder, RequestContext } from '../auth/context.js';
import { BearerChallenge, ErrorCode, errorCodeOf } from '../errors.js';
import { methodNotAllowed, sendError } from './error-handler.js';

/**
 * The seed's REST routes, under `/api/messages`, and the GraphQL query each one runs. The alias
 * gives every result the same shape, whose `message` is the seed's body.
 */
const queries: Readonly<Record<string, string>> = {
  '/public': '{ message: publicMessage { text } }',
  '/protected': '{ message: protectedMessage { text } }',
  '/admin': '{ message: adminMessage { text } }',
};

export interface RestOptions {
  /** The executable schema Apollo serves, so the directives decide here exactly as there. */
  schema: GraphQLSchema;
  buildContext: ContextBuilder;
  /** The CORS policy of these routes, for their preflights and every answer; other paths get none. */
  cors: RequestHandler;
  /** The challenge that asks an anonymous request for a token; the Bearer one unless told otherwise. */
  missingTokenChallenge?: string;
}

/**
 * The seed's REST API as a thin mirror of the GraphQL one: each route executes its query and turns
 * the error code into the status, so no access rule is written twice. The queries are parsed and
 * validated once, here, and a query the schema no longer answers stops the app from starting.
 */
export function restRouter({ schema, buildContext, cors, missingTokenChallenge = BearerChallenge.MISSING }: RestOptions): express.Router {
  const router = express.Router();
  for (const [path, query] of Object.entries(queries)) {
    router
      .route(path)
      .all(cors)
      .get(runQuery(schema, parseAndValidate(schema, query), buildContext, missingTokenChallenge))
      .all(methodNotAllowed(['GET', 'HEAD']));
  }
  return router;
}

function parseAndValidate(schema: GraphQLSchema, query: string): DocumentNode {
  const document = parse(query);
  const errors = validate(schema, document);
  if (errors.length > 0) throw new AggregateError(errors, `REST query ${query} does not match the schema`);
  return document;
}

function runQuery(schema: GraphQLSchema, document: DocumentNode, buildContext: ContextBuilder, missingTokenChallenge: string): RequestHandler {
  return async (req, res) => {
    let contextValue: RequestContext;
    try {
      // Inside this router `req.url` is relative to its mount point; a DPoP proof names the full path.
      const { method, originalUrl: url, headers, rawHeaders, log } = req;
      contextValue = await buildContext({ method, url, headers, rawHeaders, log });
    } catch (error) {
      // The context builder rejects bad credentials with a GraphQLError; anything else is a fault.
      if (!(error instanceof GraphQLError)) throw error;
      return sendGraphQLError(res, error, missingTokenChallenge);
    }
    const result = await execute({ schema, document, contextValue });
    const error = result.errors?.[0];
    if (!error) return void res.json(result.data?.['message']);
    // A resolver that failed by accident goes to the error handler, which logs it and answers 500.
    if (errorCodeOf(error) === ErrorCode.INTERNAL_SERVER_ERROR) throw error.originalError ?? error;
    return sendGraphQLError(res, error, missingTokenChallenge);
  };
}

/**
 * Answers with the error's code as status and its message as the seed's body. A request-level
 * failure brings its own headers (the bearer challenge, `retry-after`); a field denied to an
 * anonymous request gets the challenge that asks for a token.
 */
function sendGraphQLError(res: Response, error: GraphQLError, missingTokenChallenge: string): void {
  const code = errorCodeOf(error);
  const headers = (error.extensions['http'] as { headers?: Map<string, string> } | undefined)?.headers;
  if (headers) for (const [name, value] of headers) res.setHeader(name, value);
  else if (code === ErrorCode.UNAUTHENTICATED) res.setHeader('www-authenticate', missingTokenChallenge);
  sendError(res, code, error.message);
}
