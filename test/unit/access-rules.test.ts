import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { graphql, Source } from 'graphql';
import { accessRuleOf } from '../../src/directives/access-rule.js';
import { AccessRuleError } from '../../src/directives/lint-access-rules.js';
import { buildSchema, readSchemaSource } from '../../src/graphql/schema.js';
import { denials, principal, run } from '../helpers/run-schema.js';

/** The project's schema with `change` applied to its text, so that each case differs by one edit. */
function edited(from: string | RegExp, to: string): Source {
  const source = readSchemaSource();
  assert.ok(typeof from === 'string' ? source.body.includes(from) : from.test(source.body), `schema.graphql no longer contains ${String(from)}`);
  return new Source(source.body.replace(from, to), source.name);
}

/** The registry's list, whatever permissions a reader has added to it since. */
const REGISTRY = /names: \["read:admin-messages", "read:admin-stats"/;

function buildFails(source: Source, problem: RegExp, options = {}) {
  assert.throws(() => buildSchema(source, options), (error: unknown) => {
    assert.ok(error instanceof AccessRuleError, String(error));
    assert.equal(error.problems.length, 1, error.message);
    assert.match(error.problems[0]!, problem);
    return true;
  });
}

describe('start-up lint of the access rules', () => {
  const ADMIN_FIELD = 'adminMessage: Message @hasPermission(name: "read:admin-messages")';
  const cases: Array<[string, Source, RegExp]> = [
    ['an empty permission name', edited(ADMIN_FIELD, 'adminMessage: Message @hasPermission(name: "")'), /^Query\.adminMessage \(schema\.graphql:\d+:\d+\): @hasPermission has an empty permission name$/],
    ['a permission name with a space', edited(ADMIN_FIELD, 'adminMessage: Message @hasPermission(name: "read admin")'), /^Query\.adminMessage \(schema\.graphql:\d+:\d+\): @hasPermission has a malformed permission name "read admin"/],
    ['a typo in a permission', edited(ADMIN_FIELD, 'adminMessage: Message @hasPermission(name: "read:admin-mesages")'), /^Query\.adminMessage .*"read:admin-mesages"\) is not in @knownPermissions \(read:admin-messages, read:admin-stats[^)]*\)$/],
    ['a typo on a type', edited('AdminStats implements Report @hasPermission(name: "read:admin-stats")', 'AdminStats implements Report @hasPermission(name: "read:adminstats")'), /^AdminStats \(schema\.graphql:\d+:\d+\): .*"read:adminstats"\) is not in @knownPermissions/],
    ['a typo on an interface field', edited('owner: String @auth', 'owner: String @hasPermission(name: "raed:admin-stats")'), /^Report\.owner .*"raed:admin-stats"/],
    ['a malformed name in the registry', edited(REGISTRY, 'names: ["bad\\"name", "read:admin-messages", "read:admin-stats"'), /^schema @knownPermissions \(schema\.graphql:\d+:\d+\): has a malformed permission name "bad"name"/],
    ['a name listed twice', edited(REGISTRY, 'names: ["read:admin-stats", "read:admin-messages", "read:admin-stats"'), /"read:admin-stats" is listed twice$/],
    ['@public on a field whose type has a rule', edited('uptimeSeconds: Int', 'uptimeSeconds: Int @public'), /^AdminStats\.uptimeSeconds \(schema\.graphql:\d+:\d+\): @public cannot loosen the rule from AdminStats/],
    ['@public on a field whose interface field has a rule', edited('  owner: String\n  messageCount', '  owner: String @public\n  messageCount'), /^MessageReport\.owner .*@public cannot loosen the rule from Report\.owner/],
    ['@public next to @auth', edited('protectedMessage: Message @auth', 'protectedMessage: Message @auth @public'), /^Query\.protectedMessage .*@public cannot loosen/],
  ];
  for (const [name, source, problem] of cases) {
    it(`refuses ${name}, naming the place`, () => buildFails(source, problem));
  }

  it('refuses @hasPermission when the schema declares no @knownPermissions', () => {
    const source = edited(/schema @knownPermissions\(names: \[[^\]]*\]\) \{/, 'schema {');
    assert.throws(() => buildSchema(source), (error: unknown) => {
      assert.ok(error instanceof AccessRuleError);
      assert.ok(error.problems.length >= 3);
      assert.ok(error.problems.every((p) => /but the schema declares no @knownPermissions$/.test(p)), error.message);
      return true;
    });
  });

  it('lists every problem at once, one a line', () => {
    const source = edited(ADMIN_FIELD, 'adminMessage: Message @hasPermission(name: "x") @hasPermission(name: "")');
    assert.throws(() => buildSchema(source), /^AccessRuleError: The schema's access rules are not valid:\n {2}Query\.adminMessage .*"x"\) is not in @knownPermissions.*\n {2}Query\.adminMessage .*empty permission name$/);
  });

  it('builds the project schema in both modes, with its guards in place', async () => {
    for (const options of [{}, { denyByDefault: true }]) {
      const schema = buildSchema(undefined, options);
      const anonymous = await run(schema, '{ publicMessage { text } protectedMessage { text } adminMessage { text } }', null);
      assert.deepEqual(anonymous.data?.['publicMessage'], { text: 'This is a public message.' }, JSON.stringify(options));
      assert.deepEqual(denials(anonymous), ['protectedMessage UNAUTHENTICATED', 'adminMessage UNAUTHENTICATED'], JSON.stringify(options));
    }
  });

  describe('AUTHZ_DEFAULT=deny', () => {
    const unmarked = edited('reports: [Report!]! @public', 'reports: [Report!]!');
    it('refuses a root field with no @auth, @hasPermission or @public', () =>
      buildFails(unmarked, /^Query\.reports \(schema\.graphql:\d+:\d+\): needs @auth, @hasPermission, @requiresScopes, @policy or @public, since AUTHZ_DEFAULT=deny$/, { denyByDefault: true }));
    it('lets the same schema build by default, the unmarked field public', () => {
      assert.deepEqual(accessRuleOf(buildSchema(unmarked), 'Query', 'reports'), { field: 'Query.reports', access: 'public', anyOf: [], policies: [], from: [] });
    });
    it('leaves fields of other types alone, as their rules come from types, interfaces and the fields that lead to them', () => {
      const schema = buildSchema(edited('  messageCount: Int', '  messageCount: Int\n  secondCount: Int'), { denyByDefault: true });
      assert.deepEqual(accessRuleOf(schema, 'MessageReport', 'secondCount'), { field: 'MessageReport.secondCount', access: 'public', anyOf: [], policies: [], from: [] });
    });
  });
});

describe('effective rules', () => {
  const schema = buildSchema();

  it('adds a type rule and a field rule together (AND), so a field can tighten but not loosen', () => {
    assert.deepEqual(accessRuleOf(schema, 'AdminStats', 'adminMessageCount').anyOf, [['read:admin-stats', 'read:admin-messages']]);
    assert.deepEqual(accessRuleOf(schema, 'AdminStats', 'title').anyOf, [['read:admin-stats']]);
  });

  it('adds an interface field rule to every implementation', () => {
    assert.equal(accessRuleOf(schema, 'MessageReport', 'owner').access, 'authenticated');
    assert.deepEqual(accessRuleOf(schema, 'AdminStats', 'owner').from, ['Report.owner', 'AdminStats']);
  });

  it('treats a repeated @hasPermission as AND, and names a permission once however often it is inherited', () => {
    const source = edited('adminMessage: Message @hasPermission(name: "read:admin-messages")', 'adminMessage: Message @hasPermission(name: "read:admin-messages") @hasPermission(name: "read:admin-stats") @hasPermission(name: "read:admin-messages")');
    assert.deepEqual(accessRuleOf(buildSchema(source), 'Query', 'adminMessage').anyOf, [['read:admin-messages', 'read:admin-stats']]);
  });
});

describe('rules enforced at run time on the project schema', () => {
  const schema = buildSchema();
  const STATS = '{ reports { ... on AdminStats { title adminMessageCount } } }';

  it("needs both the type's and the field's permission for a tightened field", async () => {
    assert.deepEqual(denials(await run(schema, STATS, principal('read:admin-stats'))), ['reports.1.adminMessageCount FORBIDDEN']);
    // Without the type's permission the AdminStats object is left out of the list altogether.
    assert.deepEqual(await run(schema, STATS, principal('read:admin-messages')), { data: { reports: [{}] }, errors: [] });
    assert.deepEqual(denials(await run(schema, STATS, principal('read:admin-stats', 'read:admin-messages'))), []);
  });

  it('applies an interface field rule to an implementation that says nothing', async () => {
    const anonymous = await run(schema, '{ reports { title owner } }', null);
    assert.deepEqual(denials(anonymous), ['reports.0.owner UNAUTHENTICATED']);
    const signedIn = await run(schema, '{ reports { title owner } }', principal());
    assert.deepEqual(signedIn.data?.['reports'], [{ title: 'Messages', owner: 'messages-team' }]);
  });

  it("keeps a concrete type's rule whichever way it is reached: interface, union or fragment", async () => {
    for (const query of [
      '{ reports { title } }',
      '{ featured { ... on AdminStats { title } } }',
      '{ featured { ...F } } fragment F on Report { title }',
      '{ reports { ... on AdminStats { title } } }',
    ]) {
      const { data, errors } = await run(schema, query, principal('read:admin-messages'));
      assert.deepEqual(errors, [], query);
      assert.doesNotMatch(JSON.stringify(data), /Administration/, query);
      assert.equal((Object.values(data!)[0] as unknown[]).length, 1, query);
    }
    const granted = await run(schema, '{ featured { ... on AdminStats { title } } }', principal('read:admin-stats'));
    assert.deepEqual(granted, { data: { featured: [{}, { title: 'Administration' }] }, errors: [] });
  });
});

describe('any-of and policies in the lint and the rules', () => {
  const ANY_OF = 'messageCount: Int @requiresScopes(scopes: [["read:admin-messages"], ["read:admin-stats"]])';

  it('checks every name of @requiresScopes against @knownPermissions', () => {
    buildFails(edited(ANY_OF, 'messageCount: Int @requiresScopes(scopes: [["read:admin-messages"], ["read:admin-stat"]])'),
      /^Query\.messageCount \(schema\.graphql:\d+:\d+\): @requiresScopes "read:admin-stat" is not in @knownPermissions/);
    buildFails(edited(ANY_OF, 'messageCount: Int @requiresScopes(scopes: [["read:admin-messages"], []])'), /@requiresScopes has an empty alternative/);
  });

  it('refuses to build when @policy names an unregistered policy, and warns about unused ones', () => {
    buildFails(edited('@policy(name: "noteOwnerOrAdmin")', '@policy(name: "noteOwner")'), /^@policy\(name: "noteOwner"\) names no policy registered in src\/policies\.ts \(noteOwnerOrAdmin\)$/);
    const warnings: string[] = [];
    buildSchema(undefined, { policies: { noteOwnerOrAdmin: () => true, spare: () => true }, onWarning: (w) => warnings.push(w) });
    assert.deepEqual(warnings, ['policy "spare" is registered in src/policies.ts but no field uses it']);
  });

  it('refuses @public where a policy applies', () => {
    buildFails(edited('body: String @policy(name: "noteOwnerOrAdmin")', 'body: String @policy(name: "noteOwnerOrAdmin") @public'), /^Note\.body .*@public cannot loosen the rule from Note\.body$/);
  });

  it('ANDs @hasPermission with the alternatives of @requiresScopes, dropping alternatives another one covers', () => {
    const source = edited(ANY_OF, 'messageCount: Int @hasPermission(name: "read:admin-stats") @requiresScopes(scopes: [["read:admin-messages"], ["read:admin-stats"]])');
    assert.deepEqual(accessRuleOf(buildSchema(source), 'Query', 'messageCount').anyOf, [['read:admin-stats']]);
    const both = edited(ANY_OF, 'messageCount: Int @hasPermission(name: "read:admin-stats") @requiresScopes(scopes: [["read:admin-messages"], ["x:y", "read:admin-messages"]])');
    const known = new Source(both.body.replace('names: ["read:admin-messages"', 'names: ["x:y", "read:admin-messages"'), both.name);
    assert.deepEqual(accessRuleOf(buildSchema(known), 'Query', 'messageCount').anyOf, [['read:admin-stats', 'read:admin-messages']]);
  });
});

describe('any-of, policies and guarded objects in lists, at run time', () => {
  const schema = buildSchema();

  it('grants an any-of field to either alternative and denies it to neither', async () => {
    assert.deepEqual(denials(await run(schema, '{ messageCount }', principal('read:admin-stats'))), []);
    assert.deepEqual(denials(await run(schema, '{ messageCount }', principal('read:admin-messages'))), []);
    assert.deepEqual(denials(await run(schema, '{ messageCount }', principal('read:messages'))), ['messageCount FORBIDDEN']);
  });

  it("lets the owner and administrators read a note's body, nobody else", async () => {
    const owner = { ...principal(), subject: 'auth0|tester' };
    assert.deepEqual((await run(schema, '{ notes { body } }', owner)).data, { notes: [{ body: 'Ship on Friday.' }, { body: null }] });
    assert.deepEqual(denials(await run(schema, '{ notes { body } }', owner)), ['notes.1.body FORBIDDEN']);
    const admin = await run(schema, '{ notes { body } }', principal('read:admin-messages'));
    assert.deepEqual(denials(admin), []);
  });

  it('waits for an async policy', async () => {
    const slowAllow = buildSchema(undefined, { policies: { noteOwnerOrAdmin: () => new Promise<boolean>((resolve) => setImmediate(resolve, true)) } });
    const result = await run(slowAllow, '{ notes { body } }', principal());
    assert.deepEqual([result.data, denials(result)], [{ notes: [{ body: 'Ship on Friday.' }, { body: 'Rotate the signing key monthly.' }] }, []]);
  });

  it('denies (never fails) when a policy throws or does not answer in time, and logs it', async () => {
    const logged: string[] = [];
    const log = { error: (_: unknown, message: string) => logged.push(message) };
    const failing = buildSchema(undefined, { policies: { noteOwnerOrAdmin: () => { throw new Error('database down'); } } });
    const thrown = await graphql({ schema: failing, source: '{ notes { title body } }', contextValue: { principal: principal(), log } });
    assert.deepEqual(thrown.errors?.map((e) => e.extensions['code']), ['FORBIDDEN', 'FORBIDDEN']);
    assert.deepEqual(JSON.parse(JSON.stringify(thrown.data)), { notes: [{ title: 'Release plan', body: null }, { title: 'Key rotation', body: null }] });
    const hanging = buildSchema(undefined, { policies: { noteOwnerOrAdmin: () => new Promise<boolean>(() => {}) } });
    const timedOut = await graphql({ schema: hanging, source: '{ notes { body } }', contextValue: { principal: principal(), log } });
    assert.deepEqual(timedOut.errors?.map((e) => e.extensions['code']), ['FORBIDDEN', 'FORBIDDEN']);
    assert.deepEqual(logged, ['policy failed; denied', 'policy failed; denied', 'policy timed out; denied', 'policy timed out; denied']);
  });

  it('leaves out of a list the objects whose own type rule denies the caller', async () => {
    const anonymous = await run(schema, '{ reports { __typename } featured { __typename } }', null);
    assert.deepEqual(anonymous.data, { reports: [{ __typename: 'MessageReport' }], featured: [{ __typename: 'Message' }] });
    const stats = await run(schema, '{ reports { __typename } }', principal('read:admin-stats'));
    assert.deepEqual(stats.data, { reports: [{ __typename: 'MessageReport' }, { __typename: 'AdminStats' }] });
  });
});
