import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { AUDIT_LIST_CAP } from '../../src/graphql/logging-plugin.js';
import { buildSchema } from '../../src/graphql/schema.js';
import { ADMIN, startHarness, type Harness } from '../helpers/harness.js';
import { startLoggedHarness, type CapturedLogs } from '../helpers/log-capture.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('health probes', () => {
  it('are live and ready once the keys are fetched', async () => {
    const h = await startHarness();
    try {
      await h.graphql('{ protectedMessage { text } }', await h.token());
      const live = await fetch(`${h.url}/healthz`);
      assert.equal(live.status, 200);
      assert.deepEqual(await live.json(), { status: 'ok' });
      const ready = await fetch(`${h.url}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(await ready.json(), { status: 'ready' });
    } finally {
      await h.close();
    }
  });

  it('are live but not ready while the key set cannot be fetched, and ready again once a fetch may be tried', async (t) => {
    const h = await startHarness({ JWKS_RETRY_AFTER_FAILURE_MS: '3000' }, { fault: 'status-500' });
    try {
      // The retry pause runs on Date.now(): moved forward here rather than waited for.
      t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
      await h.graphql('{ protectedMessage { text } }', await h.token());
      assert.equal((await fetch(`${h.url}/healthz`)).status, 200);
      const notReady = await fetch(`${h.url}/readyz`);
      assert.equal(notReady.status, 503);
      assert.deepEqual(await notReady.json(), { message: 'Unable to verify credentials', unavailableIssuers: [h.idp.issuer] });

      t.mock.timers.tick(2_000);
      assert.equal((await fetch(`${h.url}/readyz`)).status, 503, 'still within the retry pause');
      t.mock.timers.tick(1_000);
      assert.equal((await fetch(`${h.url}/readyz`)).status, 200);
    } finally {
      await h.close();
    }
  });
});

describe('structured logs', () => {
  let h: Harness;
  let logs: CapturedLogs;
  before(async () => {
    ({ h, logs } = await startLoggedHarness());
  });
  after(() => h.close());

  const linesOf = (reqId: string | null) => logs.lines.filter((line) => line['reqId'] === reqId);

  it('writes a JSON line per request with a request id, also sent back to the client', async () => {
    const { status, headers } = await h.graphql('{ publicMessage { text } }');
    assert.equal(status, 200);
    const id = headers.get('x-request-id') ?? '';
    assert.match(id, UUID);
    const [line] = linesOf(id);
    assert.equal(line?.['msg'], 'request completed');
    assert.deepEqual((line?.['res'] as { statusCode: number }).statusCode, 200);
    assert.equal((line?.['req'] as { method: string }).method, 'POST');
  });

  it("keeps its own request id as reqId, and records a caller's sane x-request-id apart", async () => {
    const kept = await h.graphql('{ protectedMessage { text } }', undefined, { 'x-request-id': 'edge-7f3a.42:1' });
    const own = kept.headers.get('x-request-id') ?? '';
    assert.match(own, UUID);
    assert.equal(linesOf('edge-7f3a.42:1').length, 0, 'a caller cannot make its lines pose as another request');
    const lines = linesOf(own);
    assert.equal(lines.length, 2, 'the audit line and the request line');
    assert.deepEqual(lines.map((line) => line['callerRequestId']), ['edge-7f3a.42:1', 'edge-7f3a.42:1']);

    for (const hostile of ['a'.repeat(200), 'id with spaces', '{"level":60}', 'x\tforged']) {
      const replaced = await h.graphql('{ publicMessage { text } }', undefined, { 'x-request-id': hostile });
      const [line] = linesOf(replaced.headers.get('x-request-id'));
      assert.equal(line?.['callerRequestId'], undefined, hostile);
    }
  });

  it('logs the path of a request, never its query string', async () => {
    const variables = encodeURIComponent(JSON.stringify({ secret: 'hunter2' }));
    const response = await fetch(`${h.url}/graphql?query=${encodeURIComponent('{ publicMessage { text } }')}&variables=${variables}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    assert.equal(response.status, 200);
    const [line] = linesOf(response.headers.get('x-request-id'));
    assert.equal((line?.['req'] as { url: string }).url, '/graphql');
    assert.doesNotMatch(logs.raw(), /hunter2/);
  });

  it('writes one audit line per request, listing the denied fields: subject, field, missing permission, count', async () => {
    const forbidden = await h.graphql(
      '{ a: adminMessage { text } b: adminMessage { text } protectedMessage { text } }',
      await h.token({ sub: 'auth0|alice', permissions: ['read:messages'] }),
    );
    const audits = linesOf(forbidden.headers.get('x-request-id')).filter((line) => line['audit'] === 'access-denied');
    assert.equal(audits.length, 1);
    assert.deepEqual(
      { subject: audits[0]?.['subject'], denied: audits[0]?.['denied'], deniedCount: audits[0]?.['deniedCount'] },
      { subject: 'auth0|alice', denied: [{ field: 'Query.adminMessage', code: 'FORBIDDEN', missing: [ADMIN], count: 2 }], deniedCount: 2 },
    );

    const anonymous = await h.graphql('{ protectedMessage { text } }');
    const [audit] = linesOf(anonymous.headers.get('x-request-id')).filter((line) => line['audit']);
    assert.deepEqual([audit?.['subject'], audit?.['denied']], [null, [{ field: 'Query.protectedMessage', code: 'UNAUTHENTICATED', missing: [], count: 1 }]]);

    const allowed = await h.graphql('{ adminMessage { text } }', await h.token({ permissions: [ADMIN] }));
    assert.deepEqual(linesOf(allowed.headers.get('x-request-id')).filter((line) => line['audit']), []);
  });

  it('puts the request id on every line a request causes, and never a token', async () => {
    const valid = await h.token({ permissions: [ADMIN] });
    const forbidden = await h.token({ permissions: [] });
    const expired = await h.token({ exp: Math.floor(Date.now() / 1000) - 60 });
    await h.graphql('{ adminMessage { text } }', valid);
    await h.graphql('{ adminMessage { text } }', forbidden);
    await h.graphql('{ adminMessage { text } }', expired);
    await h.graphql('{ publicMessage { text } }', undefined, { authorization: 'Basic dXNlcjpwYXNzd29yZA==' });
    await fetch(`${h.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${valid}` }, body: 'x'.repeat(200_000) });

    assert.ok(logs.lines.length >= 5);
    // The start-up line naming the issuer is the app's, not a request's.
    const requestLines = logs.lines.filter((line) => line['msg'] !== 'issuer metadata');
    assert.deepEqual(requestLines.filter((line) => typeof line['reqId'] !== 'string'), []);
    const raw = logs.raw();
    for (const token of [valid, forbidden, expired]) {
      for (const part of token.split('.')) assert.ok(!raw.includes(part), 'no part of a token is logged');
    }
    assert.ok(!raw.includes('dXNlcjpwYXNzd29yZA'));
    assert.doesNotMatch(raw, /authorization/i, 'no header is logged');
  });
});

describe('the audit line of a request denied many fields', () => {
  it(`lists at most ${AUDIT_LIST_CAP} of them, and counts them all`, async () => {
    const fields = Array.from({ length: AUDIT_LIST_CAP + 5 }, (_, i) => `f${i}`);
    const schemaSource = readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8');
    const guarded = `extend type Query { ${fields.map((f) => `${f}: String @hasPermission(name: "${ADMIN}")`).join(' ')} }`;
    const { h, logs } = await startLoggedHarness({}, { schema: buildSchema(`${schemaSource}\n${guarded}`) });
    try {
      const { headers } = await h.graphql(`{ ${fields.join(' ')} }`, await h.token({ permissions: [] }));
      const audits = logs.lines.filter((line) => line['reqId'] === headers.get('x-request-id') && line['audit']);
      assert.equal(audits.length, 1);
      assert.equal((audits[0]?.['denied'] as unknown[]).length, AUDIT_LIST_CAP);
      assert.equal(audits[0]?.['deniedCount'], fields.length);
    } finally {
      await h.close();
    }
  });
});

describe('a failure while building the GraphQL context', () => {
  it('is logged with the request id and the error, and answered 500 without its details', async () => {
    const { h, logs } = await startLoggedHarness();
    try {
      h.app.verifier.verify = () => Promise.reject(new Error('verifier bug: hunter2'));
      const { status, headers, body } = await h.graphql('{ publicMessage { text } }', await h.token());
      assert.equal(status, 500);
      assert.doesNotMatch(JSON.stringify(body), /hunter2/);
      const logged = logs.lines.find((line) => line['msg'] === 'context creation failed');
      assert.equal(logged?.['reqId'], headers.get('x-request-id'));
      assert.match(JSON.stringify(logged?.['err']), /verifier bug: hunter2/);
    } finally {
      await h.close();
    }
  });
});
