import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { ADMIN, startHarness, type Harness } from '../helpers/harness.js';
import { signRaw } from '../helpers/forge-token.js';
import { until } from '../helpers/until.js';

/**
 * Faults of the identity provider beyond those in key-set.test.ts: a refused connection, keys
 * outliving their age during an outage, and refetch storms under the real default timings.
 */
const ADMIN_QUERY = '{ adminMessage { text } }';
const ADMIN_DATA = { adminMessage: { text: 'This is an admin message.' } };
const UNAVAILABLE = { errors: [{ message: 'Unable to verify credentials', extensions: { code: 'AUTH_UNAVAILABLE' } }] };
/** The defaults a deployment runs with; the harness shortens them for the other tests. */
const REAL_TIMINGS = { JWKS_TIMEOUT_MS: '5000', JWKS_COOLDOWN_MS: '30000', JWKS_RETRY_AFTER_FAILURE_MS: '1000' };
const STORM = 200;

async function withHarness(env: Record<string, string>, test: (h: Harness) => Promise<void>, fault?: 'status-500') {
  const h = await startHarness(env, fault ? { fault } : {});
  try {
    await test(h);
  } finally {
    await h.close();
  }
}

/** A token that is valid in every way except that its `kid` is random. */
function randomKidToken(h: Harness): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return signRaw(
    { alg: 'RS256', typ: 'JWT', kid: randomUUID() },
    { iss: h.idp.issuer, aud: h.config.issuers[0]!.audience, sub: 'auth0|storm', exp: now + 600, permissions: [ADMIN] },
    h.key,
  );
}

async function storm(h: Harness): Promise<number[]> {
  const tokens = await Promise.all(Array.from({ length: STORM }, () => randomKidToken(h)));
  return Promise.all(tokens.map(async (token) => (await h.graphql(ADMIN_QUERY, token)).status));
}

describe('identity provider faults', () => {
  it('answers 503 when connections are refused, serves the anonymous, and recovers by itself', () =>
    withHarness(
      { TOKEN_CACHE_SIZE: '0' },
      async (h) => {
        await h.idp.refuseConnections();
        h.idp.fault = 'ok';
        const token = await h.token({ permissions: [ADMIN] });
        const denied = await h.graphql(ADMIN_QUERY, token);
        assert.equal(denied.status, 503);
        assert.deepEqual(denied.body, UNAVAILABLE);
        assert.equal(denied.headers.get('retry-after'), '5');

        const anonymous = await h.graphql('{ publicMessage { text } }');
        assert.deepEqual(anonymous.body.data, { publicMessage: { text: 'This is a public message.' } });

        await h.idp.acceptConnections();
        assert.deepEqual((await h.graphql(ADMIN_QUERY, token)).body.data, ADMIN_DATA);
      },
      'status-500',
    ));

  it('keeps cached keys working through an outage past their normal lifetime, then refreshes them', (t) =>
    withHarness({ TOKEN_CACHE_SIZE: '0', JWKS_MAX_AGE_MS: '1000' }, async (h) => {
      // The key set's clock is Date.now(): moved forward here rather than waited for.
      t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
      const token = await h.token({ permissions: [ADMIN] });
      assert.deepEqual((await h.graphql(ADMIN_QUERY, token)).body.data, ADMIN_DATA);

      await h.idp.refuseConnections();
      t.mock.timers.tick(1_500);
      const attempts = h.app.verifier.issuers[0]!.keySet.fetches;
      for (let i = 0; i < 3; i += 1) {
        assert.deepEqual((await h.graphql(ADMIN_QUERY, token)).body.data, ADMIN_DATA, 'keys older than JWKS_MAX_AGE_MS still verify');
      }
      assert.ok(h.app.verifier.issuers[0]!.keySet.fetches > attempts, 'a background refresh was attempted');

      await h.idp.acceptConnections();
      const served = h.idp.fetches;
      await until(async () => {
        assert.deepEqual((await h.graphql(ADMIN_QUERY, token)).body.data, ADMIN_DATA);
        return h.idp.fetches > served;
      }, 'the keys were refreshed once the provider was back');
      t.diagnostic(`background refreshes attempted: ${h.app.verifier.issuers[0]!.keySet.fetches - attempts}`);
    }));

  describe(`a refetch storm of ${STORM} tokens with random kids`, () => {
    it('costs no fetch within the default cooldown after the start-up fetch', (t) =>
      withHarness(REAL_TIMINGS, async (h) => {
        // Date.now() stands still, so however slow the machine, the storms land within the cooldown.
        t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
        await h.graphql(ADMIN_QUERY, await h.token({ permissions: [ADMIN] }));
        const before = h.idp.fetches;
        const statuses = [...(await storm(h)), ...(await storm(h))];
        assert.deepEqual(new Set(statuses), new Set([401]));
        t.diagnostic(`requests: ${statuses.length}, key-set fetches: ${h.idp.fetches - before}`);
        assert.equal(h.idp.fetches - before, 0);
      }));

    it('costs one coalesced fetch once the cooldown has passed', (t) =>
      withHarness(REAL_TIMINGS, async (h) => {
        // Date.now() stands still but for the tick, so the whole storm lands within the next cooldown.
        t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
        await h.graphql(ADMIN_QUERY, await h.token({ permissions: [ADMIN] }));
        t.mock.timers.tick(Number(REAL_TIMINGS.JWKS_COOLDOWN_MS));
        const before = h.idp.fetches;
        const statuses = await storm(h);
        assert.deepEqual(new Set(statuses), new Set([401]));
        t.diagnostic(`requests: ${statuses.length}, key-set fetches: ${h.idp.fetches - before}`);
        assert.equal(h.idp.fetches - before, 1);
      }));

    for (const outage of ['answers 500', 'refuses connections'] as const) {
      it(`costs one fetch per retry pause while the provider ${outage} and no key was ever fetched`, (t) =>
        withHarness(
          REAL_TIMINGS,
          async (h) => {
            // Date.now() moves only when told, so each storm lands within one retry pause however slow the machine.
            t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
            const pause = Number(REAL_TIMINGS.JWKS_RETRY_AFTER_FAILURE_MS);
            if (outage === 'refuses connections') await h.idp.refuseConnections();
            // The start-up fetch runs in the background: joined here, so that it has failed.
            await h.app.verifier.issuers[0]!.keySet.refresh().catch(() => undefined);
            const before = h.app.verifier.issuers[0]!.keySet.fetches;
            t.mock.timers.tick(pause);
            const first = await storm(h);
            t.mock.timers.tick(pause);
            const second = await storm(h);
            assert.deepEqual(new Set([...first, ...second]), new Set([503]));
            const attempts = h.app.verifier.issuers[0]!.keySet.fetches - before;
            t.diagnostic(`requests: ${first.length + second.length}, key-set fetch attempts: ${attempts}`);
            assert.equal(attempts, 2, 'one fetch for each storm, each after a retry pause');
          },
          'status-500',
        ));
    }
  });
});
