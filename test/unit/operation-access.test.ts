import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { buildSchema, readSchemaSource } from '../../src/graphql/schema.js';
import { accessSnapshot, ACCESS_SNAPSHOT_FILE, SPA_MANIFEST_FILE } from '../../src/tooling/access-matrix.js';
import { operationAccess } from '../../src/tooling/operation-access.js';
import { finished, runScript } from '../helpers/process.js';

const schema = buildSchema();
const ADMIN = 'read:admin-messages';
const STATS = 'read:admin-stats';
const access = (body: string) => operationAccess(schema, [{ id: 'op', name: undefined, body }])[0]!;

describe("each operation's access at build time", () => {
  it('is public, authenticated, or the smallest permission sets that run it in full', () => {
    assert.deepEqual(access('query P { publicMessage { text } }'), { operation: 'P', id: 'op', access: 'public', anyOf: [], without: {}, runtime: [] });
    assert.deepEqual(access('{ protectedMessage { text } }').access, 'authenticated');
    assert.deepEqual(access('{ messageCount }').anyOf, [[ADMIN], [STATS]]);
    assert.deepEqual(access('{ messageCount adminMessage { text } }').anyOf, [[ADMIN]]);
  });

  it('says per field what each missing permission denies, and what policies decide at run time', () => {
    const report = access('query Dashboard($on: Boolean!) { adminMessage @include(if: $on) { text } reports { title owner } notes { body } }');
    assert.deepEqual(report.anyOf, [[ADMIN]]);
    assert.deepEqual(report.without, {
      token: ['adminMessage (Query.adminMessage)', 'reports.owner (MessageReport.owner)', 'notes (Query.notes)'],
      [ADMIN]: ['adminMessage (Query.adminMessage)'],
    });
    assert.deepEqual(report.runtime, ['notes.body (Note.body): policy:noteOwnerOrAdmin']);
  });

  it('counts an item a list leaves out for its own type as left out, not denied, as at run time', () => {
    // Without read:admin-stats an AdminStats item is not in the list; with it alone, adminMessageCount is denied.
    assert.deepEqual(access('{ featured { ... on AdminStats { adminMessageCount } } messageCount }').anyOf, [[ADMIN]]);
    assert.equal(access('{ featured { ... on AdminStats { uptimeSeconds } } }').access, 'public');
  });
});

describe('the snapshot of the SPA operations', () => {
  it('records each SPA operation, so a schema change that asks a client for a new permission fails the snapshot test', () => {
    const committed = readFileSync(ACCESS_SNAPSHOT_FILE, 'utf8');
    assert.match(committed, /"operation":"AdminMessage".*"anyOf":\[\["read:admin-messages"\]\]/);
    const tightened = readSchemaSource().body.replace('protectedMessage: Message @auth', 'protectedMessage: Message @hasPermission(name: "read:admin-stats")');
    const changed = accessSnapshot(buildSchema(tightened));
    const line = (text: string) => text.split('\n').find((entry) => entry.includes('"operation":"ProtectedMessage"'));
    assert.notEqual(line(changed), line(committed));
    assert.match(line(changed)!, /"access":"permissions","anyOf":\[\["read:admin-stats"\]\]/);
  });
});

describe('npm run authz -- --documents', () => {
  it('prints each operation of a codegen manifest and of an Apollo manifest', async () => {
    const spa = await finished(runScript('scripts/authz.ts', ['--documents', fileURLToPath(SPA_MANIFEST_FILE)], {}));
    assert.equal(spa.code, 0, spa.stderr);
    assert.match(spa.stdout, /^AdminMessage \(sha256:[0-9a-f]{64}\)\n {2}runs in full with: read:admin-messages\n {2}without a token: denied adminMessage \(Query\.adminMessage\)\n {2}without read:admin-messages: denied adminMessage \(Query\.adminMessage\)$/m);
    assert.match(spa.stdout, /^PublicMessage \(sha256:[0-9a-f]{64}\)\n {2}runs in full with: anyone, without a token$/m);

    const file = join(mkdtempSync(join(tmpdir(), 'authz-')), 'manifest.json');
    const body = 'query Counts { messageCount notes { body } }';
    writeFileSync(file, JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: 'counts', name: 'Counts', type: 'query', body }] }));
    const apollo = await finished(runScript('scripts/authz.ts', ['--documents', file], {}));
    assert.equal(apollo.stdout, [
      'Counts (counts)',
      `  runs in full with: ${ADMIN} OR ${STATS}`,
      '  without a token: denied messageCount (Query.messageCount), notes (Query.notes)',
      `  without ${ADMIN}: denied messageCount (Query.messageCount)`,
      `  without ${STATS}: denied messageCount (Query.messageCount)`,
      '  decided at run time: notes.body (Note.body): policy:noteOwnerOrAdmin',
      '',
    ].join('\n'));
    const json = await finished(runScript('scripts/authz.ts', ['--documents', file, '--json'], {}));
    assert.deepEqual(JSON.parse(json.stdout), operationAccess(schema, [{ id: 'counts', name: 'Counts', body }]));
    const missing = await finished(runScript('scripts/authz.ts', ['--documents', join(file, 'nope')], {}));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^Trusted documents .*nope cannot be read/);
  });
});
