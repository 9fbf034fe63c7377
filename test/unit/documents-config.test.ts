import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('trusted documents and introspection settings', () => {
  it('change nothing by default', () => {
    const config = loadConfig({});
    assert.deepEqual([config.trustedDocuments, config.introspection], [undefined, true]);
    assert.equal(loadConfig({ NODE_ENV: 'production', AUTH0_DOMAIN: 'tenant.eu.auth0.com', AUTH0_AUDIENCE: 'https://api' }).introspection, false);
  });

  it('enforce a manifest unless told to log, and read per-caller introspection', () => {
    assert.deepEqual(loadConfig({ TRUSTED_DOCUMENTS: 'manifest.json' }).trustedDocuments, { file: 'manifest.json', mode: 'enforce' });
    assert.deepEqual(loadConfig({ TRUSTED_DOCUMENTS: 'm.json', TRUSTED_DOCUMENTS_MODE: 'log' }).trustedDocuments, { file: 'm.json', mode: 'log' });
    assert.equal(loadConfig({ GRAPHQL_INTROSPECTION: 'per-caller' }).introspection, 'per-caller');
    assert.equal(loadConfig({ GRAPHQL_INTROSPECTION: 'false' }).introspection, false);
  });

  for (const [env, variable] of [
    [{ TRUSTED_DOCUMENTS_MODE: 'log' }, 'TRUSTED_DOCUMENTS_MODE'],
    [{ TRUSTED_DOCUMENTS: 'm.json', TRUSTED_DOCUMENTS_MODE: 'warn' }, 'TRUSTED_DOCUMENTS_MODE'],
    [{ GRAPHQL_INTROSPECTION: 'sometimes' }, 'GRAPHQL_INTROSPECTION'],
  ] as const) {
    it(`names ${variable} for ${JSON.stringify(env)}`, () => {
      assert.throws(() => loadConfig(env), (error: unknown) => error instanceof ConfigError && error.variable === variable && !error.message.includes('\n'));
    });
  }
});
