import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse, Kind } from 'graphql';
import { ACCESS_SNAPSHOT_FILE, accessSnapshot } from '../../src/tooling/access-matrix.js';
import { accessRules } from '../../src/directives/access-rule.js';
import { ROUTER_SCHEMA_FILE, toRouterSchema } from '../../src/tooling/router-export.js';
import { buildSchema } from '../../src/graphql/schema.js';
import { finished, runScript } from '../helpers/process.js';

const schema = buildSchema();

describe('the access matrix', () => {
  it('matches the committed authz.snapshot.json, fields and SPA operations (accept a change on purpose with `npm run authz -- --update`)', () => {
    assert.equal(accessSnapshot(schema), readFileSync(ACCESS_SNAPSHOT_FILE, 'utf8'),
      'who can reach what has changed: review `npm run authz`, then accept it with `npm run authz -- --update`');
  });

  it('lists every field of every object type, and nothing else', () => {
    const fields = accessRules(schema).map((rule) => rule.field);
    assert.ok(fields.includes('AdminStats.adminMessageCount') && fields.includes('Query.publicMessage'));
    assert.ok(!fields.some((field) => field.startsWith('Report.') || field.startsWith('__')));
  });

  it('prints a table from `npm run authz`, and the snapshot JSON with --json', async () => {
    const table = await finished(runScript('scripts/authz.ts', [], {}));
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^FIELD +REQUIRES +FROM$/m);
    assert.match(table.stdout, /^Query\.adminMessage +read:admin-messages +Query\.adminMessage$/m);
    assert.match(table.stdout, /^AdminStats\.adminMessageCount +read:admin-stats AND read:admin-messages +AdminStats, AdminStats\.adminMessageCount$/m);
    assert.match(table.stdout, /^Query\.messageCount +read:admin-messages OR read:admin-stats +Query\.messageCount$/m);
    assert.match(table.stdout, /^Note\.body +policy:noteOwnerOrAdmin +Note\.body$/m);
    assert.match(table.stdout, /^Subscription\.adminMessageFeed +read:admin-messages +Subscription\.adminMessageFeed$/m);
    const json = await finished(runScript('scripts/authz.ts', ['--json'], {}));
    assert.equal(json.stdout, readFileSync(ACCESS_SNAPSHOT_FILE, 'utf8'));
    // Every field counted once, in exactly one kind, whatever fields the schema has today.
    const summary = /^(\d+) fields: (\d+) public, (\d+) authenticated, (\d+) need permissions, (\d+) decided by policies$/m.exec(table.stdout);
    assert.ok(summary, table.stdout);
    const [total, ...kinds] = summary.slice(1).map(Number);
    assert.equal(total, (JSON.parse(json.stdout) as { fields: unknown[] }).fields.length);
    assert.equal(kinds.reduce((sum, n) => sum + n, 0), total);
    assert.ok(kinds.every((n) => n > 0), 'the example schema has every kind of access');
  });
});

describe('npm run explain', () => {
  it('says which alternatives failed and which fields a policy decides, honouring @include with --variables', async () => {
    const denied = await finished(runScript('scripts/explain.ts', ['--query', '{ messageCount notes { body } }', '--permissions', 'read:messages'], {}));
    assert.equal(denied.code, 0, denied.stderr);
    assert.equal(denied.stdout, [
      'messageCount: FORBIDDEN by Query.messageCount; every alternative failed: read:admin-messages (missing read:admin-messages) OR read:admin-stats (missing read:admin-stats)',
      'notes.body: decided at run time by policy:noteOwnerOrAdmin on Note.body',
      '',
    ].join('\n'));
    const query = 'query($on: Boolean!) { adminMessage @include(if: $on) { text } }';
    const skipped = await finished(runScript('scripts/explain.ts', ['--anonymous', '--query', query, '--variables', '{"on":false}'], {}));
    assert.equal(skipped.stdout, 'Nothing selected would be denied.\n');
    const invalid = await finished(runScript('scripts/explain.ts', ['--query', '{ nope }'], {}));
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /Cannot query field "nope"/);
  });
});

describe('the router export', () => {
  const exported = toRouterSchema(schema);

  it('matches the committed federation/schema.graphql (refresh it with `npm run export:router`)', () => {
    assert.equal(exported, readFileSync(ROUTER_SCHEMA_FILE, 'utf8'));
  });

  it('maps @auth to @authenticated and @hasPermission to one AND-group of @requiresScopes, field by field', () => {
    assert.match(exported, /^ {2}protectedMessage: Message @authenticated$/m);
    assert.match(exported, /^ {2}adminMessage: Message @requiresScopes\(scopes: \[\["read:admin-messages"\]\]\)$/m);
    assert.match(exported, /^ {2}adminMessageCount: Int @requiresScopes\(scopes: \[\["read:admin-stats", "read:admin-messages"\]\]\)$/m);
    assert.match(exported, /^ {2}owner: String @authenticated$/m);
    assert.match(exported, /^extend schema @link\(url: "https:\/\/specs\.apollo\.dev\/federation\/v2\.6", import: \["@authenticated", "@requiresScopes", "@policy"\]\)$/m);
  });

  it('maps any-of to the OR of @requiresScopes, and a policy to @policy', () => {
    assert.match(exported, /^ {2}messageCount: Int @requiresScopes\(scopes: \[\["read:admin-messages"\], \["read:admin-stats"\]\]\)$/m);
    assert.match(exported, /^ {2}body: String @policy\(policies: \[\["noteOwnerOrAdmin"\]\]\)$/m);
    assert.match(exported, /^ {2}adminMessageFeed: Message @requiresScopes\(scopes: \[\["read:admin-messages"\]\]\)$/m);
  });

  it('carries none of our own directives, and no rule on an interface, where federation refuses them', () => {
    assert.doesNotMatch(exported, /@(auth|hasPermission|public|knownPermissions)\b|directive @/);
    const document = parse(exported);
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.INTERFACE_TYPE_DEFINITION) continue;
      assert.ok(definition.fields?.every((field) => (field.directives ?? []).length === 0), definition.name.value);
    }
  });

  it('puts on each object field the same rule as the access matrix', () => {
    const document = parse(exported);
    for (const rule of accessRules(schema)) {
      const [typeName, fieldName] = rule.field.split('.');
      const type = document.definitions.find((d) => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === typeName);
      assert.ok(type?.kind === Kind.OBJECT_TYPE_DEFINITION);
      const directives = type.fields?.find((f) => f.name.value === fieldName)?.directives?.map((d) => d.name.value) ?? [];
      const expected = [...{ public: [], authenticated: ['authenticated'], permissions: ['requiresScopes'] }[rule.access], ...(rule.policies.length > 0 ? ['policy'] : [])];
      assert.deepEqual(directives, expected, rule.field);
    }
  });
});
