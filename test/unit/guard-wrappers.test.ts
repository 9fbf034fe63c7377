import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { parse, subscribe, type GraphQLObjectType, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import { guardedRulesOf, guardSchema } from '../../src/directives/guard-schema.js';
import { analyzeOperation } from '../../src/directives/operation-analysis.js';
import type { Policy } from '../../src/policies.js';
import { denials, principal, run } from '../helpers/run-schema.js';

/**
 * The wrappers `guardSchema` puts around resolvers, one at a time, on a schema small enough that
 * each field exercises one of them: the list filter (sync, async, null, interface, union), the
 * guard (static, with a policy answering sync or async), `subscribe`, and what is left unwrapped.
 */
const typeDefs = /* GraphQL */ `
  directive @auth on OBJECT | FIELD_DEFINITION
  directive @hasPermission(name: String!) on OBJECT | FIELD_DEFINITION
  directive @policy(name: String!) repeatable on OBJECT | INTERFACE | FIELD_DEFINITION
  interface Item { id: Int }
  type Open implements Item { id: Int }
  type Secret implements Item @hasPermission(name: "read:secrets") { id: Int }
  type Plain implements Item { id: Int }
  interface Unguarded { id: Int }
  type Free implements Unguarded { id: Int }
  union Any = Open | Secret
  type Query {
    items: [Item]
    later: [Item]
    nothing: [Item]
    any: [Any]
    one: Item
    frees: [Unguarded]
    signedInItems: [Item] @auth
    signedIn: Int @auth
    mine: Int @policy(name: "sync")
    mineLater: Int @policy(name: "async")
    guardedMine: Int @auth @policy(name: "sync")
    plain: Int
  }
  type Subscription {
    secret: Int @hasPermission(name: "read:secrets")
    open: Int
    items: [Item]
  }
`;

const ITEMS = [{ __typename: 'Open', id: 1 }, { __typename: 'Secret', id: 2 }, null, { __typename: 'Plain', id: 3 }];

function fixture() {
  const calls = { sync: 0, async: 0, started: 0 };
  const allow = { value: true };
  const policies: Record<string, Policy> = {
    sync: () => ((calls.sync += 1), allow.value),
    async: async () => ((calls.async += 1), allow.value),
  };
  const source = makeExecutableSchema({
    typeDefs,
    resolvers: {
      Query: {
        items: () => ITEMS,
        later: async () => ITEMS,
        nothing: () => null,
        any: () => [ITEMS[0], ITEMS[1]],
        one: () => ITEMS[1],
        frees: () => [{ __typename: 'Free', id: 4 }],
        signedInItems: () => ITEMS,
        signedIn: () => 5,
        mine: () => 1,
        mineLater: () => 2,
        guardedMine: () => 3,
        plain: () => 7,
      },
      Subscription: {
        secret: {
          async *subscribe() {
            calls.started += 1;
            yield { secret: 1 };
          },
        },
        open: {
          async *subscribe() {
            yield { open: 1 };
          },
        },
        items: {
          async *subscribe() {
            yield { items: ITEMS };
          },
        },
      },
    },
  });
  return { schema: guardSchema(source, policies), source, calls, allow };
}

const fieldOf = (schema: GraphQLSchema, type: string, field: string) => (schema.getType(type) as GraphQLObjectType).getFields()[field]!;

describe('the list filter', () => {
  const { schema } = fixture();

  it('leaves out the items whose own type denies the caller, from a sync and an async resolver alike', async () => {
    for (const field of ['items', 'later']) {
      const anonymous = await run(schema, `{ ${field} { __typename id } }`, null);
      assert.deepEqual(anonymous, { data: { [field]: [{ __typename: 'Open', id: 1 }, null, { __typename: 'Plain', id: 3 }] }, errors: [] }, field);
      const entitled = await run(schema, `{ ${field} { id } }`, principal('read:secrets'));
      assert.deepEqual(entitled, { data: { [field]: [{ id: 1 }, { id: 2 }, null, { id: 3 }] }, errors: [] }, field);
    }
  });

  it('filters a union list the same way, and lets a signed-in caller without the permission see only what it may', async () => {
    const { data } = await run(schema, '{ any { __typename } }', principal('read:other'));
    assert.deepEqual(data, { any: [{ __typename: 'Open' }] });
  });

  it('passes a null list through', async () => {
    assert.deepEqual(await run(schema, '{ nothing { id } }', null), { data: { nothing: null }, errors: [] });
  });

  it('does not filter a single object: its own type rule denies its fields instead', async () => {
    const result = await run(schema, '{ one { __typename id } }', null);
    assert.deepEqual([result.data, denials(result)], [{ one: { __typename: 'Secret', id: null } }, ['one.id UNAUTHENTICATED']]);
  });

  it('runs the field guard before the filter on a field that has both', async () => {
    const anonymous = await run(schema, '{ signedInItems { __typename } }', null);
    assert.deepEqual([anonymous.data, denials(anonymous)], [{ signedInItems: null }, ['signedInItems UNAUTHENTICATED']]);
    const signedIn = await run(schema, '{ signedInItems { __typename } }', principal());
    assert.deepEqual(signedIn.data, { signedInItems: [{ __typename: 'Open' }, null, { __typename: 'Plain' }] });
  });
});

describe('the field guard', () => {
  it('runs a policy only when the token allows, and denies when a sync or an async policy does', async () => {
    const { schema, calls, allow } = fixture();
    assert.deepEqual(await run(schema, '{ mine mineLater }', null), { data: { mine: 1, mineLater: 2 }, errors: [] });
    assert.deepEqual([calls.sync, calls.async], [1, 1]);
    allow.value = false;
    const denied = await run(schema, '{ mine mineLater }', principal());
    assert.deepEqual([denied.data, denials(denied)], [{ mine: null, mineLater: null }, ['mine FORBIDDEN', 'mineLater FORBIDDEN']]);
    const anonymous = await run(schema, '{ guardedMine }', null);
    assert.deepEqual(denials(anonymous), ['guardedMine UNAUTHENTICATED']);
    assert.equal(calls.sync, 2, 'the token denied guardedMine, so its policy never ran');
    allow.value = true;
    assert.deepEqual((await run(schema, '{ guardedMine }', principal())).data, { guardedMine: 3 });
  });

  it('decides from the token alone synchronously, so a field without policies resolves without a promise', () => {
    const { schema } = fixture();
    const resolve = fieldOf(schema, 'Query', 'signedIn').resolve!;
    assert.equal(resolve(undefined, {}, { principal: principal() }, {} as GraphQLResolveInfo), 5);
  });

  it('leaves the resolvers of what nothing guards or hides as they were', () => {
    const { schema, source } = fixture();
    const same = (type: string, field: string, part: 'resolve' | 'subscribe') => fieldOf(schema, type, field)[part] === fieldOf(source, type, field)[part];
    assert.ok(same('Query', 'plain', 'resolve'));
    assert.ok(same('Subscription', 'open', 'subscribe'));
    assert.ok(same('Query', 'frees', 'resolve'), 'no possible type of Unguarded has a rule');
    assert.ok(!same('Query', 'items', 'resolve') && !same('Subscription', 'secret', 'subscribe'));
  });
});

describe('the subscription guard', () => {
  it('starts the source of an allowed subscription once, and of a denied one never', async () => {
    const { schema, calls } = fixture();
    const denied = await subscribe({ schema, document: parse('subscription { secret }'), contextValue: { principal: null } });
    assert.deepEqual(!(Symbol.asyncIterator in denied) && denied.errors?.map((e) => e.extensions['code']), ['UNAUTHENTICATED']);
    assert.equal(calls.started, 0);
    const allowed = await subscribe({ schema, document: parse('subscription { secret }'), contextValue: { principal: principal('read:secrets') } });
    assert.ok(Symbol.asyncIterator in allowed);
    assert.deepEqual(JSON.parse(JSON.stringify((await allowed[Symbol.asyncIterator]().next()).value)), { data: { secret: 1 } });
    assert.equal(calls.started, 1);
  });

  it('lets anyone subscribe to an unguarded field, and filters the items of each event of a list', async () => {
    const { schema } = fixture();
    const first = async (query: string) => {
      const result = await subscribe({ schema, document: parse(query), contextValue: { principal: null } });
      assert.ok(Symbol.asyncIterator in result, query);
      return JSON.parse(JSON.stringify((await result[Symbol.asyncIterator]().next()).value)) as unknown;
    };
    assert.deepEqual(await first('subscription { open }'), { data: { open: 1 } });
    assert.deepEqual(await first('subscription { items { id } }'), { data: { items: [{ id: 1 }, null, { id: 3 }] } });
  });
});

describe('the rules the guards were built from', () => {
  it('are what operation analysis reads, field and item type alike', () => {
    const { schema, source } = fixture();
    const rules = guardedRulesOf(schema);
    assert.equal(rules.get('Query.signedInItems')?.access, 'authenticated');
    assert.deepEqual(rules.get('Secret')?.anyOf, [['read:secrets']]);
    assert.deepEqual(
      analyzeOperation(schema, parse('{ items { id } one { id } }'), null).denials.map((denial) => `${denial.path} ${denial.field}`),
      ['one.id Secret.id'],
    );
    assert.throws(() => guardedRulesOf(source), /no guards/);
  });
});
