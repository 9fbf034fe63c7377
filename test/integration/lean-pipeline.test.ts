import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN, startHarness, type Harness } from '../helpers/harness.js';

/**
 * The plugins and settings that trim per-request work (src/graphql/lean-pipeline.ts, and no ETag)
 * must not change what a client sees, nor any decision.
 */
describe('the trimmed request pipeline', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('keeps the seed’s cache-control on every GraphQL response, with the cache-control plugin off', async () => {
    const anonymous = await h.graphql('{ publicMessage { text } }');
    const admin = await h.graphql('{ adminMessage { text } }', await h.token({ permissions: [ADMIN] }));
    const denied = await h.graphql('{ adminMessage { text } }', await h.token());
    for (const response of [anonymous, admin, denied]) {
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('cache-control'), 'no-cache, no-store, max-age=0, must-revalidate');
    }
    assert.deepEqual(admin.body.data, { adminMessage: { text: 'This is an admin message.' } });
    assert.deepEqual(denied.body.data, { adminMessage: null });
    assert.equal(denied.body.errors?.[0]?.extensions?.['code'], 'FORBIDDEN');
  });

  it('hashes no response body into an ETag', async () => {
    const response = await h.graphql('{ publicMessage { text } }');
    assert.equal(response.headers.get('etag'), null);
  });

  it('runs the field guard on every use of a guarded field, aliases included', async () => {
    const { body } = await h.graphql('{ a: adminMessage { text } b: adminMessage { text } }', await h.token());
    assert.deepEqual(body.data, { a: null, b: null });
    assert.deepEqual(body.errors?.map((e) => e.extensions?.['code']), ['FORBIDDEN', 'FORBIDDEN']);
  });
});
