import { printSchemaWithDirectives } from '@graphql-tools/utils';
import type { RequestHandler } from 'express';
import type { GraphQLSchema } from 'graphql';

/**
 * `GET /schema.graphql`: the SDL with the directive definitions and every place they are used,
 * which introspection does not carry, so that tools and reviewers see the access rules. Printed
 * once from the schema being served. Plain text, so that a browser or curl shows it as it is.
 */
export function schemaRoute(schema: GraphQLSchema): RequestHandler {
  const sdl = `${printSchemaWithDirectives(schema)}\n`;
  return (_req, res) => {
    res.type('text/plain; charset=utf-8').send(sdl);
  };
}
