import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSchema as buildSdl, parse, specifiedRules, validate, type OperationDefinitionNode } from 'graphql';
import { queryLimits, type QueryLimitOptions } from '../../src/graphql/query-limits.js';
import { buildSchema } from '../../src/graphql/schema.js';
import { operationPoints } from '../../src/limits/operation-points.js';

const schema = buildSchema();

/** An operation as the server holds it once validated: graphql-armor estimated its cost then. */
function validated(limits: QueryLimitOptions, source: string): OperationDefinitionNode {
  const document = parse(source);
  assert.deepEqual(validate(schema, document, limits.validationRules), []);
  return document.definitions[0] as OperationDefinitionNode;
}

/** Query limits whose estimates are set by hand, to check the arithmetic at its edges. */
function estimating(costs: ReadonlyMap<string, number>): QueryLimitOptions {
  return { ...queryLimits(), costOf: (operation) => costs.get(operation.selectionSet.selections.map((s) => (s.kind === 'Field' ? s.name.value : '')).join()) };
}

describe('operationPoints', () => {
  it('charges the reference operation 1 point, and others relative to it', () => {
    const limits = queryLimits();
    const pointsOf = operationPoints(schema, limits);
    assert.equal(pointsOf(validated(limits, '{ publicMessage { text } }')), 1);
    assert.equal(pointsOf(validated(limits, '{ a: publicMessage { text } b: publicMessage { text } }')), 2);
    assert.equal(pointsOf(validated(limits, '{ __typename }')), 1, 'cheaper than the reference: still 1');
  });

  it('charges 1 for an operation that was never estimated, or none at all', () => {
    const pointsOf = operationPoints(schema, queryLimits());
    assert.equal(pointsOf(parse('{ a: publicMessage { text } b: publicMessage { text } }').definitions[0] as OperationDefinitionNode), 1);
    assert.equal(pointsOf(undefined), 1);
  });

  it('rounds up, and charges at least 1 however cheap the estimate', () => {
    const pointsOf = operationPoints(schema, estimating(new Map([['publicMessage', 10], ['protectedMessage', 21], ['adminMessage', 0], ['__typename', 30]])));
    const operation = (field: string) => parse(`{ ${field} { __typename } }`).definitions[0] as OperationDefinitionNode;
    assert.equal(pointsOf(operation('protectedMessage')), 3);
    assert.equal(pointsOf(parse('{ __typename }').definitions[0] as OperationDefinitionNode), 3);
    assert.equal(pointsOf(operation('adminMessage')), 1);
    assert.equal(pointsOf(undefined), 1, 'no operation: nothing to estimate');
  });

  it('refuses to start when the reference operation does not validate, or has no estimate', () => {
    const message = /rate limits need \{ publicMessage \{ text \} \} to validate, as the unit of cost/;
    // The query limits hold graphql-armor's rules only; with graphql-js's own, a schema without the field refuses the reference.
    const limits = queryLimits();
    assert.throws(() => operationPoints(buildSdl('type Query { other: Int }'), { ...limits, validationRules: [...specifiedRules, ...limits.validationRules] }), message);
    assert.throws(() => operationPoints(schema, estimating(new Map())), message);
    assert.throws(() => operationPoints(schema, estimating(new Map([['publicMessage', 0]]))), message);
  });
});
