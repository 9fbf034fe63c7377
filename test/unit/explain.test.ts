import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { graphql, GraphQLError, parse } from 'graphql';
import type { JWTPayload } from 'jose';
import { permissionsReader, principalFrom } from '../../src/auth/principal.js';
import type { Denial } from '../../src/directives/operation-analysis.js';
import { ErrorCode } from '../../src/errors.js';
import { buildSchema } from '../../src/graphql/schema.js';
import { explain, formatExplanation } from '../../src/tooling/explain.js';

const schema = buildSchema();
const ADMIN = 'read:admin-messages';
const STATS = 'read:admin-stats';
const { UNAUTHENTICATED, FORBIDDEN } = ErrorCode;

const denied = (path: string, field: string, code: Denial['code'], ...alternatives: Array<[string[], string[]]>): Denial =>
  ({ path, field, code, alternatives: alternatives.map(([required, missing]) => ({ required, missing })) });

interface Case { name: string; query: string; claims: JWTPayload | null; expected: Denial[]; permissionsClaim?: 'scope'; variables?: Record<string, unknown> }

const cases: Case[] = [
  { name: 'nothing for a public field', query: '{ publicMessage { text } }', claims: null, expected: [] },
  {
    name: 'the guarded root fields, to the anonymous',
    query: '{ publicMessage { text } protectedMessage { text } adminMessage { text } }',
    claims: null,
    expected: [denied('protectedMessage', 'Query.protectedMessage', UNAUTHENTICATED), denied('adminMessage', 'Query.adminMessage', UNAUTHENTICATED, [[ADMIN], [ADMIN]])],
  },
  {
    name: 'the missing permission, to a signed-in user',
    query: '{ protectedMessage { text } adminMessage { text } }',
    claims: { permissions: ['read:messages'] },
    expected: [denied('adminMessage', 'Query.adminMessage', FORBIDDEN, [[ADMIN], [ADMIN]])],
  },
  { name: 'nothing when the permission is granted', query: '{ adminMessage { text } }', claims: { permissions: [ADMIN] }, expected: [] },
  {
    name: 'each alias by its own path',
    query: '{ a: adminMessage { text } b: adminMessage { text } }',
    claims: {},
    expected: [denied('a', 'Query.adminMessage', FORBIDDEN, [[ADMIN], [ADMIN]]), denied('b', 'Query.adminMessage', FORBIDDEN, [[ADMIN], [ADMIN]])],
  },
  {
    name: 'only the permission still missing from an AND',
    query: '{ reports { ... on AdminStats { title adminMessageCount } } }',
    claims: { permissions: [STATS] },
    expected: [denied('reports.adminMessageCount', 'AdminStats.adminMessageCount', FORBIDDEN, [[STATS, ADMIN], [ADMIN]])],
  },
  {
    name: 'each failed alternative of an any-of',
    query: '{ messageCount }',
    claims: { permissions: ['read:messages'] },
    expected: [denied('messageCount', 'Query.messageCount', FORBIDDEN, [[ADMIN], [ADMIN]], [[STATS], [STATS]])],
  },
  { name: 'nothing when one alternative holds', query: '{ messageCount }', claims: { permissions: [STATS] }, expected: [] },
  {
    name: 'a field selected on an interface, leaving out the types a list hides',
    query: '{ reports { title owner } }',
    claims: null,
    expected: [denied('reports.owner', 'MessageReport.owner', UNAUTHENTICATED)],
  },
  {
    name: 'a type reached through a union, through a named fragment',
    query: '{ featured { ...R ... on Message { text } } } fragment R on Report { title owner }',
    claims: { permissions: [STATS] },
    expected: [],
  },
  {
    name: 'the scope string when that is the configured claim, ignoring permissions',
    query: '{ adminMessage { text } }',
    claims: { permissions: [ADMIN], scope: 'openid profile' },
    expected: [denied('adminMessage', 'Query.adminMessage', FORBIDDEN, [[ADMIN], [ADMIN]])],
    permissionsClaim: 'scope',
  },
  { name: 'nothing under @skip(if: true)', query: '{ adminMessage @skip(if: true) { text } }', claims: null, expected: [] },
  { name: 'nothing under @include(if: $on) when $on is false', query: 'query($on: Boolean!) { adminMessage @include(if: $on) { text } }', claims: null, expected: [], variables: { on: false } },
  {
    name: 'a field under @include(if: $on) when $on is true',
    query: 'query($on: Boolean!) { adminMessage @include(if: $on) { text } }',
    claims: null,
    expected: [denied('adminMessage', 'Query.adminMessage', UNAUTHENTICATED, [[ADMIN], [ADMIN]])],
    variables: { on: true },
  },
  {
    name: 'a skipped fragment spread and a kept inline fragment without a type condition',
    query: 'query($off: Boolean = true) { ...F @skip(if: $off) ... { protectedMessage { text } } } fragment F on Query { adminMessage { text } }',
    claims: null,
    expected: [denied('protectedMessage', 'Query.protectedMessage', UNAUTHENTICATED)],
  },
  {
    name: 'a field kept by a second selection when the first is skipped',
    query: '{ adminMessage @skip(if: true) { text } ... on Query { adminMessage { text } } }',
    claims: {},
    expected: [denied('adminMessage', 'Query.adminMessage', FORBIDDEN, [[ADMIN], [ADMIN]])],
  },
  {
    name: 'fields below a skipped subselection on a union member',
    query: 'query($s: Boolean!) { featured { ... on AdminStats @include(if: $s) { adminMessageCount } } }',
    claims: { permissions: [STATS] },
    expected: [],
    variables: { s: false },
  },
  {
    name: 'the same union member selected when included',
    query: 'query($s: Boolean!) { featured { ... on AdminStats @include(if: $s) { adminMessageCount } } }',
    claims: { permissions: [STATS] },
    expected: [denied('featured.adminMessageCount', 'AdminStats.adminMessageCount', FORBIDDEN, [[STATS, ADMIN], [ADMIN]])],
    variables: { s: true },
  },
];

describe('explain(document, claims)', () => {
  for (const { name, query, claims, expected, permissionsClaim, variables } of cases) {
    it(`reports ${name}`, () => {
      assert.deepEqual(explain(query, claims, { schema, ...(permissionsClaim ? { permissionsClaim } : {}), ...(variables ? { variables } : {}) }).denials, expected);
    });
  }

  it('agrees with what execution denies, for every case above', async () => {
    for (const { query, claims, permissionsClaim, variables } of cases) {
      const contextValue = { principal: claims ? principalFrom(claims, permissionsReader(permissionsClaim)) : null };
      const result = await graphql({ schema, source: query, contextValue, variableValues: variables ?? null });
      assert.equal(result.errors?.find((e) => !e.path), undefined, query);
      const executed = (result.errors ?? []).map((e) => e.path?.filter((p) => typeof p === 'string').join('.')).sort();
      const explained = explain(parse(query), claims, { schema, ...(permissionsClaim ? { permissionsClaim } : {}), ...(variables ? { variables } : {}) }).denials.map((e) => e.path).sort();
      // Execution reports a field once per list item that has it; explain once per concrete type.
      assert.deepEqual([...new Set(executed)], [...new Set(explained)], query);
    }
  });

  it('lists policy fields as decided at run time, not as denials', () => {
    const analysis = explain('{ notes { title body } }', { permissions: [] }, { schema });
    assert.deepEqual(analysis, { denials: [], runtime: [{ path: 'notes.body', field: 'Note.body', policies: ['noteOwnerOrAdmin'] }] });
    assert.equal(formatExplanation(analysis), 'notes.body: decided at run time by policy:noteOwnerOrAdmin on Note.body\n');
  });

  it('says which alternatives failed, in words', () => {
    assert.equal(
      formatExplanation(explain('{ messageCount }', {}, { schema })),
      `messageCount: FORBIDDEN by Query.messageCount; every alternative failed: ${ADMIN} (missing ${ADMIN}) OR ${STATS} (missing ${STATS})\n`,
    );
  });

  it('executes nothing', () => {
    let ran = false;
    const watched = buildSchema();
    watched.getQueryType()!.getFields()['adminMessage']!.resolve = () => {
      ran = true;
    };
    explain('{ adminMessage { text } }', { permissions: [ADMIN] }, { schema: watched });
    assert.equal(ran, false);
  });

  it('refuses a document that is not valid against the schema, and variables that do not fit', () => {
    assert.throws(() => explain('{ adminMesage { text } }', null, { schema }), GraphQLError);
    assert.throws(() => explain('query($on: Boolean!) { adminMessage @include(if: $on) { text } }', null, { schema, variables: {} }), GraphQLError);
  });
});
