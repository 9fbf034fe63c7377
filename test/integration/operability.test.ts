import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
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

  it('are live but not ready while the key set cannot be fetched, and ready again once a fetch may be tried', async () => {
    const h = await startHarness({ JWKS_RETRY_AFTER_FAILURE_MS: '3000' }, { fault: 'status-500' });
    try {
      await h.graphql('{ protectedMessage { text } }', await h.token());
      assert.equal((await fetch(`${h.url}/healthz`)).status, 200);
      const notReady = await fetch(`${h.url}/readyz`);
      assert.equal(notReady.status, 503);
      assert.deepEqual(await notReady.json(), { message: 'Unable to verify credentials' });

      await sleep(3_100);
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

  it("keeps a caller's sane x-request-id and replaces one that could forge log lines", async () => {
    const kept = await h.graphql('{ publicMessage { text } }', undefined, { 'x-request-id': 'edge-7f3a.42:1' });
    assert.equal(kept.headers.get('x-request-id'), 'edge-7f3a.42:1');
    assert.equal(linesOf('edge-7f3a.42:1').length, 1);

    for (const hostile of ['a'.repeat(200), 'id with spaces', '{"level":60}', 'x\tforged']) {
      const replaced = await h.graphql('{ publicMessage { text } }', undefined, { 'x-request-id': hostile });
      assert.match(replaced.headers.get('x-request-id') ?? '', UUID, hostile);
    }
  });

  it('writes an audit line for each denied field: subject, field, missing permission', async () => {
    const forbidden = await h.graphql('{ a: adminMessage { text } b: adminMessage { text } }', await h.token({ sub: 'auth0|alice', permissions: ['read:messages'] }));
    const id = forbidden.headers.get('x-request-id');
    const audits = linesOf(id).filter((line) => line['audit'] === 'access-denied');
    assert.deepEqual(
      audits.map(({ subject, field, code, missing, path }) => ({ subject, field, code, missing, path })),
      ['a', 'b'].map((alias) => ({ subject: 'auth0|alice', field: 'Query.adminMessage', code: 'FORBIDDEN', missing: [ADMIN], path: [alias] })),
    );

    const anonymous = await h.graphql('{ protectedMessage { text } }');
    const [audit] = linesOf(anonymous.headers.get('x-request-id')).filter((line) => line['audit']);
    assert.deepEqual([audit?.['subject'], audit?.['field'], audit?.['code']], [null, 'Query.protectedMessage', 'UNAUTHENTICATED']);

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
