import { GraphQLError, isIntrospectionType, type ValidationRule } from 'graphql';

const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);

/**
 * Refuses an alias on `__schema`, `__type` or any field of an introspection type.
 *
 * A cost estimate cannot bound introspection's output: it counts selections, not the length of
 * the lists they return, so a 400-byte document of ten aliased `__schema { types { fields … } }`
 * costs less than the standard introspection query yet returns five times as much. Without
 * aliases each introspection field appears at most once in a response, so the output is bounded
 * by the schema's own size (and the depth limit for its cycles). No introspection tool aliases.
 */
export const noIntrospectionAliases: ValidationRule = (context) => ({
  Field(node) {
    if (!node.alias) return;
    const parent = context.getParentType();
    if (INTROSPECTION_ROOTS.has(node.name.value) || (parent && isIntrospectionType(parent))) {
      context.reportError(new GraphQLError(`Aliases are not allowed in introspection, found "${node.alias.value}: ${node.name.value}".`, { nodes: [node] }));
    }
  },
});
