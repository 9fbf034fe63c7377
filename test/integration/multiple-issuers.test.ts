import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, SignJWT, type JWTPayload } from 'jose';
import { OAuth2Server } from 'oauth2-mock-server';
import { UNKNOWN_ISSUER } from '../../src/auth/issuer-registry.js';
import { loadConfig, type ResolvedConfig } from '../../src/config.js';
import { buildApp, type App } from '../../src/http/app.js';
import { KeySetServer, sign } from '../../support/key-set-server.js';
import { ADMIN } from '../helpers/harness.js';
import { captureLogs, type CapturedLogs } from '../helpers/log-capture.js';

/**
 * Two real identity providers at once, each an `oauth2-mock-server` with keys of its own under the
 * same `kid`: "Auth0", whose roles are in a namespaced URL claim, and "Keycloak", whose roles are
 * in `realm_access.roles`, with an audience of its own and DPoP required. A third provider, which
 * serves keys but is not configured, stands for every issuer nobody trusts.
 */
const QUERY = '{ protectedMessage { text } adminMessage { text } }';
const BOTH = { protectedMessage: { text: 'This is a protected message.' }, adminMessage: { text: 'This is an admin message.' } };
const NOT_ADMIN = { protectedMessage: { text: 'This is a protected message.' }, adminMessage: null };
const AUTH0_AUDIENCE = 'https://api.example.com';
const KEYCLOAK_AUDIENCE = 'account-api';
const ROLES_URL = 'https://example.com/roles';
const SHARED_KID = 'signing-key';

async function startProvider(trailingSlash: boolean): Promise<OAuth2Server> {
  const provider = new OAuth2Server(undefined, undefined, { shouldIssuerUrlBeSuffixedWithATralingSlash: trailingSlash });
  await provider.issuer.keys.generate('RS256', { kid: SHARED_KID });
  await provider.start(0, '127.0.0.1');
  provider.issuer.url = `http://127.0.0.1:${provider.address().port}${trailingSlash ? '/' : ''}`;
  return provider;
}

interface Running {
  app: App;
  url: string;
  logs: CapturedLogs;
  close(): Promise<void>;
}

async function startApi(issuers: unknown[]): Promise<Running> {
  const logs = captureLogs();
  const config = loadConfig({ AUTH_ISSUERS: JSON.stringify(issuers), TOKEN_CACHE_SIZE: '100' }) as ResolvedConfig;
  const app = await buildApp({ config, logger: logs.logger });
  const server: Server = createServer(app.handler).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    app,
    logs,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      server.close();
      await app.close();
    },
  };
}

async function ask(api: Running, token: string): Promise<{ status: number; challenge: string | null; data: unknown }> {
  const response = await fetch(`${api.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: QUERY }),
  });
  const body = (await response.json()) as { data?: unknown };
  return { status: response.status, challenge: response.headers.get('www-authenticate'), data: body.data };
}

const INVALID_TOKEN = 'Bearer realm="api", error="invalid_token", DPoP algs="ES256 PS256 RS256 EdDSA"';

describe('several issuers at once', () => {
  let auth0: OAuth2Server;
  let keycloak: OAuth2Server;
  let stranger: KeySetServer;
  let dpopOnly: KeySetServer;
  let api: Running;

  /** A token from a provider, with `claims` over its defaults; `iss` may name another issuer. */
  function tokenFrom(provider: OAuth2Server, audience: string, claims: JWTPayload = {}): Promise<string> {
    return provider.issuer.buildToken({
      scopesOrTransform: (_header, payload) => Object.assign(payload, { sub: 'user-1', aud: audience }, claims),
    });
  }

  before(async () => {
    auth0 = await startProvider(true);
    keycloak = await startProvider(false);
    stranger = await KeySetServer.start();
    dpopOnly = await KeySetServer.start();
    api = await startApi([
      // Keys at a configured address: no discovery.
      { issuer: auth0.issuer.url, audience: AUTH0_AUDIENCE, jwksUri: `${auth0.issuer.url}jwks`, permissionsClaim: ROLES_URL },
      // Keys found through OIDC discovery, as for a Keycloak realm.
      { issuer: keycloak.issuer.url, audience: [KEYCLOAK_AUDIENCE, 'other-api'], permissionsClaim: '/realm_access/roles' },
      { issuer: dpopOnly.issuer, audience: AUTH0_AUDIENCE, jwksUri: `${dpopOnly.issuer}.well-known/jwks.json`, dpopRequired: true },
    ]);
  });
  after(async () => {
    await api.close();
    await Promise.all([auth0.stop(), keycloak.stop(), stranger.close(), dpopOnly.close()]);
  });

  it('logs one line per issuer saying where its metadata came from (in the order discovery ends)', () => {
    const lines = api.logs.lines.filter((l) => l['msg'] === 'issuer metadata');
    const byIssuer = (a: unknown[], b: unknown[]) => String(a[1]).localeCompare(String(b[1]));
    assert.deepEqual(
      lines.map((l) => [l['source'], l['issuer'], l['jwksUri']]).sort(byIssuer),
      [
        ['configured', auth0.issuer.url, `${auth0.issuer.url}jwks`],
        ['discovery', keycloak.issuer.url, `${keycloak.issuer.url}/jwks`],
        ['configured', dpopOnly.issuer, `${dpopOnly.issuer}.well-known/jwks.json`],
      ].sort(byIssuer),
    );
  });

  describe("each issuer's tokens under its own claim mapping", () => {
    it('Auth0: the namespaced URL claim grants', async () => {
      assert.deepEqual(await ask(api, await tokenFrom(auth0, AUTH0_AUDIENCE, { [ROLES_URL]: [ADMIN] })), { status: 200, challenge: null, data: BOTH });
    });

    it('Keycloak: realm_access.roles grants, as an array or as a space-separated string', async () => {
      for (const roles of [[ADMIN, 'offline_access'], `offline_access ${ADMIN}`]) {
        const token = await tokenFrom(keycloak, KEYCLOAK_AUDIENCE, { realm_access: { roles } });
        assert.deepEqual(await ask(api, token), { status: 200, challenge: null, data: BOTH });
      }
    });

    it("neither reads the other's claim, nor `permissions`", async () => {
      const auth0Token = await tokenFrom(auth0, AUTH0_AUDIENCE, { realm_access: { roles: [ADMIN] }, permissions: [ADMIN] });
      assert.deepEqual(await ask(api, auth0Token), { status: 200, challenge: null, data: NOT_ADMIN });
      const keycloakToken = await tokenFrom(keycloak, KEYCLOAK_AUDIENCE, { [ROLES_URL]: [ADMIN], permissions: [ADMIN] });
      assert.deepEqual(await ask(api, keycloakToken), { status: 200, challenge: null, data: NOT_ADMIN });
    });

    it("checks each issuer's own audience: another issuer's audience is refused", async () => {
      assert.equal((await ask(api, await tokenFrom(auth0, KEYCLOAK_AUDIENCE))).status, 401);
      assert.equal((await ask(api, await tokenFrom(keycloak, AUTH0_AUDIENCE))).status, 401);
      assert.equal((await ask(api, await tokenFrom(keycloak, 'other-api'))).status, 200, 'any audience of the list');
    });

    it('gives the principal its issuer, so that a subject is told apart across issuers', async () => {
      const [one, two] = await Promise.all([
        api.app.verifier.verify(await tokenFrom(auth0, AUTH0_AUDIENCE)),
        api.app.verifier.verify(await tokenFrom(keycloak, KEYCLOAK_AUDIENCE)),
      ]);
      assert.deepEqual([one.issuer, one.subject, two.issuer, two.subject], [auth0.issuer.url, 'user-1', keycloak.issuer.url, 'user-1']);
    });
  });

  it("applies each issuer's DPoP setting: a plain bearer token of the issuer that requires DPoP is refused", async () => {
    const key = await dpopOnly.publish('dpop-only-key');
    const token = await sign({ iss: dpopOnly.issuer, aud: AUTH0_AUDIENCE, exp: Math.floor(Date.now() / 1000) + 60 }, { key });
    assert.deepEqual(await ask(api, token), { status: 401, challenge: INVALID_TOKEN, data: undefined });
    assert.equal((await ask(api, await tokenFrom(auth0, AUTH0_AUDIENCE))).status, 200, "the other issuers' bearer tokens stay accepted");
  });

  describe('cross-issuer confusion', () => {
    it("refuses a token signed with Keycloak's key that names Auth0, under the kid both use", async () => {
      const forged = await tokenFrom(keycloak, AUTH0_AUDIENCE, { iss: auth0.issuer.url, [ROLES_URL]: [ADMIN] });
      assert.equal(decodeJwt(forged).iss, auth0.issuer.url);
      assert.deepEqual(await ask(api, forged), { status: 401, challenge: INVALID_TOKEN, data: undefined });
      const log = api.logs.lines.findLast((l) => l['msg'] === 'credentials rejected');
      assert.equal(log?.['reason'], 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    });

    it("refuses a token signed with Auth0's key that names Keycloak", async () => {
      const forged = await tokenFrom(auth0, KEYCLOAK_AUDIENCE, { iss: keycloak.issuer.url, realm_access: { roles: [ADMIN] } });
      assert.deepEqual(await ask(api, forged), { status: 401, challenge: INVALID_TOKEN, data: undefined });
    });

    it('refuses an algorithm the named issuer does not allow, whoever signed it', async () => {
      const { privateKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
      const now = Math.floor(Date.now() / 1000);
      const es256 = await new SignJWT({ iss: auth0.issuer.url, aud: AUTH0_AUDIENCE, exp: now + 60 })
        .setProtectedHeader({ alg: 'ES256', kid: SHARED_KID })
        .sign(privateKey);
      assert.equal((await ask(api, es256)).status, 401);
      assert.equal(api.logs.lines.findLast((l) => l['msg'] === 'credentials rejected')?.['reason'], 'ERR_JOSE_ALG_NOT_ALLOWED');
    });
  });

  describe('an issuer nobody configured', () => {
    it('is refused as invalid_token without any fetch, from it or from the configured issuers', async () => {
      const key = await stranger.publish(SHARED_KID);
      const fetchesBefore = api.app.verifier.issuers.map(({ keySet }) => keySet.fetches);
      const now = Math.floor(Date.now() / 1000);
      for (const iss of [stranger.issuer, `${auth0.issuer.url}x`, auth0.issuer.url!.slice(0, -1), undefined]) {
        const token = await sign({ iss, aud: AUTH0_AUDIENCE, sub: 'user-1', exp: now + 60, [ROLES_URL]: [ADMIN] }, { key, header: { kid: 'unheard-of' } });
        assert.deepEqual(await ask(api, token), { status: 401, challenge: INVALID_TOKEN, data: undefined }, String(iss));
        assert.equal(api.logs.lines.findLast((l) => l['msg'] === 'credentials rejected')?.['reason'], UNKNOWN_ISSUER);
      }
      assert.deepEqual([stranger.fetches, stranger.discoveryFetches], [0, 0]);
      assert.deepEqual(api.app.verifier.issuers.map(({ keySet }) => keySet.fetches), fetchesBefore);
    });
  });
});

describe('one issuer down', () => {
  let up: OAuth2Server;
  let down: KeySetServer;
  let api: Running;
  before(async () => {
    up = await startProvider(true);
    down = await KeySetServer.start();
    await down.refuseConnections();
    api = await startApi([
      { issuer: up.issuer.url, audience: AUTH0_AUDIENCE, jwksUri: `${up.issuer.url}jwks` },
      // Its own timings: after a failed fetch, the next is tried only after a minute.
      { issuer: down.issuer, audience: AUTH0_AUDIENCE, jwksUri: `${down.issuer}.well-known/jwks.json`, keySet: { retryAfterFailureMs: 60_000 } },
    ]);
  });
  after(async () => {
    await api.close();
    await Promise.all([up.stop(), down.close()]);
  });

  it("keeps verifying the other issuer's tokens, answers 503 for its own, and /readyz names it", async () => {
    const token = await up.issuer.buildToken({ scopesOrTransform: (_h, p) => Object.assign(p, { aud: AUTH0_AUDIENCE, permissions: [ADMIN] }) });
    assert.deepEqual(await ask(api, token), { status: 200, challenge: null, data: BOTH });

    const key = await down.publish(SHARED_KID);
    const downToken = await sign({ iss: down.issuer, aud: AUTH0_AUDIENCE, exp: Math.floor(Date.now() / 1000) + 60 }, { key });
    assert.equal((await ask(api, downToken)).status, 503);

    const ready = await fetch(`${api.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), { message: 'Unable to verify credentials', unavailableIssuers: [down.issuer] });
    assert.equal((await ask(api, token)).status, 200, 'still');
  });
});
