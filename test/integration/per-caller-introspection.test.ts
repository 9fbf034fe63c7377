import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  buildClientSchema,
  buildSchema as buildSdl,
  getIntrospectionQuery,
  isInterfaceType,
  isObjectType,
  isUnionType,
  validateSchema,
  type GraphQLSchema,
  type IntrospectionQuery,
} from 'graphql';
import { callerViews } from '../../src/documents/caller-introspection.js';
import { buildSchema } from '../../src/graphql/schema.js';
import { ADMIN, startHarness, type Harness } from '../helpers/harness.js';
import { firstResult } from '../helpers/websocket.js';

const STATS = 'read:admin-stats';

/** The caller's introspection, loaded as a client would load it, and checked to be a valid schema. */
async function introspect(h: Harness, token?: string): Promise<GraphQLSchema> {
  const response = await fetch(`${h.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: getIntrospectionQuery() }),
  });
  assert.equal(response.status, 200);
  const { data } = (await response.json()) as { data: IntrospectionQuery };
  const schema = buildClientSchema(data);
  assert.deepEqual(validateSchema(schema), []);
  return schema;
}

/** Every object and interface field and every union's members, as `Type.field` and `Union=Member`. */
function shape(schema: GraphQLSchema): string[] {
  return Object.values(schema.getTypeMap())
    .filter((type) => !type.name.startsWith('__'))
    .flatMap((type) => {
      if (isObjectType(type) || isInterfaceType(type)) return Object.keys(type.getFields()).map((field) => `${type.name}.${field}`);
      if (isUnionType(type)) return type.getTypes().map((member) => `${type.name}=${member.name}`);
      return [];
    })
    .sort();
}

const ANONYMOUS = [
  'Featured=Message',
  'Message.text',
  'MessageReport.messageCount',
  'MessageReport.title',
  'Query.featured',
  'Query.publicMessage',
  'Query.reports',
  'Report.title',
  'Subscription.publicMessageFeed',
];
const SIGNED_IN = [...ANONYMOUS, 'MessageReport.owner', 'Note.body', 'Note.id', 'Note.owner', 'Note.title', 'Query.notes', 'Query.protectedMessage', 'Report.owner'].sort();
const ADMIN_MESSAGES = [...SIGNED_IN, 'Query.adminMessage', 'Query.messageCount', 'Subscription.adminMessageFeed'].sort();
const ADMIN_STATS_FIELDS = ['AdminStats.owner', 'AdminStats.title', 'AdminStats.uptimeSeconds', 'Featured=AdminStats'];

describe('GRAPHQL_INTROSPECTION=per-caller', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ GRAPHQL_INTROSPECTION: 'per-caller' });
  });
  after(() => h.close());

  it('shows an anonymous caller the @public fields only, with interfaces and unions consistent', async () => {
    assert.deepEqual(shape(await introspect(h)), ANONYMOUS);
  });

  it('adds what a token grants: @auth fields for a user, policy-only fields included (Note.body)', async () => {
    assert.deepEqual(shape(await introspect(h, await h.token({ permissions: [] }))), SIGNED_IN);
  });

  it('adds adminMessage for read:admin-messages, and AdminStats only for read:admin-stats', async () => {
    assert.deepEqual(shape(await introspect(h, await h.token({ permissions: [ADMIN] }))), ADMIN_MESSAGES);
    const stats = shape(await introspect(h, await h.token({ permissions: [STATS] })));
    assert.deepEqual(stats, [...SIGNED_IN, ...ADMIN_STATS_FIELDS, 'Query.messageCount'].sort());
    const both = shape(await introspect(h, await h.token({ permissions: [ADMIN, STATS] })));
    assert.deepEqual(both, [...ADMIN_MESSAGES, ...ADMIN_STATS_FIELDS, 'AdminStats.adminMessageCount'].sort());
  });

  it("answers __type for a type the caller cannot see with null", async () => {
    const response = await h.graphql('{ __type(name: "AdminStats") { name } }', await h.token({ permissions: [ADMIN] }));
    assert.deepEqual(response.body, { data: { __type: null } });
    const granted = await h.graphql('{ __type(name: "AdminStats") { name } }', await h.token({ permissions: [STATS] }));
    assert.deepEqual(granted.body, { data: { __type: { name: 'AdminStats' } } });
  });

  it('refuses introspection mixed with other fields, which would run on the full schema', async () => {
    const response = await h.graphql('{ publicMessage { text } __schema { queryType { name } } }');
    assert.equal(response.status, 400);
    assert.equal(response.body.errors?.[0]?.extensions?.['code'], 'BAD_REQUEST');
  });

  it('serves the same view as /schema.graphql, without the permission registry', async () => {
    const sdl = async (token?: string) => {
      const response = await fetch(`${h.url}/schema.graphql`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      assert.equal(response.status, 200);
      return response.text();
    };
    const anonymous = await sdl();
    assert.deepEqual(shape(buildSdl(anonymous)), ANONYMOUS);
    assert.doesNotMatch(anonymous, /read:admin/);
    assert.match(anonymous, /^schema {$/m);
    assert.deepEqual(shape(buildSdl(await sdl(await h.token({ permissions: [ADMIN] })))), ADMIN_MESSAGES);
    const refused = await fetch(`${h.url}/schema.graphql`, { headers: { authorization: 'Bearer not.a.jwt' } });
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as { message: string }).message, 'Bad credentials');
  });

  it('answers introspection over the WebSocket from the same view', async () => {
    const ask = (token?: string) => firstResult(h.url, { query: '{ __type(name: "Query") { fields { name } } }' }, token);
    const names = (result: Awaited<ReturnType<typeof ask>>) => (result?.data?.['__type'] as { fields: Array<{ name: string }> }).fields.map((f) => f.name);
    assert.deepEqual(names(await ask()), ['publicMessage', 'reports', 'featured']);
    assert.ok(names(await ask(await h.token({ permissions: [ADMIN] }))).includes('adminMessage'));
  });

  it('still runs ordinary operations as before', async () => {
    const response = await h.graphql('{ publicMessage { text } adminMessage { text } }');
    assert.deepEqual(response.body.data, { publicMessage: { text: 'This is a public message.' }, adminMessage: null });
  });
});

describe('the per-caller view cache', () => {
  it('keeps one view per set of the permissions the rules name, whatever else a token carries', () => {
    const viewOf = callerViews(buildSchema());
    const principal = (permissions: string[]) => ({ issuer: 'https://issuer.example/', subject: 'x', permissions: new Set(permissions), expiresAt: 0, notBefore: undefined });
    assert.equal(viewOf(principal([ADMIN])), viewOf(principal([ADMIN, 'read:messages', 'write:anything'])));
    assert.notEqual(viewOf(principal([ADMIN])), viewOf(principal([])));
    assert.notEqual(viewOf(principal([])), viewOf(null));
    assert.equal(viewOf(null), viewOf(null));
  });
});
