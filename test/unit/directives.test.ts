import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { parse, subscribe, type ExecutionResult } from 'graphql';
import { guardSchema } from '../../src/directives/guard-schema.js';
import { buildSchema } from '../../src/graphql/schema.js';
import { principal, run } from '../helpers/run-schema.js';

const schema = buildSchema();
const ALL = '{ publicMessage { text } protectedMessage { text } adminMessage { text } }';

describe('directives on the project schema', () => {
  it('lets anyone read publicMessage and denies the guarded fields to the anonymous, field by field', async () => {
    const { data, errors } = await run(schema, ALL, null);
    assert.deepEqual(data, { publicMessage: { text: 'This is a public message.' }, protectedMessage: null, adminMessage: null });
    assert.deepEqual(errors, [
      { path: 'protectedMessage', code: 'UNAUTHENTICATED', message: 'Requires authentication' },
      { path: 'adminMessage', code: 'UNAUTHENTICATED', message: 'Requires authentication' },
    ]);
  });

  it('lets any principal read protectedMessage, and refuses adminMessage without the permission', async () => {
    const { data, errors } = await run(schema, ALL, principal('read:messages'));
    assert.deepEqual(data?.['protectedMessage'], { text: 'This is a protected message.' });
    assert.equal(data?.['adminMessage'], null);
    assert.deepEqual(errors, [{ path: 'adminMessage', code: 'FORBIDDEN', message: 'Permission denied' }]);
  });

  it('gives everything to a principal with read:admin-messages', async () => {
    const { data, errors } = await run(schema, ALL, principal('read:admin-messages'));
    assert.deepEqual(errors, []);
    assert.deepEqual(data?.['adminMessage'], { text: 'This is an admin message.' });
  });

  it('matches permissions exactly and case-sensitively', async () => {
    for (const near of ['READ:ADMIN-MESSAGES', 'read:admin-messages ', 'read:admin-message', 'read:admin-messages:x', '*']) {
      const { errors } = await run(schema, '{ adminMessage { text } }', principal(near));
      assert.equal(errors[0]?.code, 'FORBIDDEN', near);
    }
  });

  it('cannot be walked around with aliases, fragments or inline fragments', async () => {
    const query = `
      query { a: adminMessage { text } ...F ... on Query { c: adminMessage { text } } }
      fragment F on Query { b: adminMessage { text } }`;
    const { data, errors } = await run(schema, query, principal('read:messages'));
    assert.deepEqual(data, { a: null, b: null, c: null });
    assert.deepEqual(errors.map((e) => e.code), ['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
  });
});

describe('directives on a type', () => {
  const typeDefs = /* GraphQL */ `
    directive @auth on OBJECT | FIELD_DEFINITION
    directive @hasPermission(name: String!) on OBJECT | FIELD_DEFINITION
    type Stats @hasPermission(name: "read:stats") { users: Int  secrets: Int @hasPermission(name: "read:secrets") }
    type Profile @auth { name: String }
    type Query { stats: Stats  profile: Profile }
  `;
  const typed = guardSchema(
    makeExecutableSchema({
      typeDefs,
      resolvers: { Query: { stats: () => ({ users: 3, secrets: 42 }), profile: () => ({ name: 'Ada' }) } },
    }),
    {},
  );

  it('guards every field of a type that carries the directive', async () => {
    const anonymous = await run(typed, '{ profile { name } }', null);
    assert.deepEqual(anonymous.data, { profile: { name: null } });
    assert.equal(anonymous.errors[0]?.code, 'UNAUTHENTICATED');
    const signedIn = await run(typed, '{ profile { name } }', principal());
    assert.deepEqual(signedIn.data, { profile: { name: 'Ada' } });
  });

  it("combines a type's rule and a field's rule with AND", async () => {
    const onlyField = await run(typed, '{ stats { users secrets } }', principal('read:secrets'));
    assert.deepEqual(onlyField.data, { stats: { users: null, secrets: null } });
    const onlyType = await run(typed, '{ stats { users secrets } }', principal('read:stats'));
    assert.deepEqual(onlyType.data, { stats: { users: 3, secrets: null } });
    const both = await run(typed, '{ stats { users secrets } }', principal('read:stats', 'read:secrets'));
    assert.deepEqual(both.data, { stats: { users: 3, secrets: 42 } });
  });
});

describe('guards on subscriptions', () => {
  let started = 0;
  const feed = guardSchema(
    makeExecutableSchema({
      typeDefs: /* GraphQL */ `
        directive @hasPermission(name: String!) on FIELD_DEFINITION
        type Query { ok: Boolean }
        type Subscription { secret: Int @hasPermission(name: "read:secrets") }
      `,
      resolvers: {
        Subscription: {
          secret: {
            async *subscribe() {
              started += 1;
              yield { secret: 1 };
              yield { secret: 2 };
            },
          },
        },
      },
    }),
    {},
  );

  it('never starts the source of a denied subscription', async () => {
    const result = await subscribe({ schema: feed, document: parse('subscription { secret }'), contextValue: { principal: principal() } });
    assert.ok(!(Symbol.asyncIterator in result));
    assert.deepEqual(result.errors?.map((e) => e.extensions['code']), ['FORBIDDEN']);
    assert.equal(started, 0);
  });

  it('checks every event again, so a principal that loses the permission gets no more events', async () => {
    const context = { principal: principal('read:secrets') };
    const result = await subscribe({ schema: feed, document: parse('subscription { secret }'), contextValue: context });
    assert.ok(Symbol.asyncIterator in result);
    const events = result[Symbol.asyncIterator]();
    assert.deepEqual(JSON.parse(JSON.stringify((await events.next()).value)), { data: { secret: 1 } });
    context.principal = principal();
    const second = (await events.next()).value as ExecutionResult;
    assert.deepEqual([{ ...second.data }, second.errors?.map((e) => e.extensions['code'])], [{ secret: null }, ['FORBIDDEN']]);
    assert.equal(started, 1);
  });
});
