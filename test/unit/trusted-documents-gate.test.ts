import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphQLError, print } from 'graphql';
import { openGate, trustedDocumentsGate, type OperationRequest } from '../../src/documents/operation-gate.js';
import { createTrustedStore, idKey, queryHash, TrustedDocumentError } from '../../src/documents/trusted-store.js';
import { queryLimits } from '../../src/graphql/query-limits.js';
import { buildSchema } from '../../src/graphql/schema.js';
import { captureLogs } from '../helpers/log-capture.js';

const schema = buildSchema();
const limits = queryLimits();
const PUBLIC = 'query Public { publicMessage { text } }';
const PROTECTED = '{ protectedMessage { text } }';
const store = createTrustedStore([
  { id: 'sha256:public-id', name: 'Public', body: PUBLIC },
  { id: 'protected-id', name: undefined, body: PROTECTED },
], { schema, ...limits });

describe('the trusted store', () => {
  it('keys a document by its id (with or without `sha256:`), its SHA-256, and its exact text', () => {
    const hash = queryHash(PUBLIC);
    assert.match(hash, /^[0-9a-f]{64}$/);
    assert.deepEqual([...store.byId.keys()].sort(), ['protected-id', 'public-id', hash, queryHash(PROTECTED)].sort());
    assert.deepEqual([...store.byBody.keys()], [PUBLIC, PROTECTED]);
    assert.deepEqual([...store.byHash.keys()], [hash, queryHash(PROTECTED)]);
    const trusted = store.byId.get('public-id')!;
    assert.equal(trusted, store.byBody.get(PUBLIC));
    assert.equal(trusted, store.byHash.get(hash));
    assert.deepEqual([trusted.body, print(trusted.document)], [PUBLIC, print(store.byId.get(hash)!.document)]);
  });

  it('reads an id as the same id with or without its `sha256:` prefix, and only as a prefix', () => {
    assert.deepEqual(['sha256:abc', 'abc', 'x-sha256:abc', 'SHA256:abc', 'sha256'].map(idKey), ['abc', 'abc', 'x-sha256:abc', 'SHA256:abc', 'sha256']);
  });

  it('hashes as clients do: hex SHA-256 of the text', () => {
    assert.equal(queryHash('{ __typename }'), '7f56e67dd21ab3f30d1ff8b7bed08893f0a0db86449836189b361dd1e56ddb4b');
  });

  const refused: Array<[string, { id: string; name: string | undefined; body: string }, string | RegExp]> = [
    ['a syntax error, by its name', { id: 'x', name: 'Broken', body: '{ publicMessage {' }, /^Trusted document Broken does not parse: Syntax Error/],
    ['a syntax error, by its id without a name', { id: 'x', name: undefined, body: '{' }, /^Trusted document x does not parse: /],
    ['a document over the token limit', { id: 'x', name: undefined, body: `{ ${'__typename '.repeat(1_000)}}` }, /^Trusted document x does not parse: Syntax Error: Document contains more that 1000 tokens/],
    ['an unknown field, by the name in the manifest', { id: 'x', name: 'Given', body: 'query Own { nope }' }, 'Trusted document Given does not validate against the schema: Cannot query field "nope" on type "Query". Did you mean "notes"?'],
    ['an unknown field, by the operation name', { id: 'x', name: undefined, body: 'query Own { nope }' }, 'Trusted document Own does not validate against the schema: Cannot query field "nope" on type "Query". Did you mean "notes"?'],
    ['two operations, by the id', { id: 'x', name: undefined, body: 'query A { nope } query B { publicMessage { text } }' }, /^Trusted document x does not validate against the schema: Cannot query field "nope"/],
    ['an unknown field, by the id', { id: 'x', name: undefined, body: '{ nope }' }, 'Trusted document x does not validate against the schema: Cannot query field "nope" on type "Query". Did you mean "notes"?'],
    ['a document over the query limits', { id: 'x', name: undefined, body: `{ ${Array.from({ length: 11 }, (_, i) => `a${i}: publicMessage { text }`).join(' ')} }` }, /^Trusted document x does not validate against the schema: .*[Aa]liases/],
  ];
  for (const [name, operation, expected] of refused) {
    it(`stops start-up on ${name}`, () => {
      assert.throws(() => createTrustedStore([operation], { schema, ...limits }), (error: unknown) => {
        assert.ok(error instanceof TrustedDocumentError);
        assert.equal(error.name, 'TrustedDocumentError');
        if (typeof expected === 'string') assert.equal(error.message, expected);
        else assert.match(error.message, expected);
        return true;
      });
    });
  }
});

/** What the gate decided: the text and whether it is the stored document, or the error code. */
function gated(mode: 'enforce' | 'log', request: OperationRequest, logs = captureLogs()): [string | undefined, boolean] | unknown {
  const outcome = trustedDocumentsGate(store, mode)(request, logs.logger);
  if (outcome instanceof GraphQLError) return outcome.extensions['code'];
  return [outcome.query, outcome.document !== undefined && outcome.document === store.byBody.get(outcome.query ?? '')?.document];
}

describe('the trusted documents gate', () => {
  const persisted = (sha256Hash: unknown) => ({ persistedQuery: { version: 1, sha256Hash } });

  it('runs a listed id as its stored document, whichever way the id is spelled', () => {
    for (const documentId of ['public-id', 'sha256:public-id', queryHash(PUBLIC), `sha256:${queryHash(PUBLIC)}`]) {
      assert.deepEqual(gated('enforce', { documentId }), [PUBLIC, true], documentId);
    }
    assert.deepEqual(gated('enforce', { extensions: persisted(queryHash(PROTECTED)) }), [PROTECTED, true]);
    assert.deepEqual(gated('enforce', { documentId: 'public-id', query: 'ignored' }), [PUBLIC, true], 'the stored text wins');
  });

  it('refuses an id that is not listed, or malformed, when no text comes with it', () => {
    for (const request of [{ documentId: 'nope' }, { documentId: 42 }, { extensions: persisted('nope') }, { extensions: persisted(42) }, { extensions: { persistedQuery: {} } }]) {
      assert.equal(gated('log', request), 'PERSISTED_QUERY_NOT_IN_LIST', JSON.stringify(request));
    }
  });

  it('judges the text that comes with an unlisted id as a free-form query', () => {
    assert.deepEqual(gated('enforce', { documentId: 'nope', query: PUBLIC }), [PUBLIC, true]);
    assert.equal(gated('enforce', { extensions: persisted('nope'), query: '{ __typename }' }), 'QUERY_NOT_IN_SAFELIST');
  });

  it('runs a free-form query that is byte for byte a listed one, and refuses any other in enforce mode', () => {
    assert.deepEqual(gated('enforce', { query: PROTECTED }), [PROTECTED, true]);
    assert.equal(gated('enforce', { query: `${PROTECTED} ` }), 'QUERY_NOT_IN_SAFELIST');
  });

  it('log mode: runs any other query as sent, and writes its hash, never its text', () => {
    const logs = captureLogs();
    assert.deepEqual(gated('log', { query: '{ __typename }' }, logs), ['{ __typename }', false]);
    assert.deepEqual(logs.lines.map((l) => [l['level'], l['msg'], l['audit'], l['documentHash']]), [
      [30, 'operation outside the trusted documents', 'untrusted-operation', queryHash('{ __typename }')],
    ]);
    assert.doesNotMatch(logs.raw(), /__typename/);
  });

  it('leaves a request without text or id to the transport, and ignores a null id or extension', () => {
    for (const request of [{}, { query: '' }, { documentId: null }, { extensions: null }, { extensions: { persistedQuery: null } }, { extensions: { other: 1 } }]) {
      const outcome = trustedDocumentsGate(store, 'enforce')(request, captureLogs().logger);
      assert.deepEqual(outcome, { query: (request as OperationRequest).query, document: undefined }, JSON.stringify(request));
    }
  });

  it('without a manifest, passes every operation as sent', () => {
    assert.deepEqual(openGate({ query: '{ anything }', documentId: 'x' }, captureLogs().logger), { query: '{ anything }', document: undefined });
  });
});
