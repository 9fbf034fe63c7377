import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeaderMap, type HTTPGraphQLRequest } from '@apollo/server';
import { GraphQLError, parse } from 'graphql';
import { httpGate, trustedDocumentStore } from '../../src/documents/http-gate.js';
import { trustedDocumentsGate } from '../../src/documents/operation-gate.js';
import { createTrustedStore, queryHash } from '../../src/documents/trusted-store.js';
import { queryLimits } from '../../src/graphql/query-limits.js';
import { buildSchema } from '../../src/graphql/schema.js';
import { captureLogs } from '../helpers/log-capture.js';

const LISTED = '{ publicMessage { text } }';
const HASH = queryHash(LISTED);
const store = createTrustedStore([{ id: 'listed', name: undefined, body: LISTED }], { schema: buildSchema(), ...queryLimits() });
const gate = (mode: 'enforce' | 'log') => httpGate(trustedDocumentsGate(store, mode));
const log = captureLogs().logger;

const get = (params: Record<string, string>): HTTPGraphQLRequest => ({
  method: 'GET',
  headers: new HeaderMap(),
  search: `?${new URLSearchParams(params)}`,
  body: undefined,
});
const post = (body: unknown): HTTPGraphQLRequest => ({ method: 'POST', headers: new HeaderMap(), search: '', body });

/** The query string parameters of a gated GET, as Apollo will read them. */
function paramsOf(outcome: HTTPGraphQLRequest | GraphQLError): Record<string, string> {
  assert.ok(!(outcome instanceof GraphQLError), String(outcome));
  assert.ok(outcome.search.startsWith('?'));
  return Object.fromEntries(new URLSearchParams(outcome.search));
}

const persisted = { persistedQuery: { version: 1, sha256Hash: HASH } };

describe('the trusted documents gate over HTTP GET', () => {
  it('replaces a listed documentId with its text', () => {
    assert.deepEqual(paramsOf(gate('enforce')(get({ documentId: 'listed', variables: '{}' }), log)), { variables: '{}', query: LISTED });
  });

  it("consumes Apollo's persisted-query extension, keeping the other extensions", () => {
    const extensions = JSON.stringify({ ...persisted, tracing: true });
    assert.deepEqual(paramsOf(gate('enforce')(get({ extensions }), log)), { extensions: '{"tracing":true}', query: LISTED });
  });

  it('hands back the very request when it names no document', () => {
    const request = get({ query: LISTED });
    assert.equal(gate('enforce')(request, log), request);
    const unlisted = get({ query: '{ __typename }', extensions: '{"tracing":true}' });
    assert.equal(gate('log')(unlisted, log), unlisted);
  });

  it('refuses what the gate refuses, before anything is parsed', () => {
    const refused: Array<Record<string, string>> = [{ documentId: 'nope' }, { query: '{ __typename }' }, { extensions: JSON.stringify({ persistedQuery: { sha256Hash: 'nope' } }) }];
    for (const params of refused) {
      const outcome = gate('enforce')(get(params), log);
      assert.ok(outcome instanceof GraphQLError, JSON.stringify(params));
    }
  });

  it('leaves extensions that are no JSON object for Apollo to refuse', () => {
    for (const extensions of ['{"persistedQuery":', '1', 'null']) {
      const request = get({ query: LISTED, extensions });
      assert.equal(gate('enforce')(request, log), request, extensions);
    }
  });
});

describe('the trusted documents gate over HTTP POST', () => {
  it('replaces a listed documentId with its text, and drops the id', () => {
    const request = post({ documentId: 'sha256:listed', variables: { a: 1 } });
    assert.deepEqual(gate('enforce')(request, log), { ...request, body: { variables: { a: 1 }, query: LISTED } });
  });

  it("consumes Apollo's persisted-query extension, keeping the other extensions", () => {
    const request = post({ extensions: { ...persisted, tracing: true }, operationName: null });
    assert.deepEqual(gate('enforce')(request, log), { ...request, body: { operationName: null, query: LISTED, extensions: { tracing: true } } });
  });

  it('hands back the very request when it names no document, or is no object', () => {
    for (const body of [{ query: LISTED }, { query: LISTED, extensions: { tracing: true } }, [{ documentId: 'nope' }], null, 'text']) {
      const request = post(body);
      assert.equal(gate('enforce')(request, log), request, JSON.stringify(body));
    }
  });

  it('refuses what the gate refuses', () => {
    assert.ok(gate('enforce')(post({ documentId: 'nope' }), log) instanceof GraphQLError);
    assert.ok(gate('enforce')(post({ query: '{ __typename }' }), log) instanceof GraphQLError);
  });
});

describe("Apollo's document store with trusted documents", () => {
  it('answers a listed hash under any schema hash, and keeps other documents as a cache does', async () => {
    const documents = trustedDocumentStore(store);
    assert.equal(await documents.get(`schema-a:${HASH}`), store.byHash.get(HASH)!.document);
    assert.equal(await documents.get(`b:c:${HASH}`), store.byHash.get(HASH)!.document, 'the hash is what follows the last colon');
    assert.equal(await documents.get(HASH), store.byHash.get(HASH)!.document);
    assert.equal(await documents.get(`schema-a:x${HASH}`), undefined);
    const other = parse('{ __typename }');
    await documents.set('schema-a:other', other);
    assert.equal(await documents.get('schema-a:other'), other);
    assert.equal(await documents.get('schema-b:other'), undefined);
    await documents.delete('schema-a:other');
    assert.equal(await documents.get('schema-a:other'), undefined);
    await documents.set(`schema-a:${HASH}`, other);
    await documents.delete(`schema-a:${HASH}`);
    assert.equal(await documents.get(`schema-a:${HASH}`), store.byHash.get(HASH)!.document, 'a trusted document is never replaced or evicted');
  });
});
