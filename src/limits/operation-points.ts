import { parse, validate, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { QueryLimitOptions } from '../graphql/query-limits.js';

/** The operation that costs 1 point; every other is charged relative to it. */
const REFERENCE_OPERATION = '{ publicMessage { text } }';

/**
 * An operation's points: the cost estimate the query limits computed while validating it
 * (graphql-armor's), divided by the estimate of `REFERENCE_OPERATION` and rounded up, at least 1.
 * An operation refused before it was estimated (a syntax or validation error) costs 1.
 */
export function operationPoints(schema: GraphQLSchema, limits: QueryLimitOptions): (operation: OperationDefinitionNode | undefined) => number {
  const document = parse(REFERENCE_OPERATION);
  const invalid = validate(schema, document, limits.validationRules);
  const reference = limits.costOf(document.definitions[0] as OperationDefinitionNode);
  if (invalid.length > 0 || !reference) throw new Error(`rate limits need ${REFERENCE_OPERATION} to validate, as the unit of cost`);
  return (operation) => {
    const estimate = operation && limits.costOf(operation);
    return estimate === undefined ? 1 : Math.max(1, Math.ceil(estimate / reference));
  };
}
