import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApolloServer, type HTTPGraphQLHead } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { GraphQLError, parse } from 'graphql';
import type { RequestContext } from '../../src/auth/context.js';
import type { Principal } from '../../src/auth/principal.js';
import { callerViews, operationSchema, perCallerIntrospectionPlugin, type CallerView } from '../../src/documents/caller-introspection.js';
import { buildSchema } from '../../src/graphql/schema.js';
import { captureLogs } from '../helpers/log-capture.js';
import { principal } from '../helpers/run-schema.js';

const schema = buildSchema();
const ADMIN = 'read:admin-messages';

/** A view the caller has: on the project's schema, every caller may read some query field. */
function shown(view: CallerView | GraphQLError): CallerView {
  if (view instanceof GraphQLError) throw view;
  return view;
}

describe('callerViews', () => {
  it('builds one view per combination of the permissions the rules name, and prints its SDL once', () => {
    const views = callerViews(schema);
    const viewOf = (who: Principal | null) => shown(views(who));
    const anonymous = viewOf(null);
    assert.equal(viewOf(null), anonymous);
    assert.equal(anonymous.sdl, `${printSchemaWithDirectives(anonymous.schema)}\n`);
    assert.doesNotMatch(anonymous.sdl, /protectedMessage/);
    const token = viewOf(principal());
    assert.notEqual(token, anonymous);
    assert.match(token.sdl, /protectedMessage/);
    assert.equal(viewOf(principal('unrelated:permission')), token, 'a permission no rule names changes nothing');
    const admin = viewOf(principal(ADMIN, 'unrelated:permission'));
    assert.notEqual(admin, token);
    assert.equal(viewOf(principal(ADMIN)), admin);
    const both = viewOf(principal('read:admin-stats', ADMIN));
    assert.equal(viewOf(principal(ADMIN, 'read:admin-stats')), both, 'in whatever order the token lists them');
    assert.notEqual(both, admin);
    assert.notEqual(viewOf(principal('read:admin-stats')), both);
  });

  it('refuses a caller who may read no query field, as no valid schema is left to show it', () => {
    const schemaWith = (query: string) =>
      makeExecutableSchema({
        typeDefs: `directive @auth on FIELD_DEFINITION
          directive @hasPermission(name: String!) repeatable on FIELD_DEFINITION
          type Query { ${query} }`,
      });
    const refusal = (view: CallerView | GraphQLError) => {
      assert.ok(view instanceof GraphQLError, 'a refusal');
      return [view.extensions['code'], (view.extensions['http'] as HTTPGraphQLHead).status];
    };
    const guarded = schemaWith('mine: Int @auth  audit: Int @hasPermission(name: "read:audit")');
    const views = callerViews(guarded);
    assert.deepEqual(refusal(views(null)), ['UNAUTHENTICATED', 401]);
    assert.ok(shown(views(principal())).sdl.includes('mine: Int'));
    assert.deepEqual(refusal(callerViews(schemaWith('audit: Int @hasPermission(name: "read:audit")'))(principal())), ['FORBIDDEN', 403]);
    const schemaOf = operationSchema(guarded, views);
    assert.equal(schemaOf(null, parse('{ __schema { queryType { name } } }'), null), views(null));
    assert.equal(schemaOf(null, parse('{ mine }'), null), guarded, 'only introspection runs on the view');
  });
});

describe('operationSchema', () => {
  const viewOf = callerViews(schema);
  const schemaOf = operationSchema(schema, viewOf);
  const chosen = (source: string, operationName?: string | null) => {
    const outcome = schemaOf(null, parse(source), operationName);
    if (outcome instanceof GraphQLError) {
      const http = outcome.extensions['http'] as HTTPGraphQLHead;
      return [outcome.extensions['code'], http.status, outcome.message];
    }
    return outcome === schema ? 'full' : outcome === shown(viewOf(null)).schema ? 'view' : 'other';
  };

  it('runs introspection on the caller view, through fragments of either kind', () => {
    assert.equal(chosen('{ __schema { queryType { name } } }'), 'view');
    assert.equal(chosen('{ __typename __type(name: "Query") { name } }'), 'view');
    assert.equal(chosen('{ ... on Query { __schema { types { name } } } }'), 'view');
    assert.equal(chosen('{ ...F } fragment F on Query { __type(name: "Query") { name } }'), 'view');
    assert.equal(chosen('query A { publicMessage { text } } query B { __schema { types { name } } }', 'B'), 'view');
  });

  it('runs anything else on the full schema', () => {
    assert.equal(chosen('{ publicMessage { text } }'), 'full');
    assert.equal(chosen('{ __typename }'), 'full');
    assert.equal(chosen('{ publicMessage { __typename } }'), 'full');
    assert.equal(chosen('query A { publicMessage { text } } query B { __schema { types { name } } }', 'A'), 'full');
    assert.equal(chosen('query A { __schema { types { name } } } query B { __schema { types { name } } }'), 'full', 'no single operation: left to validation');
    assert.equal(chosen('{ ...Missing }'), 'full');
  });

  it('follows a fragment once, even in a cycle validation will refuse', () => {
    assert.equal(chosen('{ ...A } fragment A on Query { ...B __typename } fragment B on Query { ...A }'), 'full');
    assert.equal(chosen('{ ...A ...A } fragment A on Query { __schema { types { name } } }'), 'view');
  });

  it('refuses introspection mixed with other fields, wherever they are', () => {
    const refusal = ['BAD_REQUEST', 400, 'Introspection must be an operation of its own: ask for __schema or __type without other fields.'];
    assert.deepEqual(chosen('{ __schema { types { name } } publicMessage { text } }'), refusal);
    assert.deepEqual(chosen('{ __type(name: "Query") { name } ...F } fragment F on Query { publicMessage { text } }'), refusal);
    assert.deepEqual(chosen('{ __schema { types { name } } ... on Query { protectedMessage { text } } }'), refusal);
  });
});

describe('perCallerIntrospectionPlugin', () => {
  const run = async (query: string, who: Principal | null, variables?: Record<string, unknown>, operationName?: string) => {
    const schemaOf = operationSchema(schema, callerViews(schema));
    const apollo = new ApolloServer<RequestContext>({ schema, plugins: [perCallerIntrospectionPlugin(schema, schemaOf)], logger: captureLogs().logger });
    await apollo.start();
    try {
      const response = await apollo.executeOperation({ query, variables, operationName }, { contextValue: { principal: who, log: captureLogs().logger } });
      assert.ok(response.body.kind === 'single');
      const { singleResult } = response.body;
      return { status: response.http.status, keys: Object.keys(singleResult), result: JSON.parse(JSON.stringify(singleResult)) };
    } finally {
      await apollo.stop();
    }
  };
  const QUERY_FIELDS = 'query Fields($name: String!) { __type(name: $name) { fields { name } } }';
  const fieldsOf = (result: { data: { __type: { fields: Array<{ name: string }> } } }) => result.data.__type.fields.map((f) => f.name);

  it("answers introspection from the caller's view, with the request's variables", async () => {
    const anonymous = await run(QUERY_FIELDS, null, { name: 'Query' });
    assert.deepEqual([anonymous.status, fieldsOf(anonymous.result)], [undefined, ['publicMessage', 'reports', 'featured']]);
    assert.deepEqual(anonymous.keys, ['data']);
    const admin = await run(QUERY_FIELDS, principal(ADMIN), { name: 'Query' });
    assert.ok(fieldsOf(admin.result).includes('adminMessage'));
  });

  it('runs the operation the request names, and reports what went wrong running it', async () => {
    const named = await run(`query Other { publicMessage { text } } ${QUERY_FIELDS}`, null, { name: 'Query' }, 'Fields');
    assert.deepEqual(fieldsOf(named.result), ['publicMessage', 'reports', 'featured']);
    const unset = await run(QUERY_FIELDS, null);
    assert.deepEqual(unset.keys, ['data', 'errors']);
    assert.match(unset.result.errors[0].message, /Variable "\$name" of required type "String!" was not provided/);
  });

  it('runs other operations on the full schema, as Apollo does', async () => {
    assert.deepEqual((await run('{ publicMessage { text } }', null)).result, { data: { publicMessage: { text: 'This is a public message.' } } });
    assert.deepEqual((await run('{ protectedMessage { text } }', null)).result.data, { protectedMessage: null });
  });

  it('answers mixed introspection with its 400', async () => {
    const mixed = await run('{ __schema { types { name } } publicMessage { text } }', null);
    assert.deepEqual([mixed.status, mixed.result.errors[0].extensions.code], [400, 'BAD_REQUEST']);
  });
});
