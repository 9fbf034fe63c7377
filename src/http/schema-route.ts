import { printSchemaWithDirectives } from '@graphql-tools/utils';
import type { RequestHandler } from 'express';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import type { AuthRequest, ContextBuilder } from '../auth/context.js';
import type { Principal } from '../auth/principal.js';
import { BearerChallenge } from '../errors.js';
import { sendGraphQLError } from './error-handler.js';

export interface PerCallerSchema {
  /** The SDL the caller may see (`GRAPHQL_INTROSPECTION=per-caller`). */
  sdlFor: (principal: Principal | null) => string;
  buildContext: ContextBuilder;
}

/**
 * `GET /schema.graphql`: the SDL with the directive definitions and every place they are used,
 * which introspection does not carry, so that tools and reviewers see the access rules. Printed
 * once from the schema being served or, per caller, the caller's own view, as introspection
 * shows it. Plain text, so that a browser or curl shows it as it is.
 */
export function schemaRoute(schema: GraphQLSchema, perCaller?: PerCallerSchema): RequestHandler {
  const sdl = perCaller ? undefined : `${printSchemaWithDirectives(schema)}\n`;
  return async (req, res, next) => {
    let text = sdl;
    if (perCaller) {
      try {
        text = perCaller.sdlFor((await perCaller.buildContext(req as AuthRequest)).principal);
      } catch (error) {
        return error instanceof GraphQLError ? sendGraphQLError(res, error, BearerChallenge.MISSING) : next(error);
      }
    }
    res.type('text/plain; charset=utf-8').send(text);
  };
}
