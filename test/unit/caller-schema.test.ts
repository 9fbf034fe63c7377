import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { isInterfaceType, isIntrospectionType, isObjectType, isUnionType, validateSchema, type GraphQLSchema } from 'graphql';
import { callerSchema } from '../../src/documents/caller-schema.js';
import { buildSchema } from '../../src/graphql/schema.js';
import { principal } from '../helpers/run-schema.js';

/** Every `Type.field` and `Union=Member` a schema has, sorted: what a caller's introspection shows. */
function shape(schema: GraphQLSchema): string[] {
  return Object.values(schema.getTypeMap())
    .filter((type) => !isIntrospectionType(type))
    .flatMap((type) => {
      if (isObjectType(type) || isInterfaceType(type)) return Object.keys(type.getFields()).map((field) => `${type.name}.${field}`);
      if (isUnionType(type)) return type.getTypes().map((member) => `${type.name}=${member.name}`);
      return [];
    })
    .sort();
}

/** The view, checked to be a valid schema first: what a caller sees must still be a schema tools accept. */
function view(schema: GraphQLSchema, who: ReturnType<typeof principal> | null): string[] {
  const filtered = callerSchema(schema, who);
  assert.deepEqual(validateSchema(filtered).map(String), []);
  return shape(filtered);
}

const DIRECTIVES = `
  directive @auth on OBJECT | INTERFACE | FIELD_DEFINITION
  directive @hasPermission(name: String!) repeatable on OBJECT | INTERFACE | FIELD_DEFINITION
  directive @policy(name: String!) repeatable on OBJECT | INTERFACE | FIELD_DEFINITION
  directive @public on FIELD_DEFINITION
`;
const sdl = (typeDefs: string) => makeExecutableSchema({ typeDefs: DIRECTIVES + typeDefs });

describe('callerSchema on the project schema', () => {
  const schema = buildSchema();

  it('shows an anonymous caller the public fields only, and what they reach', () => {
    assert.deepEqual(view(schema, null), [
      'Featured=Message', 'Message.text', 'MessageReport.messageCount', 'MessageReport.title',
      'Query.featured', 'Query.publicMessage', 'Query.reports', 'Report.title', 'Subscription.publicMessageFeed',
    ]);
  });

  it('shows a token what its permissions grant, and a policy-guarded field, which is decided later', () => {
    const shown = view(schema, principal('read:admin-stats'));
    for (const field of ['AdminStats.uptimeSeconds', 'Featured=AdminStats', 'Query.messageCount', 'Note.body', 'Report.owner', 'Query.protectedMessage']) {
      assert.ok(shown.includes(field), field);
    }
    for (const field of ['AdminStats.adminMessageCount', 'Query.adminMessage', 'Subscription.adminMessageFeed']) assert.ok(!shown.includes(field), field);
  });

  it('drops the @knownPermissions registry, which names every permission there is', () => {
    assert.match(printSchemaWithDirectives(schema), /^schema @knownPermissions/m);
    const filtered = callerSchema(schema, principal('read:admin-messages'));
    assert.doesNotMatch(printSchemaWithDirectives(filtered), /^schema @knownPermissions/m);
    assert.deepEqual([filtered.astNode, filtered.extensionASTNodes], [undefined, []]);
  });
});

describe('callerSchema keeps what is left a valid schema', () => {
  it('drops a type left without fields, every field that returns it, and so on upwards', () => {
    const schema = sdl(`
      type Query { a: A  b: B @public  open: Int @public }
      type A { secret: Int @auth }
      type B { a: A  list: [A!]!  ok: Int }
      type Mutation { change: Int @auth }
    `);
    assert.deepEqual(view(schema, null), ['B.ok', 'Query.b', 'Query.open']);
    assert.deepEqual(view(schema, principal()), ['A.secret', 'B.a', 'B.list', 'B.ok', 'Mutation.change', 'Query.a', 'Query.b', 'Query.open']);
  });

  it('drops a union whose members are all gone, and narrows one that keeps some', () => {
    const schema = sdl(`
      type Query { gone: [Gone!] @public  some: [Some!] @public  open: Int @public }
      union Gone = A | B
      union Some = A | C
      type A { x: Int @auth }
      type B { y: Int @auth }
      type C { z: Int }
    `);
    assert.deepEqual(view(schema, null), ['C.z', 'Query.open', 'Query.some', 'Some=C']);
  });

  it('keeps an interface field only while every implementation left keeps it, through interfaces that extend it', () => {
    const schema = sdl(`
      type Query { node: Node @public  named: Named @public  open: Int @public }
      interface Node { id: ID  kind: String }
      interface Named implements Node { id: ID  kind: String  name: String }
      type User implements Node & Named { id: ID @auth  kind: String  name: String }
      type Robot implements Node & Named { id: ID  kind: String  name: String }
      type Hidden implements Node { id: ID @auth  kind: String @auth }
    `);
    assert.deepEqual(view(schema, null), [
      'Named.kind', 'Named.name', 'Node.kind', 'Query.named', 'Query.node', 'Query.open',
      'Robot.id', 'Robot.kind', 'Robot.name', 'User.kind', 'User.name',
    ]);
  });

  it('drops an interface left without fields, and the fields that return it', () => {
    const schema = sdl(`
      type Query { thing: Thing @public  open: Int @public }
      interface Thing { secret: Int }
      type Impl implements Thing { secret: Int @auth  other: Int }
    `);
    assert.deepEqual(view(schema, null), ['Query.open']);
  });

  it('follows a type emptied late back to an interface field, however the types are ordered', () => {
    // C is only seen to be empty once D is hidden, after C was looked at in the first pass; only
    // then is A.f hidden, and with it Thing.f, which B still has. One pass would leave Thing.f
    // while graphql-tools drops A.f with C: A would no longer implement Thing.
    const schema = sdl(`
      type Query { thing: Thing @public  open: Int @public }
      interface Thing { f: C  g: Int }
      type C { d: D }
      type D { secret: Int @auth }
      type A implements Thing { f: C @public  g: Int @public }
      type B implements Thing { f: C @public  g: Int @public }
    `);
    assert.deepEqual(view(schema, null), ['A.g', 'B.g', 'Query.open', 'Query.thing', 'Thing.g']);
  });

  it('drops an interface field whose implementation returns a member emptied late, though the union stays', () => {
    // A.f narrows Thing.f's union to C, which empties only on the second pass. Thing.f must go
    // with A.f, though its own type U keeps a member: graphql-tools would drop A.f alone.
    const schema = sdl(`
      type Query { thing: Thing @public  open: Int @public }
      union U = C | E
      interface Thing { f: U  g: Int }
      type C { d: D }
      type D { secret: Int @auth }
      type E { ok: Int @public }
      type A implements Thing { f: C @public  g: Int @public }
      type B implements Thing { f: U @public  g: Int @public }
    `);
    assert.deepEqual(view(schema, null), ['A.g', 'B.f', 'B.g', 'E.ok', 'Query.open', 'Query.thing', 'Thing.g', 'U=E']);
  });
});
