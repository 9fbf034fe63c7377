import { readFileSync } from 'node:fs';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { authDirectiveTransformer } from '../directives/auth.js';
import { hasPermissionDirectiveTransformer } from '../directives/has-permission.js';
import { resolvers } from './resolvers.js';

/** `schema.graphql` at the project root, found the same way from `src/` and from `dist/`. */
export const SCHEMA_FILE = new URL('../../schema.graphql', import.meta.url);

/** The executable schema: the SDL contract, its resolvers, and the directives' guards around them. */
export function buildSchema(typeDefs = readFileSync(SCHEMA_FILE, 'utf8')): GraphQLSchema {
  const schema = makeExecutableSchema({ typeDefs, resolvers });
  return hasPermissionDirectiveTransformer(authDirectiveTransformer(schema));
}
