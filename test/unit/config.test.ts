import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ConfigError, DEFAULT_AUDIENCE, loadConfig } from '../../src/config.js';

const tenant = { AUTH0_DOMAIN: 'tenant.eu.auth0.com', AUTH0_AUDIENCE: 'https://api.example.com' };

function failsOn(env: Record<string, string>, variable: string) {
  assert.throws(() => loadConfig(env), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.variable, variable);
    assert.match(error.message, new RegExp(`^Invalid configuration: ${variable} `));
    assert.doesNotMatch(error.message, /\n/);
    return true;
  });
}

describe('loadConfig', () => {
  it('defaults to the seed values and the embedded issuer outside production', () => {
    const config = loadConfig({});
    assert.equal(config.port, 6060);
    assert.equal(config.clientOriginUrl, 'http://localhost:4040');
    assert.deepEqual(config.issuer, { embedded: true, audience: DEFAULT_AUDIENCE });
    assert.equal(config.production, false);
    assert.equal(config.introspection, true);
  });

  it('derives issuer and key set from AUTH0_DOMAIN like the seed', () => {
    const { issuer } = loadConfig(tenant);
    assert.ok(!('embedded' in issuer));
    assert.equal(issuer.issuer, 'https://tenant.eu.auth0.com/');
    assert.equal(issuer.jwksUri.href, 'https://tenant.eu.auth0.com/.well-known/jwks.json');
    assert.equal(issuer.audience, 'https://api.example.com');
  });

  it('takes a full issuer URL from AUTH0_ISSUER_BASE_URL, over the domain', () => {
    const { issuer } = loadConfig({ ...tenant, AUTH0_ISSUER_BASE_URL: 'http://127.0.0.1:8080/' });
    assert.ok(!('embedded' in issuer));
    assert.equal(issuer.issuer, 'http://127.0.0.1:8080/');
    assert.equal(issuer.jwksUri.href, 'http://127.0.0.1:8080/.well-known/jwks.json');
  });

  it("reads an issuer URL without a trailing slash as Auth0's library does, with discovery under it", () => {
    const { issuer } = loadConfig({ AUTH0_AUDIENCE: 'a', AUTH0_ISSUER_BASE_URL: 'https://ID.example.com/realms/x' });
    assert.ok(!('embedded' in issuer));
    // Derived, Auth0's spelling; discovery at start-up replaces both with the provider's own.
    assert.equal(issuer.issuer, 'https://id.example.com/realms/x/');
    assert.equal(issuer.jwksUri.href, 'https://id.example.com/realms/x/.well-known/jwks.json');
    assert.equal(issuer.discoveryUrl?.href, 'https://id.example.com/realms/x/.well-known/openid-configuration');
  });

  it('lower-cases AUTH0_DOMAIN', () => {
    const { issuer } = loadConfig({ ...tenant, AUTH0_DOMAIN: 'Tenant.EU.Auth0.com' });
    assert.ok(!('embedded' in issuer));
    assert.equal(issuer.issuer, 'https://tenant.eu.auth0.com/');
    assert.equal(issuer.discoveryUrl?.href, 'https://tenant.eu.auth0.com/.well-known/openid-configuration');
  });

  it('bounds how long keys outlive an outage, never below their max age', () => {
    assert.deepEqual(loadConfig({}).keySet, { timeoutMs: 5_000, cooldownMs: 30_000, maxAgeMs: 300_000, staleMaxMs: 1_800_000, retryAfterFailureMs: 1_000 });
    assert.equal(loadConfig({ JWKS_STALE_MAX_MS: '600000', JWKS_MAX_AGE_MS: '600000' }).keySet.staleMaxMs, 600_000);
    assert.throws(() => loadConfig({ JWKS_STALE_MAX_MS: '599999', JWKS_MAX_AGE_MS: '600000' }), /^ConfigError: Invalid configuration: JWKS_STALE_MAX_MS must be at least JWKS_MAX_AGE_MS/);
  });

  it('refuses to start in production without a tenant, naming AUTH0_DOMAIN and AUTH0_AUDIENCE', () => {
    assert.throws(() => loadConfig({ NODE_ENV: 'production' }), /AUTH0_DOMAIN and AUTH0_AUDIENCE/);
  });

  it('accepts the three NODE_ENV values, development when unset', () => {
    assert.equal(loadConfig({}).mode, 'development');
    assert.equal(loadConfig({ NODE_ENV: 'test' }).mode, 'test');
    assert.equal(loadConfig({ ...tenant, NODE_ENV: 'production' }).mode, 'production');
  });

  it('serves introspection outside production, not in it unless GRAPHQL_INTROSPECTION=true', () => {
    assert.equal(loadConfig({ NODE_ENV: 'test' }).introspection, true);
    assert.equal(loadConfig({ ...tenant, NODE_ENV: 'production' }).introspection, false);
    assert.equal(loadConfig({ ...tenant, NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true' }).introspection, true);
  });

  it('limits slow clients by default: 10 s for headers, 30 s for a request, a connection cap', () => {
    assert.deepEqual(loadConfig({}).http, { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, maxConnections: 1_000 });
    const tuned = loadConfig({ HEADERS_TIMEOUT_MS: '2000', REQUEST_TIMEOUT_MS: '4000', KEEP_ALIVE_TIMEOUT_MS: '65000', MAX_CONNECTIONS: '50' }).http;
    assert.deepEqual(tuned, { headersTimeoutMs: 2_000, requestTimeoutMs: 4_000, keepAliveTimeoutMs: 65_000, maxConnections: 50 });
  });

  it("keeps idle connections open longer than deploy/nginx.conf's upstream keep-alive, so nginx always closes first", () => {
    const nginx = readFileSync(new URL('../../deploy/nginx.conf', import.meta.url), 'utf8');
    const seconds = Number(/^\s*keepalive_timeout\s+(\d+)s;/m.exec(nginx)?.[1]);
    assert.ok(seconds > 0, 'deploy/nginx.conf sets an upstream keepalive_timeout');
    assert.ok(loadConfig({}).http.keepAliveTimeoutMs > seconds * 1000);
  });

  it('reads the switches', () => {
    const config = loadConfig({ ...tenant, NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'false', PORT: '0' });
    assert.equal(config.production, true);
    assert.equal(config.introspection, false);
    assert.equal(config.port, 0);
  });

  it('reads rate limits as <points>/<seconds>, off by default and open on store failure', () => {
    assert.deepEqual(loadConfig({}).rateLimits, { authenticated: undefined, anonymous: undefined, onStoreFailure: 'open', trustedProxies: [] });
    const config = loadConfig({
      RATE_LIMIT: '600/60',
      RATE_LIMIT_ANONYMOUS: ' 120 / 60 ',
      RATE_LIMIT_ON_STORE_FAILURE: 'closed',
      TRUSTED_PROXIES: 'loopback, 10.0.0.0/8,192.168.1.1',
    });
    assert.deepEqual(config.rateLimits, {
      authenticated: { points: 600, windowS: 60 },
      anonymous: { points: 120, windowS: 60 },
      onStoreFailure: 'closed',
      trustedProxies: ['loopback', '10.0.0.0/8', '192.168.1.1'],
    });
  });

  const bad: Array<[string, Record<string, string>]> = [
    ['PORT', { PORT: '70000' }],
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '-1' }],
    ['CLIENT_ORIGIN_URL', { CLIENT_ORIGIN_URL: 'localhost:4040' }],
    ['CLIENT_ORIGIN_URL', { CLIENT_ORIGIN_URL: 'http://localhost:4040/app' }],
    ['AUTH0_AUDIENCE', { AUTH0_DOMAIN: 'tenant.auth0.com' }],
    ['AUTH0_DOMAIN', { ...tenant, AUTH0_DOMAIN: 'https://tenant.auth0.com/' }],
    ['AUTH0_DOMAIN', { ...tenant, AUTH0_DOMAIN: 'tenant.auth0.com/evil' }],
    ['AUTH0_ISSUER_BASE_URL', { ...tenant, AUTH0_ISSUER_BASE_URL: 'http://idp.example.com/' }],
    ['AUTH0_ISSUER_BASE_URL', { ...tenant, AUTH0_ISSUER_BASE_URL: 'not a url' }],
    ['AUTH0_ISSUER_BASE_URL', { ...tenant, AUTH0_ISSUER_BASE_URL: 'https://idp.example.com/?x=1' }],
    ['GRAPHQL_INTROSPECTION', { GRAPHQL_INTROSPECTION: 'maybe' }],
    ['JWKS_TIMEOUT_MS', { JWKS_TIMEOUT_MS: '30000' }],
    ['TOKEN_CACHE_SIZE', { TOKEN_CACHE_SIZE: '1e3' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['NODE_ENV', { NODE_ENV: 'Production' }],
    ['NODE_ENV', { NODE_ENV: 'prod' }],
    ['AUTH0_DOMAIN', { AUTH0_DOMAIN: '' }],
    ['AUTH0_DOMAIN', { AUTH0_DOMAIN: '  ', AUTH0_AUDIENCE: 'https://api.example.com' }],
    ['AUTH0_AUDIENCE', { AUTH0_AUDIENCE: '' }],
    ['AUTH0_AUDIENCE', { ...tenant, AUTH0_AUDIENCE: '' }],
    ['AUTH0_ISSUER_BASE_URL', { AUTH0_ISSUER_BASE_URL: '' }],
    ['HEADERS_TIMEOUT_MS', { HEADERS_TIMEOUT_MS: '0' }],
    ['REQUEST_TIMEOUT_MS', { HEADERS_TIMEOUT_MS: '20000', REQUEST_TIMEOUT_MS: '10000' }],
    ['KEEP_ALIVE_TIMEOUT_MS', { KEEP_ALIVE_TIMEOUT_MS: 'long' }],
    ['MAX_CONNECTIONS', { MAX_CONNECTIONS: '0' }],
    ['RATE_LIMIT', { RATE_LIMIT: '600' }],
    ['RATE_LIMIT', { RATE_LIMIT: '0/60' }],
    ['RATE_LIMIT', { RATE_LIMIT: '600/0' }],
    ['RATE_LIMIT', { RATE_LIMIT: '600/1m' }],
    ['RATE_LIMIT_ANONYMOUS', { RATE_LIMIT_ANONYMOUS: '10/86401' }],
    ['RATE_LIMIT_ON_STORE_FAILURE', { RATE_LIMIT_ON_STORE_FAILURE: 'ignore' }],
    ['TRUSTED_PROXIES', { TRUSTED_PROXIES: 'proxy.example.com' }],
    ['TRUSTED_PROXIES', { TRUSTED_PROXIES: '10.0.0.0/33' }],
  ];
  for (const [variable, env] of bad) {
    it(`names ${variable} when it is ${JSON.stringify(Object.values(env).at(-1))}`, () => failsOn(env, variable));
  }
});
