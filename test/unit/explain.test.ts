import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { graphql, GraphQLError, parse } from 'graphql';
import type { JWTPayload } from 'jose';
import { principalFrom } from '../../src/auth/principal.js';
import { explain, type Explanation } from '../../src/directives/explain.js';
import { ErrorCode } from '../../src/errors.js';
import { buildSchema } from '../../src/graphql/schema.js';

const schema = buildSchema();
const ADMIN = 'read:admin-messages';
const STATS = 'read:admin-stats';
const { UNAUTHENTICATED, FORBIDDEN } = ErrorCode;

const denied = (path: string, field: string, code: Explanation['code'], required: string[] = [], missing: string[] = []): Explanation =>
  ({ path, field, code, required, missing });

describe('explain(document, claims)', () => {
  const cases: Array<{ name: string; query: string; claims: JWTPayload | null; expected: Explanation[]; permissionsClaim?: 'scope' }> = [
    { name: 'nothing for a public field', query: '{ publicMessage { text } }', claims: null, expected: [] },
    {
      name: 'the guarded root fields, to the anonymous',
      query: '{ publicMessage { text } protectedMessage { text } adminMessage { text } }',
      claims: null,
      expected: [denied('protectedMessage', 'Query.protectedMessage', UNAUTHENTICATED), denied('adminMessage', 'Query.adminMessage', UNAUTHENTICATED, [ADMIN], [ADMIN])],
    },
    {
      name: 'the missing permission, to a signed-in user',
      query: '{ protectedMessage { text } adminMessage { text } }',
      claims: { permissions: ['read:messages'] },
      expected: [denied('adminMessage', 'Query.adminMessage', FORBIDDEN, [ADMIN], [ADMIN])],
    },
    { name: 'nothing when the permission is granted', query: '{ adminMessage { text } }', claims: { permissions: [ADMIN] }, expected: [] },
    {
      name: 'each alias by its own path',
      query: '{ a: adminMessage { text } b: adminMessage { text } }',
      claims: {},
      expected: [denied('a', 'Query.adminMessage', FORBIDDEN, [ADMIN], [ADMIN]), denied('b', 'Query.adminMessage', FORBIDDEN, [ADMIN], [ADMIN])],
    },
    {
      name: 'only the permission still missing from an AND',
      query: '{ reports { ... on AdminStats { title adminMessageCount } } }',
      claims: { permissions: [STATS] },
      expected: [denied('reports.adminMessageCount', 'AdminStats.adminMessageCount', FORBIDDEN, [STATS, ADMIN], [ADMIN])],
    },
    {
      name: 'a field selected on an interface, for each concrete type that denies it',
      query: '{ reports { title owner } }',
      claims: null,
      expected: [
        denied('reports.owner', 'MessageReport.owner', UNAUTHENTICATED),
        denied('reports.title', 'AdminStats.title', UNAUTHENTICATED, [STATS], [STATS]),
        denied('reports.owner', 'AdminStats.owner', UNAUTHENTICATED, [STATS], [STATS]),
      ],
    },
    {
      name: 'a type reached through a union, through a named fragment',
      query: '{ featured { ...R ... on Message { text } } } fragment R on Report { title }',
      claims: { permissions: [ADMIN] },
      expected: [denied('featured.title', 'AdminStats.title', FORBIDDEN, [STATS], [STATS])],
    },
    {
      name: 'the scope string when that is the configured claim, ignoring permissions',
      query: '{ adminMessage { text } }',
      claims: { permissions: [ADMIN], scope: 'openid profile' },
      expected: [denied('adminMessage', 'Query.adminMessage', FORBIDDEN, [ADMIN], [ADMIN])],
      permissionsClaim: 'scope',
    },
  ];
  for (const { name, query, claims, expected, permissionsClaim } of cases) {
    it(`reports ${name}`, () => {
      assert.deepEqual(explain(query, claims, { schema, permissionsClaim }), expected);
    });
  }

  it('reads the scope string when told to', () => {
    assert.deepEqual(explain('{ adminMessage { text } }', { scope: `openid ${ADMIN}` }, { schema, permissionsClaim: 'scope' }), []);
  });

  it('agrees with what execution denies, for every case above', async () => {
    for (const { query, claims, permissionsClaim } of cases) {
      const result = await graphql({ schema, source: query, contextValue: { principal: claims ? principalFrom(claims, permissionsClaim) : null } });
      const executed = (result.errors ?? []).map((e) => e.path?.filter((p) => typeof p === 'string').join('.')).sort();
      const explained = explain(parse(query), claims, { schema, permissionsClaim }).map((e) => e.path).sort();
      // Execution reports a field once per list item that has it; explain once per concrete type.
      assert.deepEqual([...new Set(executed)], [...new Set(explained)], query);
    }
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

  it('refuses a document that is not valid against the schema', () => {
    assert.throws(() => explain('{ adminMesage { text } }', null, { schema }), GraphQLError);
  });
});
