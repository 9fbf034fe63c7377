import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ConfigError, DEFAULT_AUDIENCE, loadConfig, type IssuerConfig } from '../../src/config.js';

const tenant = { AUTH0_DOMAIN: 'tenant.eu.auth0.com', AUTH0_AUDIENCE: 'https://api.example.com' };

/** The one issuer the shorthand configures. */
function onlyIssuer(env: Record<string, string>): IssuerConfig {
  const { issuers } = loadConfig(env);
  assert.ok(Array.isArray(issuers) && issuers.length === 1);
  return issuers[0]!;
}

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
    assert.deepEqual(config.issuers, {
      embedded: true,
      count: 1,
      settings: { audience: DEFAULT_AUDIENCE, permissionsClaim: 'permissions', algorithms: ['RS256'], keySet: { timeoutMs: 5_000, cooldownMs: 30_000, maxAgeMs: 300_000, staleMaxMs: 1_800_000, retryAfterFailureMs: 1_000 }, dpopRequired: false },
    });
    assert.equal(config.production, false);
    assert.equal(config.introspection, true);
  });

  it('derives issuer and key set from AUTH0_DOMAIN like the seed', () => {
    const issuer = onlyIssuer(tenant);
    assert.equal(issuer.issuer, 'https://tenant.eu.auth0.com/');
    assert.equal(issuer.jwksUri.href, 'https://tenant.eu.auth0.com/.well-known/jwks.json');
    assert.equal(issuer.audience, 'https://api.example.com');
  });

  it('takes a full issuer URL from AUTH0_ISSUER_BASE_URL, over the domain', () => {
    const issuer = onlyIssuer({ ...tenant, AUTH0_ISSUER_BASE_URL: 'http://127.0.0.1:8080/' });
    assert.equal(issuer.issuer, 'http://127.0.0.1:8080/');
    assert.equal(issuer.jwksUri.href, 'http://127.0.0.1:8080/.well-known/jwks.json');
  });

  it("reads an issuer URL without a trailing slash as Auth0's library does, with discovery under it", () => {
    const issuer = onlyIssuer({ AUTH0_AUDIENCE: 'a', AUTH0_ISSUER_BASE_URL: 'https://ID.example.com/realms/x' });
    // Derived, Auth0's spelling; discovery at start-up replaces both with the provider's own.
    assert.equal(issuer.issuer, 'https://id.example.com/realms/x/');
    assert.equal(issuer.jwksUri.href, 'https://id.example.com/realms/x/.well-known/jwks.json');
    assert.equal(issuer.discoveryUrl?.href, 'https://id.example.com/realms/x/.well-known/openid-configuration');
  });

  it('lower-cases AUTH0_DOMAIN', () => {
    const issuer = onlyIssuer({ ...tenant, AUTH0_DOMAIN: 'Tenant.EU.Auth0.com' });
    assert.equal(issuer.issuer, 'https://tenant.eu.auth0.com/');
    assert.equal(issuer.discoveryUrl?.href, 'https://tenant.eu.auth0.com/.well-known/openid-configuration');
  });

  it('bounds how long keys outlive an outage, never below their max age', () => {
    assert.deepEqual(onlyIssuer(tenant).keySet, { timeoutMs: 5_000, cooldownMs: 30_000, maxAgeMs: 300_000, staleMaxMs: 1_800_000, retryAfterFailureMs: 1_000 });
    assert.equal(onlyIssuer({ ...tenant, JWKS_STALE_MAX_MS: '600000', JWKS_MAX_AGE_MS: '600000' }).keySet.staleMaxMs, 600_000);
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

describe('AUTH_ISSUERS', () => {
  const auth0 = { issuer: 'https://tenant.eu.auth0.com/', audience: 'https://api.example.com' };
  const keycloak = { issuer: 'https://id.example.com/realms/staff', audience: ['account', 'api'], permissionsClaim: '/realm_access/roles', algorithms: ['RS256', 'ES256'] };
  const issuersOf = (list: unknown, env: Record<string, string> = {}) => {
    const { issuers } = loadConfig({ AUTH_ISSUERS: typeof list === 'string' ? list : JSON.stringify(list), ...env });
    assert.ok(Array.isArray(issuers));
    return issuers;
  };

  it('binds every setting to its issuer, the defaults from the single-issuer variables', () => {
    const [one, two] = issuersOf([auth0, { ...keycloak, keySet: { maxAgeMs: 60_000, staleMaxMs: 120_000 }, dpopRequired: true }], { JWKS_COOLDOWN_MS: '5000' });
    assert.deepEqual(one, {
      issuer: 'https://tenant.eu.auth0.com/',
      jwksUri: new URL('https://tenant.eu.auth0.com/.well-known/jwks.json'),
      discoveryUrl: new URL('https://tenant.eu.auth0.com/.well-known/openid-configuration'),
      audience: 'https://api.example.com',
      permissionsClaim: 'permissions',
      algorithms: ['RS256'],
      keySet: { timeoutMs: 5_000, cooldownMs: 5_000, maxAgeMs: 300_000, staleMaxMs: 1_800_000, retryAfterFailureMs: 1_000 },
      dpopRequired: false,
    });
    // The issuer is kept exactly as written; discovery is looked for under it, as OIDC Discovery §4 says.
    assert.equal(two!.issuer, 'https://id.example.com/realms/staff');
    assert.equal(two!.discoveryUrl?.href, 'https://id.example.com/realms/staff/.well-known/openid-configuration');
    assert.deepEqual([two!.audience, two!.permissionsClaim, two!.algorithms, two!.dpopRequired], [['account', 'api'], '/realm_access/roles', ['RS256', 'ES256'], true]);
    assert.deepEqual(two!.keySet, { timeoutMs: 5_000, cooldownMs: 5_000, maxAgeMs: 60_000, staleMaxMs: 120_000, retryAfterFailureMs: 1_000 });
  });

  it('uses a configured jwksUri as it is, without discovery', () => {
    const [one] = issuersOf([{ ...auth0, jwksUri: 'https://keys.example.com/jwks' }]);
    assert.deepEqual([one!.jwksUri.href, one!.discoveryUrl], ['https://keys.example.com/jwks', undefined]);
  });

  it('is allowed in production', () => {
    assert.equal(issuersOf([auth0], { NODE_ENV: 'production' }).length, 1);
  });

  const bad: Array<[string, string | unknown, RegExp]> = [
    ['bad JSON', '[{"issuer": "https://a.example.com/",}]', /^AUTH_ISSUERS is not valid JSON: /],
    ['an object, not an array', auth0, /^AUTH_ISSUERS must be a JSON array of issuers/],
    ['an empty array', [], /^AUTH_ISSUERS must be a JSON array of issuers/],
    ['an entry that is not an object', [auth0, 'https://b.example.com/'], /^AUTH_ISSUERS entry 2: must be an object/],
    ['a missing issuer', [{ audience: 'a' }], /^AUTH_ISSUERS entry 1: needs "issuer"/],
    ['a missing audience', [{ issuer: 'https://a.example.com/' }], /^AUTH_ISSUERS entry 1: needs "audience"/],
    ['an empty audience list', [{ ...auth0, audience: [] }], /^AUTH_ISSUERS entry 1: needs "audience"/],
    ['a duplicate issuer', [auth0, keycloak, { ...auth0, audience: 'b' }], /^AUTH_ISSUERS entry 3: the issuer "https:\/\/tenant\.eu\.auth0\.com\/" is listed twice$/],
    ['a misspelt field', [{ ...auth0, audiences: 'b' }], /^AUTH_ISSUERS entry 1: has no field "audiences" \(the fields are issuer, audience, /],
    ['a plain-http issuer', [{ ...auth0, issuer: 'http://idp.example.com/' }], /^AUTH_ISSUERS entry 1: "issuer" must use https/],
    ['an issuer that is no URL', [{ ...auth0, issuer: 'tenant' }], /^AUTH_ISSUERS entry 1: "issuer" must be an absolute URL/],
    ['a plain-http jwksUri', [{ ...auth0, jwksUri: 'http://keys.example.com/' }], /^AUTH_ISSUERS entry 1: "jwksUri" must be an https URL/],
    ['a symmetric algorithm', [{ ...auth0, algorithms: ['HS256'] }], /^AUTH_ISSUERS entry 1: "algorithms" must list some of ES256, /],
    ['no algorithm', [{ ...auth0, algorithms: [] }], /^AUTH_ISSUERS entry 1: "algorithms" must list/],
    ['a bad pointer', [{ ...auth0, permissionsClaim: '/realm_access/~roles' }], /^AUTH_ISSUERS entry 1: "permissionsClaim" must be a claim name or an RFC 6901 JSON Pointer/],
    ['a claim that is not a string', [{ ...auth0, permissionsClaim: ['roles'] }], /^AUTH_ISSUERS entry 1: "permissionsClaim" must be a string/],
    ['an unknown timing', [{ ...auth0, keySet: { maxAge: 1 } }], /^AUTH_ISSUERS entry 1: "keySet" has no field "maxAge"/],
    ['a timing out of range', [{ ...auth0, keySet: { timeoutMs: 30_000 } }], /^AUTH_ISSUERS entry 1: "keySet.timeoutMs" must be a whole number from 1 to 5000, got 30000$/],
    ['a stale window below the max age', [{ ...auth0, keySet: { maxAgeMs: 600_000, staleMaxMs: 300_000 } }], /^AUTH_ISSUERS entry 1: "keySet.staleMaxMs" must be at least its maxAgeMs/],
    ['a dpopRequired that is a string', [{ ...auth0, dpopRequired: 'yes' }], /^AUTH_ISSUERS entry 1: "dpopRequired" must be true or false/],
  ];
  for (const [name, list, message] of bad) {
    it(`stops with one line on ${name}`, () => {
      assert.throws(() => issuersOf(list), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.variable, 'AUTH_ISSUERS');
        assert.match(error.message.replace(/^Invalid configuration: /, ''), message);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      });
    });
  }

  for (const variable of ['AUTH0_DOMAIN', 'AUTH0_ISSUER_BASE_URL', 'AUTH0_AUDIENCE', 'PERMISSIONS_CLAIM']) {
    it(`refuses to be combined with ${variable}, naming both`, () => {
      assert.throws(() => issuersOf([auth0], { [variable]: 'tenant.eu.auth0.com' }), {
        message: `Invalid configuration: AUTH_ISSUERS and ${variable} are both set: list every issuer in AUTH_ISSUERS, or remove it and keep the single-issuer variables`,
      });
    });
  }
});

describe('DEV_ISSUERS', () => {
  it('starts one development issuer, or two', () => {
    assert.deepEqual([loadConfig({}).issuers, loadConfig({ DEV_ISSUERS: '2' }).issuers].map((i) => !Array.isArray(i) && i.count), [1, 2]);
  });

  it('is refused with configured issuers, and beyond 2', () => {
    failsOn({ ...tenant, DEV_ISSUERS: '2' }, 'DEV_ISSUERS');
    failsOn({ DEV_ISSUERS: '3' }, 'DEV_ISSUERS');
  });
});
