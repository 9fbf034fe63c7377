import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createIssuerRegistry, dpopRequiredBy, UNKNOWN_ISSUER, type IssuerRegistry } from '../../src/auth/issuer-registry.js';
import { InvalidTokenError } from '../../src/auth/verifier.js';
import { ConfigError, DEFAULT_AUDIENCE, type IssuerConfig } from '../../src/config.js';
import { NO_TELEMETRY } from '../../src/observability/hooks.js';
import { KeySetServer, type SigningKey } from '../../support/key-set-server.js';
import { signRaw } from '../helpers/forge-token.js';
import { captureLogs } from '../helpers/log-capture.js';
import { until } from '../helpers/until.js';
import { TIMINGS } from '../helpers/verifier-clock.js';

function configOf(idp: KeySetServer, overrides: Partial<IssuerConfig> = {}): IssuerConfig {
  return { issuer: idp.issuer, jwksUri: new URL(idp.jwksPath, idp.issuer), audience: DEFAULT_AUDIENCE, permissionsClaim: 'permissions', algorithms: ['RS256'], keySet: TIMINGS, dpopRequired: false, ...overrides };
}

const rejectsWith = (promise: Promise<unknown>, message: string) =>
  assert.rejects(promise, (error: unknown) => error instanceof InvalidTokenError && error.message === message);

describe('the issuer registry', () => {
  let a: KeySetServer;
  let b: KeySetServer;
  let keyA: SigningKey;
  let keyB: SigningKey;
  let registry: IssuerRegistry;
  const lookups: boolean[] = [];
  const logs = captureLogs();
  before(async () => {
    [a, b] = await Promise.all([KeySetServer.start(), KeySetServer.start()]);
    [keyA, keyB] = await Promise.all([a.publish('a-1'), b.publish('b-1')]);
    const telemetry = { ...NO_TELEMETRY, tokenCacheLookup: (hit: boolean) => void lookups.push(hit) };
    registry = await createIssuerRegistry([configOf(a), configOf(b, { dpopRequired: true, permissionsClaim: 'scope_list' })], { cacheSize: 10, log: logs.logger, telemetry });
    await until(() => a.fetches === 1 && b.fetches === 1, 'each key set fetched at start');
  });
  after(() => Promise.all([a.close(), b.close()]));

  it('lists the issuers in configuration order, with what each requires', () => {
    assert.deepEqual(registry.issuers.map(({ config }) => config.issuer), [a.issuer, b.issuer]);
    assert.deepEqual([...dpopRequiredBy(registry)], [[a.issuer, false], [b.issuer, true]]);
    assert.deepEqual(registry.unready(), []);
  });

  it('verifies each token with the issuer its `iss` names, and its claim mapping', async () => {
    const fromA = await registry.verify(await a.accessToken(keyA, { permissions: ['x'] }));
    const fromB = await registry.verify(await b.accessToken(keyB, { scope_list: ['y'], sub: 'auth0|b' }));
    assert.deepEqual([fromA.issuer, [...fromA.permissions]], [a.issuer, ['x']]);
    assert.deepEqual([fromB.issuer, fromB.subject, [...fromB.permissions]], [b.issuer, 'auth0|b', ['y']]);
  });

  it("refuses a token signed with one issuer's key that names another", async () => {
    const fetches = a.fetches;
    await rejectsWith(registry.verify(await b.accessToken(keyA)), 'ERR_JWKS_NO_MATCHING_KEY');
    await rejectsWith(registry.verify(await b.accessToken({ ...keyA, kid: 'b-1' })), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    assert.equal(a.fetches, fetches, "A's keys are never consulted");
  });

  it('refuses an `iss` nobody configured, a missing or non-string one, without fetching anything', async () => {
    const fetches = [a.fetches, b.fetches];
    for (const iss of ['https://elsewhere.example.com/', undefined, 42]) {
      await rejectsWith(registry.verify(await signRaw({ alg: 'RS256', kid: 'a-1' }, { ...a.accessTokenClaims(), iss }, keyA)), UNKNOWN_ISSUER);
    }
    assert.equal(UNKNOWN_ISSUER, 'ERR_JWT_CLAIM_VALIDATION_FAILED iss');
    assert.deepEqual([a.fetches, b.fetches], fetches);
  });

  it("refuses what is no JWT with jose's code", async () => {
    for (const token of ['abc', 'a.b.c', `x.${Buffer.from('[]').toString('base64url')}.y`]) {
      await assert.rejects(registry.verify(token), (error: unknown) => error instanceof InvalidTokenError && error.reason === 'ERR_JWT_INVALID' && error.cause instanceof Error);
    }
  });

  it("answers a token verified before from its issuer's cache, counted once as a hit", async () => {
    const token = await b.accessToken(keyB, { sub: 'auth0|cached' });
    const first = await registry.verify(token);
    lookups.length = 0;
    assert.equal(await registry.verify(token), first);
    assert.deepEqual(lookups, [true]);
  });

  it('tells listeners of a change in any key set until they stop listening, and reloads every key set', async () => {
    let changes = 0;
    const stop = registry.onChange(() => void changes++);
    await b.publish('b-2');
    const fetches = [a.fetches, b.fetches];
    await registry.reload(logs.logger);
    assert.deepEqual([a.fetches, b.fetches], [fetches[0]! + 1, fetches[1]! + 1]);
    assert.equal(changes, 1, 'only B changed');
    await a.publish('a-2');
    stop();
    await registry.reload(logs.logger);
    assert.equal(changes, 1);
  });
});

describe('the issuer registry at start-up', () => {
  it('refuses an issuer listed twice', async () => {
    const idp = await KeySetServer.start();
    try {
      await assert.rejects(createIssuerRegistry([configOf(idp), configOf(idp, { audience: 'other' })], { cacheSize: 0, log: captureLogs().logger }), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.variable, 'AUTH_ISSUERS');
        assert.match(error.message, new RegExp(`lists "${idp.issuer}" twice once discovered`));
        return true;
      });
    } finally {
      await idp.close();
    }
  });

  it("discovers each issuer within its key set's timeout, and logs what it found", async () => {
    const idp = await KeySetServer.start();
    idp.discovery = 'hang';
    const logs = captureLogs();
    try {
      const keySet = { ...TIMINGS, timeoutMs: 50 };
      const registry = await createIssuerRegistry([configOf(idp, { keySet, discoveryUrl: new URL('.well-known/openid-configuration', idp.issuer) })], { cacheSize: 0, log: logs.logger });
      assert.deepEqual(registry.issuers.map(({ config }) => config.issuer), [idp.issuer]);
      assert.ok(logs.lines.some((line) => String(line['msg']).startsWith('issuer metadata') && line['issuer'] === idp.issuer));
    } finally {
      await idp.close();
    }
  });

  it('starts while an issuer is down, warns, and tells it unready until a fetch may be tried again', async () => {
    const [up, down] = await Promise.all([KeySetServer.start(), KeySetServer.start()]);
    const key = await up.publish('up-1');
    await down.refuseConnections();
    const logs = captureLogs();
    try {
      const timings = { ...TIMINGS, retryAfterFailureMs: 60_000 };
      const registry = await createIssuerRegistry([configOf(up), configOf(down, { keySet: timings })], { cacheSize: 0, log: logs.logger });
      await until(() => registry.unready().length > 0, 'the failed fetch');
      assert.deepEqual(registry.unready(), [down.issuer]);
      const warning = logs.lines.find((line) => line['msg'] === 'key set not reachable yet');
      assert.deepEqual([warning?.['level'], warning?.['issuer']], [40, down.issuer]);
      assert.ok((warning?.['err'] as { message?: string } | undefined)?.message);
      assert.equal((await registry.verify(await up.accessToken(key))).issuer, up.issuer, 'the other issuer is served');
    } finally {
      await Promise.all([up.close(), down.close()]);
    }
  });
});
