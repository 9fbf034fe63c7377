import { readFileSync } from 'node:fs';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { Source, type GraphQLSchema } from 'graphql';
import { guardSchema } from '../directives/guard-schema.js';
import { lintAccessRules, type LintOptions } from '../directives/lint-access-rules.js';
import type { Telemetry } from '../observability/hooks.js';
import { policies as registeredPolicies, type Policy } from '../policies.js';
import { resolvers } from './resolvers.js';

/** `schema.graphql` at the project root, found the same way from `src/` and from `dist/`. */
export const SCHEMA_FILE = new URL('../../schema.graphql', import.meta.url);

/** The contract as written, named so that start-up errors point into the file. */
export function readSchemaSource(): Source {
  return new Source(readFileSync(SCHEMA_FILE, 'utf8'), 'schema.graphql');
}

export interface BuildOptions extends Omit<LintOptions, 'policies'> {
  /** The policies `@policy` may name; `src/policies.ts` unless a test brings its own. */
  policies?: Readonly<Record<string, Policy>>;
  /** Told about what is suspicious but not wrong, such as a registered policy no field uses. */
  onWarning?: (message: string) => void;
  /** Where the guards count their decisions. */
  telemetry?: Telemetry;
}

/**
 * The executable schema: the SDL contract, its resolvers, and one guard per guarded field.
 * Throws `AccessRuleError` when the access rules are wrong, so a bad rule never serves a request.
 */
export function buildSchema(typeDefs: string | Source = readSchemaSource(), options: BuildOptions = {}): GraphQLSchema {
  const { policies = registeredPolicies, onWarning = () => {}, telemetry, ...lint } = options;
  const schema = makeExecutableSchema({ typeDefs, resolvers });
  for (const warning of lintAccessRules(schema, { ...lint, policies: Object.keys(policies) })) onWarning(warning);
  return guardSchema(schema, policies, telemetry);
}
