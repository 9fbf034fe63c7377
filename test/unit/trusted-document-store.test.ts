import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ApolloServer } from '@apollo/server';
import { trustedDocumentStore } from '../../src/documents/http-gate.js';
import { readManifest } from '../../src/documents/manifest.js';
import { createTrustedStore } from '../../src/documents/trusted-store.js';
import { queryLimits } from '../../src/graphql/query-limits.js';
import { buildSchema } from '../../src/graphql/schema.js';
import { SPA_MANIFEST_FILE } from '../../src/tooling/access-matrix.js';

describe("Apollo's document store with trusted documents", () => {
  it('never parses a listed operation again, and caches other operations as Apollo does', async () => {
    const schema = buildSchema();
    const store = createTrustedStore(readManifest(fileURLToPath(SPA_MANIFEST_FILE)), { schema, ...queryLimits() });
    let parses = 0;
    const apollo = new ApolloServer({
      schema,
      documentStore: trustedDocumentStore(store),
      plugins: [{ requestDidStart: async () => ({ parsingDidStart: async () => void parses++ }) }],
    });
    await apollo.start();
    try {
      const listed = [...store.byBody.keys()].find((body) => body.includes('publicMessage'))!;
      for (let i = 0; i < 3; i++) {
        const response = await apollo.executeOperation({ query: listed });
        assert.deepEqual(JSON.parse(JSON.stringify(response.body.kind === 'single' && response.body.singleResult.data)), { publicMessage: { text: 'This is a public message.' } });
      }
      assert.equal(parses, 0);
      for (let i = 0; i < 2; i++) await apollo.executeOperation({ query: '{ publicMessage { text } }' });
      assert.equal(parses, 1);
    } finally {
      await apollo.stop();
    }
  });
});
