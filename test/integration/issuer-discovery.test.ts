import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { loadConfig, type ResolvedConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { AUDIENCE } from '../helpers/harness.js';
import { KeySetServer } from '../../support/key-set-server.js';
import { captureLogs } from '../helpers/log-capture.js';

/**
 * The issuer and its key-set URL come from the provider's OIDC discovery document when it has
 * one, and are derived from `AUTH0_ISSUER_BASE_URL` otherwise; each start-up says which it used.
 * The provider's `iss` is Auth0's spelling, with a trailing slash; the setting here has none.
 */
const QUERY = '{ protectedMessage { text } }';
const PROTECTED = { protectedMessage: { text: 'This is a protected message.' } };

async function withServer(prepare: (idp: KeySetServer) => void, test: (run: RunResult) => Promise<void>): Promise<void> {
  const idp = await KeySetServer.start();
  const key = await idp.publish('key-1');
  prepare(idp);
  const logs = captureLogs();
  const config = loadConfig({ AUTH0_ISSUER_BASE_URL: idp.issuer.slice(0, -1), AUTH0_AUDIENCE: AUDIENCE, JWKS_TIMEOUT_MS: '5000' }) as ResolvedConfig;
  const app = await buildApp({ config, logger: logs.logger });
  const server = createServer(app.handler).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  try {
    await test({
      idp,
      async status(iss = idp.issuer) {
        const token = await idp.accessToken(key, { iss, sub: 'auth0|a' }, { audience: AUDIENCE });
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: QUERY }) });
        return { status: response.status, data: ((await response.json()) as { data?: unknown }).data };
      },
      metadata: () => logs.lines.filter((l) => String(l['msg']).startsWith('issuer metadata')),
    });
  } finally {
    server.closeAllConnections();
    server.close();
    await app.close();
    await idp.close();
  }
}

interface RunResult {
  idp: KeySetServer;
  /** Asks for a protected field with a token of this issuer, the provider's own by default. */
  status(iss?: string): Promise<{ status: number; data: unknown }>;
  metadata(): Array<Record<string, unknown>>;
}

describe('issuer discovery', () => {
  it('takes the issuer and the key-set URL from the discovery document, once', () =>
    withServer(
      (idp) => {
        idp.jwksPath = '/keys/published.json';
      },
      async ({ idp, status, metadata }) => {
        assert.deepEqual(await status(), { status: 200, data: PROTECTED });
        assert.deepEqual(await status(), { status: 200, data: PROTECTED });
        assert.equal(idp.discoveryFetches, 1, 'off the request path');
        assert.deepEqual(
          metadata().map((l) => [l['level'], l['source'], l['issuer'], l['jwksUri']]),
          [[30, 'discovery', idp.issuer, `${idp.issuer}keys/published.json`]],
        );
      },
    ));

  it('derives them, with Auth0\'s trailing slash, where the provider has no discovery document, and warns', () =>
    withServer(
      (idp) => {
        idp.discovery = null;
      },
      async ({ idp, status, metadata }) => {
        assert.deepEqual(await status(), { status: 200, data: PROTECTED });
        const [line, ...more] = metadata();
        assert.equal(more.length, 0);
        assert.deepEqual([line!['level'], line!['source'], line!['issuer'], line!['jwksUri']], [40, 'derived', idp.issuer, `${idp.issuer}.well-known/jwks.json`]);
        assert.match(String(line!['reason']), /HTTP 404/);
      },
    ));

  it('accepts a document whose issuer has no trailing slash, and then tokens that say so', () =>
    withServer(
      (idp) => {
        idp.discovery = { issuer: idp.issuer.slice(0, -1), jwks_uri: `${idp.issuer}.well-known/jwks.json` };
      },
      async ({ idp, status, metadata }) => {
        assert.deepEqual(metadata().map((l) => [l['source'], l['issuer']]), [['discovery', idp.issuer.slice(0, -1)]]);
        assert.deepEqual(await status(idp.issuer.slice(0, -1)), { status: 200, data: PROTECTED });
        assert.equal((await status(idp.issuer)).status, 401, 'exactly the spelling discovered');
      },
    ));

  it('ignores a document that names another issuer, and uses the derived URLs (the cases are in the unit test)', () =>
    withServer(
      (idp) => {
        idp.discovery = { issuer: 'https://evil.example.com/', jwks_uri: `${idp.issuer}.well-known/jwks.json` };
      },
      async ({ status, metadata }) => {
        assert.deepEqual(await status(), { status: 200, data: PROTECTED });
        assert.deepEqual(metadata().map((l) => l['source']), ['derived']);
      },
    ));
});
