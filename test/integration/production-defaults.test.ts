import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { getIntrospectionQuery } from 'graphql';
import { startHarness, type Harness } from '../helpers/harness.js';

const PRODUCTION = { NODE_ENV: 'production' };

async function withHarness(env: Record<string, string>, run: (h: Harness) => Promise<void>): Promise<void> {
  const h = await startHarness(env);
  try {
    await run(h);
  } finally {
    await h.close();
  }
}

/** Whether the schema can be read: by introspection at /graphql, and as SDL at /schema.graphql. */
async function schemaExposure(h: Harness): Promise<{ introspection: number; sdl: number }> {
  const { status } = await h.graphql(getIntrospectionQuery());
  return { introspection: status, sdl: (await fetch(`${h.url}/schema.graphql`)).status };
}

describe('introspection and /schema.graphql', () => {
  it('are off in production, since the SDL lists every permission and where it applies', () =>
    withHarness(PRODUCTION, async (h) => {
      assert.deepEqual(await schemaExposure(h), { introspection: 400, sdl: 404 });
    }));

  it('are on in production with GRAPHQL_INTROSPECTION=true', () =>
    withHarness({ ...PRODUCTION, GRAPHQL_INTROSPECTION: 'true' }, async (h) => {
      assert.deepEqual(await schemaExposure(h), { introspection: 200, sdl: 200 });
    }));

  it('are on outside production', () =>
    withHarness({ NODE_ENV: 'test' }, async (h) => {
      assert.deepEqual(await schemaExposure(h), { introspection: 200, sdl: 200 });
    }));
});

describe('automatic persisted queries', () => {
  const query = '{ publicMessage { text } }';
  const persisted = { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') } };
  const post = (h: Harness, body: object) =>
    fetch(`${h.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('are off, so no answer tells whether a document has been run before', () =>
    withHarness({}, async (h) => {
      const unseen = { persistedQuery: { version: 1, sha256Hash: '0'.repeat(64) } };
      const neverRun = await (await post(h, { extensions: unseen })).json();
      await post(h, { query, extensions: persisted });
      const afterRun = (await (await post(h, { extensions: persisted })).json()) as { data?: unknown; errors: Array<{ extensions: { code: string } }> };
      assert.equal(afterRun.data, undefined);
      assert.equal(afterRun.errors[0]?.extensions.code, 'PERSISTED_QUERY_NOT_SUPPORTED');
      assert.deepEqual(afterRun, neverRun);
    }));
});
