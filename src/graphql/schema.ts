import { readFileSync } from 'node:fs';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { Source, type GraphQLSchema } from 'graphql';
import { authDirectiveTransformer } from '../directives/auth.js';
import { hasPermissionDirectiveTransformer } from '../directives/has-permission.js';
import { lintAccessRules, type LintOptions } from '../directives/lint-access-rules.js';
import { resolvers } from './resolvers.js';

/** `schema.graphql` at the project root, found the same way from `src/` and from `dist/`. */
export const SCHEMA_FILE = new URL('../../schema.graphql', import.meta.url);

/** The contract as written, named so that start-up errors point into the file. */
export function readSchemaSource(): Source {
  return new Source(readFileSync(SCHEMA_FILE, 'utf8'), 'schema.graphql');
}

/**
 * The executable schema: the SDL contract, its resolvers, and the directives' guards around them.
 * Throws `AccessRuleError` when the access rules are wrong, so a bad rule never serves a request.
 */
export function buildSchema(typeDefs: string | Source = readSchemaSource(), options: LintOptions = {}): GraphQLSchema {
  const schema = makeExecutableSchema({ typeDefs, resolvers });
  lintAccessRules(schema, options);
  return hasPermissionDirectiveTransformer(authDirectiveTransformer(schema));
}
