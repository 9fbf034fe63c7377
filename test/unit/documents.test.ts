import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { HeaderMap } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { GraphQLError, parse } from 'graphql';
import { loadConfig } from '../../src/config.js';
import { createDocuments, ManifestError, readManifest, TrustedDocumentError } from '../../src/documents/index.js';
import { queryHash } from '../../src/documents/trusted-store.js';
import { queryLimits } from '../../src/graphql/query-limits.js';
import { buildSchema } from '../../src/graphql/schema.js';
import { SPA_MANIFEST_FILE } from '../../src/tooling/access-matrix.js';
import { captureLogs } from '../helpers/log-capture.js';
import { principal } from '../helpers/run-schema.js';

const schema = buildSchema();
const limits = queryLimits();
const MANIFEST = fileURLToPath(SPA_MANIFEST_FILE);
const listed = readManifest(MANIFEST)[0]!;
const INTROSPECTION = parse('{ __schema { queryType { name } } }');
const log = captureLogs().logger;

const documents = (env: Record<string, string>) => createDocuments({ config: loadConfig(env), schema, limits });

describe('createDocuments', () => {
  it('changes nothing without a manifest or per-caller introspection', () => {
    const plain = documents({});
    assert.deepEqual([plain.introspection, plain.documentStore, plain.plugins, plain.gateHttp, plain.sdlFor], [true, undefined, [], undefined, undefined]);
    assert.deepEqual(plain.gate({ query: '{ anything }' }, log), { query: '{ anything }', document: undefined });
    assert.equal(plain.schemaFor(null, INTROSPECTION, undefined), schema);
  });

  it('turns introspection off when told', () => {
    assert.equal(documents({ GRAPHQL_INTROSPECTION: 'false' }).introspection, false);
  });

  it("per-caller: introspection stays on, answered from each caller's view", () => {
    const perCaller = documents({ GRAPHQL_INTROSPECTION: 'per-caller' });
    assert.deepEqual([perCaller.introspection, perCaller.plugins.length, perCaller.documentStore, perCaller.gateHttp], [true, 1, undefined, undefined]);
    const view = perCaller.schemaFor(null, INTROSPECTION, undefined);
    assert.ok(!(view instanceof GraphQLError));
    assert.notEqual(view, schema);
    assert.equal(view.getQueryType()?.getFields()['protectedMessage'], undefined);
    assert.equal(perCaller.schemaFor(null, parse('{ publicMessage { text } }'), undefined), schema);
    assert.match(perCaller.sdlFor!(null), /publicMessage/);
    assert.doesNotMatch(perCaller.sdlFor!(null), /protectedMessage/);
  });

  it('per-caller: refuses the SDL to a caller who may read no query field, as a guarded field would', () => {
    const guarded = makeExecutableSchema({ typeDefs: 'directive @auth on FIELD_DEFINITION\ntype Query { mine: Int @auth }' });
    const perCaller = createDocuments({ config: loadConfig({ GRAPHQL_INTROSPECTION: 'per-caller' }), schema: guarded, limits });
    assert.throws(
      () => perCaller.sdlFor!(null),
      (error: unknown) => error instanceof GraphQLError && error.extensions['code'] === 'UNAUTHENTICATED' && error.message === 'No part of this schema is visible to this caller.',
    );
    assert.match(perCaller.sdlFor!(principal()), /mine: Int/);
  });

  it('trusted documents: the gate on both transports, and the listed documents in Apollo\'s store', async () => {
    const enforced = documents({ TRUSTED_DOCUMENTS: MANIFEST });
    assert.ok(enforced.gate({ query: '{ __typename }' }, log) instanceof GraphQLError);
    assert.equal((enforced.gate({ documentId: listed.id }, log) as { query: string }).query, listed.body);
    const http = enforced.gateHttp!({ method: 'POST', headers: new HeaderMap(), search: '', body: { query: '{ __typename }' } }, log);
    assert.ok(http instanceof GraphQLError);
    assert.ok(await enforced.documentStore!.get(`schema:${queryHash(listed.body)}`));
    assert.deepEqual([enforced.plugins, enforced.sdlFor], [[], undefined]);
    const logged = documents({ TRUSTED_DOCUMENTS: MANIFEST, TRUSTED_DOCUMENTS_MODE: 'log' });
    assert.deepEqual(logged.gate({ query: '{ __typename }' }, log), { query: '{ __typename }', document: undefined });
  });

  it('stops start-up on a manifest that cannot be read', () => {
    assert.throws(() => documents({ TRUSTED_DOCUMENTS: '/nonexistent/manifest.json' }), ManifestError);
    assert.equal(new TrustedDocumentError('x').name, 'TrustedDocumentError');
  });
});
