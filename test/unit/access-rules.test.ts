import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Source } from 'graphql';
import { accessRuleOf } from '../../src/directives/access-rule.js';
import { AccessRuleError } from '../../src/directives/lint-access-rules.js';
import { buildSchema, readSchemaSource } from '../../src/graphql/schema.js';
import { denials, principal, run } from '../helpers/run-schema.js';

/** The project's schema with `change` applied to its text, so that each case differs by one edit. */
function edited(from: string, to: string): Source {
  const source = readSchemaSource();
  assert.ok(source.body.includes(from), `schema.graphql no longer contains ${from}`);
  return new Source(source.body.replace(from, to), source.name);
}

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
    ['a typo in a permission', edited(ADMIN_FIELD, 'adminMessage: Message @hasPermission(name: "read:admin-mesages")'), /^Query\.adminMessage .*"read:admin-mesages"\) is not in @knownPermissions \(read:admin-messages, read:admin-stats\)$/],
    ['a typo on a type', edited('AdminStats implements Report @hasPermission(name: "read:admin-stats")', 'AdminStats implements Report @hasPermission(name: "read:adminstats")'), /^AdminStats \(schema\.graphql:\d+:\d+\): .*"read:adminstats"\) is not in @knownPermissions/],
    ['a typo on an interface field', edited('owner: String @auth', 'owner: String @hasPermission(name: "raed:admin-stats")'), /^Report\.owner .*"raed:admin-stats"/],
    ['a malformed name in the registry', edited('names: ["read:admin-messages", "read:admin-stats"]', 'names: ["read:admin-messages", "read:admin-stats", "bad\\"name"]'), /^schema @knownPermissions \(schema\.graphql:\d+:\d+\): has a malformed permission name "bad"name"/],
    ['a name listed twice', edited('names: ["read:admin-messages", "read:admin-stats"]', 'names: ["read:admin-messages", "read:admin-stats", "read:admin-stats"]'), /"read:admin-stats" is listed twice$/],
    ['@public on a field whose type has a rule', edited('uptimeSeconds: Int', 'uptimeSeconds: Int @public'), /^AdminStats\.uptimeSeconds \(schema\.graphql:\d+:\d+\): @public cannot loosen the rule from AdminStats/],
    ['@public on a field whose interface field has a rule', edited('  owner: String\n  messageCount', '  owner: String @public\n  messageCount'), /^MessageReport\.owner .*@public cannot loosen the rule from Report\.owner/],
    ['@public next to @auth', edited('protectedMessage: Message @auth', 'protectedMessage: Message @auth @public'), /^Query\.protectedMessage .*@public cannot loosen/],
  ];
  for (const [name, source, problem] of cases) {
    it(`refuses ${name}, naming the place`, () => buildFails(source, problem));
  }

  it('refuses @hasPermission when the schema declares no @knownPermissions', () => {
    const source = edited('schema @knownPermissions(names: ["read:admin-messages", "read:admin-stats"]) {', 'schema {');
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
      buildFails(unmarked, /^Query\.reports \(schema\.graphql:\d+:\d+\): needs @auth, @hasPermission or @public, since AUTHZ_DEFAULT=deny$/, { denyByDefault: true }));
    it('lets the same schema build by default, the unmarked field public', () => {
      assert.deepEqual(accessRuleOf(buildSchema(unmarked), 'Query', 'reports'), { field: 'Query.reports', access: 'public', permissions: [], from: [] });
    });
    it('leaves fields of other types alone, as their rules come from types, interfaces and the fields that lead to them', () => {
      const schema = buildSchema(edited('  messageCount: Int', '  messageCount: Int\n  secondCount: Int'), { denyByDefault: true });
      assert.deepEqual(accessRuleOf(schema, 'MessageReport', 'secondCount'), { field: 'MessageReport.secondCount', access: 'public', permissions: [], from: [] });
    });
  });
});

describe('effective rules', () => {
  const schema = buildSchema();

  it('adds a type rule and a field rule together (AND), so a field can tighten but not loosen', () => {
    assert.deepEqual(accessRuleOf(schema, 'AdminStats', 'adminMessageCount').permissions, ['read:admin-stats', 'read:admin-messages']);
    assert.deepEqual(accessRuleOf(schema, 'AdminStats', 'title').permissions, ['read:admin-stats']);
  });

  it('adds an interface field rule to every implementation', () => {
    assert.equal(accessRuleOf(schema, 'MessageReport', 'owner').access, 'authenticated');
    assert.deepEqual(accessRuleOf(schema, 'AdminStats', 'owner').from, ['Report.owner', 'AdminStats']);
  });

  it('treats a repeated @hasPermission as AND, and names a permission once however often it is inherited', () => {
    const source = edited('adminMessage: Message @hasPermission(name: "read:admin-messages")', 'adminMessage: Message @hasPermission(name: "read:admin-messages") @hasPermission(name: "read:admin-stats") @hasPermission(name: "read:admin-messages")');
    assert.deepEqual(accessRuleOf(buildSchema(source), 'Query', 'adminMessage').permissions, ['read:admin-messages', 'read:admin-stats']);
  });
});

describe('rules enforced at run time on the project schema', () => {
  const schema = buildSchema();
  const STATS = '{ reports { ... on AdminStats { title adminMessageCount } } }';

  it("needs both the type's and the field's permission for a tightened field", async () => {
    assert.deepEqual(denials(await run(schema, STATS, principal('read:admin-stats'))), ['reports.1.adminMessageCount FORBIDDEN']);
    assert.deepEqual(denials(await run(schema, STATS, principal('read:admin-messages'))), ['reports.1.title FORBIDDEN', 'reports.1.adminMessageCount FORBIDDEN']);
    assert.deepEqual(denials(await run(schema, STATS, principal('read:admin-stats', 'read:admin-messages'))), []);
  });

  it('applies an interface field rule to an implementation that says nothing', async () => {
    const anonymous = await run(schema, '{ reports { title owner } }', null);
    assert.deepEqual(denials(anonymous), ['reports.0.owner UNAUTHENTICATED', 'reports.1.title UNAUTHENTICATED', 'reports.1.owner UNAUTHENTICATED']);
    const signedIn = await run(schema, '{ reports { title owner } }', principal());
    assert.deepEqual(signedIn.data?.['reports'], [{ title: 'Messages', owner: 'messages-team' }, { title: null, owner: null }]);
  });

  it("keeps a concrete type's rule whichever way it is reached: interface, union or fragment", async () => {
    for (const query of [
      '{ reports { title } }',
      '{ featured { ... on AdminStats { title } } }',
      '{ featured { ...F } } fragment F on Report { title }',
      '{ reports { ... on AdminStats { title } } }',
    ]) {
      const { errors } = await run(schema, query, principal('read:admin-messages'));
      assert.deepEqual(errors.map((e) => e.code), ['FORBIDDEN'], query);
    }
    const granted = await run(schema, '{ featured { ... on AdminStats { title } } }', principal('read:admin-stats'));
    assert.deepEqual(granted, { data: { featured: [{}, { title: 'Administration' }] }, errors: [] });
  });
});
