import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { Kind, type OperationDefinitionNode, type ParseOptions, type ValidationContext, type ValidationRule } from 'graphql';
import { noIntrospectionAliases } from './introspection-aliases.js';

/**
 * Limits on the shape of an operation, checked before anything executes. This schema's real
 * operations are two levels deep with a handful of fields; the standard introspection query
 * (Apollo Sandbox, codegen) is the largest legitimate document, at depth 15 with fragments
 * flattened and about 200 tokens, so the limits sit just above it.
 */
export const QueryLimits = {
  /** Selection depth, counting introspection, so `__schema { types { fields { type ... } } } }` nesting is refused. */
  depth: 15,
  /** Aliases per operation: enough to ask for every field twice, far from an alias flood. */
  aliases: 10,
  /** Directive uses per operation (`@include`, `@skip`). */
  directives: 10,
  /** Lexical tokens per document, checked by graphql-js while parsing, so a huge document is never fully parsed. */
  tokens: 1_000,
  /**
   * graphql-armor's cost estimate (objects 2, scalars 1, times 1.5 per level), introspection
   * included. The full introspection query costs about 87,400 by it, so one copy passes and an
   * aliased second copy does not.
   */
  cost: 100_000,
} as const;

export interface QueryLimitOptions {
  plugins: ApolloServerPlugin[];
  validationRules: ValidationRule[];
  parseOptions: ParseOptions;
  /**
   * graphql-armor's cost estimate of an operation that passed these rules, as its cost limit
   * computed it; undefined for one they never validated.
   */
  costOf(operation: OperationDefinitionNode): number | undefined;
}

/** Apollo Server options that enforce `QueryLimits`: graphql-armor's rules and plugins, and graphql-js's token limit. */
export function queryLimits(): QueryLimitOptions {
  const estimates = costRecorder();
  const { plugins, validationRules } = new ApolloArmor({
    maxDepth: { n: QueryLimits.depth, flattenFragments: true, ignoreIntrospection: false },
    maxAliases: { n: QueryLimits.aliases },
    maxDirectives: { n: QueryLimits.directives },
    // graphql-armor re-parses in a plugin hook, where a syntax error becomes a 500; graphql-js's
    // own `maxTokens` gives the 400 of any parse failure.
    maxTokens: { enabled: false },
    // Introspection counts too: its default exemption let an aliased `__schema` document return 255 KB.
    costLimit: { maxCost: QueryLimits.cost, ignoreIntrospection: false, onAccept: [estimates.record] },
    // `operation-rules.ts` hides suggestions in production, on both transports, and they help
    // during development.
    blockFieldSuggestion: { enabled: false },
  }).protect();
  // graphql-armor's declarations name @apollo/server's CommonJS types; the plugins are plain objects.
  return {
    plugins: plugins as unknown as ApolloServerPlugin[],
    validationRules: [...validationRules, noIntrospectionAliases],
    parseOptions: { maxTokens: QueryLimits.tokens },
    costOf: (operation) => estimates.costs.get(operation),
  };
}

/**
 * Keeps each accepted operation's estimate with its node. graphql-armor reports an estimate with
 * the validation context only, once per operation in document order, so the n-th report of a
 * context belongs to its document's n-th operation. Apollo caches validated documents and reuses
 * the same nodes, so a cached document keeps its estimates without being validated again.
 */
function costRecorder() {
  const costs = new WeakMap<OperationDefinitionNode, number>();
  const reported = new WeakMap<ValidationContext, number>();
  const record = (context: ValidationContext | null, details: { n?: unknown }) => {
    if (!context || typeof details.n !== 'number') return;
    const index = reported.get(context) ?? 0;
    reported.set(context, index + 1);
    const operation = context.getDocument().definitions.filter((node) => node.kind === Kind.OPERATION_DEFINITION)[index];
    if (operation) costs.set(operation, details.n);
  };
  return { costs, record };
}
