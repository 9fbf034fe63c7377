import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createContextBuilder, type AuthRequest } from '../../src/auth/context.js';
import { NonceSource } from '../../src/auth/dpop/nonce.js';
import { ReplayStoreUnavailableError } from '../../src/auth/dpop/replay-store.js';
import { createSenderConstraint, DPOP_DEFAULTS, type ProofCarrier } from '../../src/auth/dpop/sender-constraint.js';
import { KeySetUnavailableError } from '../../src/auth/key-set.js';
import type { Principal } from '../../src/auth/principal.js';
import { InvalidTokenError, NOT_CANONICAL } from '../../src/auth/verifier.js';
import { createDpopKey, createProof } from '../../src/dev/dpop-proof.js';
import { runPolicies } from '../../src/directives/policy-check.js';
import { buildSchema } from '../../src/graphql/schema.js';
import { POLICY_TIMEOUT_MS, type Policy } from '../../src/policies.js';
import { captureLogs } from '../helpers/log-capture.js';
import { recordingTelemetry } from '../helpers/recording-telemetry.js';
import { principal, run } from '../helpers/run-schema.js';
import { startClockedVerifier, type ClockedVerifier } from '../helpers/verifier-clock.js';

/** What each deciding module reports through the hooks, and when: the counts of docs/observability.md at their source. */

const ADMIN = 'read:admin-messages';
const refused = (promise: Promise<unknown>) => promise.then(() => assert.fail('accepted'), () => undefined);

describe('the verifier and its key set report', () => {
  const telemetry = recordingTelemetry();
  let c: ClockedVerifier;
  before(async () => {
    c = await startClockedVerifier({ telemetry });
  });
  after(() => c.close());

  it('a cache miss, the verification and the key-set fetch it caused with the keys fetched, then a hit', async () => {
    const token = await c.token();
    await c.verifier.verify(token);
    // The first keys of all are a change of keys, so that verification is looked up and done again.
    const fetched = ['cache miss', 'span auth.verify_token', 'span auth.jwks_fetch', 'fetch success 1'];
    assert.deepEqual(telemetry.take(), [...fetched, 'cache miss', 'span auth.verify_token']);
    await c.verifier.verify(token);
    assert.deepEqual(telemetry.take(), ['cache hit']);
  });

  it('a failed fetch', async () => {
    c.idp.fault = 'status-500';
    await refused(c.verifier.keySet.refresh({ force: true }));
    c.idp.fault = 'ok';
    assert.deepEqual(telemetry.take(), ['span auth.jwks_fetch', 'fetch failure']);
  });

  it("a refusal's reason as the error code its message starts with", async () => {
    const expired = await c.token({ exp: Math.floor(c.clock.now / 1000) - 60 });
    const error = await c.verifier.verify(expired).then(() => assert.fail('accepted'), (e: unknown) => e);
    assert.ok(error instanceof InvalidTokenError);
    assert.equal(error.reason, 'ERR_JWT_EXPIRED');
    assert.equal(new InvalidTokenError(NOT_CANONICAL).reason, 'ERR_TOKEN_NOT_CANONICAL');
    assert.equal(new InvalidTokenError('ERR_JWT_CLAIM_VALIDATION_FAILED aud').reason, 'ERR_JWT_CLAIM_VALIDATION_FAILED');
    assert.equal(new InvalidTokenError('not a code').reason, 'ERR_JWT_INVALID');
  });
});

describe('the context builder reports each refusal by reason', () => {
  const telemetry = recordingTelemetry();
  let c: ClockedVerifier;
  before(async () => {
    c = await startClockedVerifier();
  });
  after(() => c.close());

  const request = (authorization: string | undefined, rawHeaders = authorization === undefined ? [] : ['Authorization', authorization]): AuthRequest => ({
    method: 'POST',
    url: '/graphql',
    headers: authorization === undefined ? {} : { authorization },
    rawHeaders,
    log: captureLogs().logger,
  });

  it('misplaced, malformed, a jose code, an unavailable key set; nothing for an anonymous request', async () => {
    const build = createContextBuilder(c.verifier, undefined, telemetry);
    const token = await c.token();
    await build(request(undefined));
    assert.deepEqual(telemetry.take(), []);
    await refused(build(request(`Bearer ${token}`, ['Authorization', `Bearer ${token}`, 'authorization', `Bearer ${token}`])));
    await refused(build(request('Bearer a b')));
    await refused(build(request(`Bearer ${await c.token({ exp: Math.floor(c.clock.now / 1000) - 60 })}`)));
    const unavailable = createContextBuilder({ verify: () => Promise.reject(new KeySetUnavailableError('down')) }, undefined, telemetry);
    await refused(unavailable(request(`Bearer ${token}`)));
    assert.deepEqual(telemetry.take(), ['rejected misplaced', 'rejected malformed', 'rejected ERR_JWT_EXPIRED', 'rejected key_set_unavailable']);
  });
});

describe('the DPoP check reports each proof and each refusal', async () => {
  const TOKEN = 'a.bound.token';
  const key = await createDpopKey();
  const bound = (jkt: string | undefined): Principal => ({ subject: 'auth0|unit', issuer: undefined, permissions: new Set(), expiresAt: 2e9, notBefore: undefined, confirmation: { jkt } });
  const carrier = async (nonce?: string): Promise<ProofCarrier> => ({
    method: 'POST',
    url: '/graphql',
    headers: { host: 'api.test' },
    rawHeaders: ['DPoP', await createProof(key, { method: 'POST', url: 'http://api.test/graphql', accessToken: TOKEN, ...(nonce ? { nonce } : {}) })],
  });
  const dpop = { scheme: 'dpop' as const, token: TOKEN };

  it('valid, then the same proof replayed', async () => {
    const telemetry = recordingTelemetry();
    const check = createSenderConstraint(DPOP_DEFAULTS, { telemetry });
    const request = await carrier();
    await check.check(request, dpop, bound(key.thumbprint));
    await refused(check.check(request, dpop, bound(key.thumbprint)));
    assert.deepEqual(telemetry.take(), ['span auth.dpop_proof', 'dpop valid', 'span auth.dpop_proof', 'rejected invalid_dpop_proof', 'dpop replayed']);
  });

  it('a proof from another key, and a request without a proof, as invalid', async () => {
    const telemetry = recordingTelemetry();
    const check = createSenderConstraint(DPOP_DEFAULTS, { telemetry });
    await refused(check.check(await carrier(), dpop, bound('another-thumbprint')));
    await refused(check.check({ ...(await carrier()), rawHeaders: [] }, dpop, bound(key.thumbprint)));
    assert.deepEqual(telemetry.take(), ['span auth.dpop_proof', 'rejected invalid_dpop_proof', 'dpop invalid', 'span auth.dpop_proof', 'rejected invalid_dpop_proof', 'dpop invalid']);
  });

  it('a token used against its binding, before any proof is looked at', async () => {
    const telemetry = recordingTelemetry();
    const check = createSenderConstraint({ ...DPOP_DEFAULTS, required: true }, { telemetry });
    await refused(check.check(await carrier(), { scheme: 'bearer', token: TOKEN }, bound(key.thumbprint)));
    await refused(check.check(await carrier(), { scheme: 'bearer', token: TOKEN }, { ...bound(undefined), confirmation: undefined }));
    await refused(check.check(await carrier(), dpop, { ...bound(undefined), confirmation: undefined }));
    assert.deepEqual(telemetry.take(), ['rejected dpop_binding', 'rejected dpop_binding', 'rejected dpop_binding']);
  });

  it('a missing nonce, and a replay store that cannot answer', async () => {
    const telemetry = recordingTelemetry();
    const nonces = createSenderConstraint(DPOP_DEFAULTS, { telemetry, nonces: new NonceSource() });
    await refused(nonces.check(await carrier(), dpop, bound(key.thumbprint)));
    const broken = createSenderConstraint(DPOP_DEFAULTS, {
      telemetry,
      replayStore: { claim: () => Promise.reject(new ReplayStoreUnavailableError('down')), close: async () => undefined },
    });
    await refused(broken.check(await carrier(), dpop, bound(key.thumbprint)));
    assert.deepEqual(telemetry.take(), [
      'span auth.dpop_proof',
      'rejected use_dpop_nonce',
      'dpop invalid',
      'span auth.dpop_proof',
      'rejected replay_store_unavailable',
      'dpop store_unavailable',
    ]);
  });
});

describe('the guards report one decision per guarded field resolution', () => {
  const telemetry = recordingTelemetry();
  const schema = buildSchema(undefined, { telemetry });

  it('unauthenticated, forbidden and granted by token, once per alias', async () => {
    telemetry.take();
    await run(schema, '{ adminMessage { text } }', null);
    await run(schema, '{ adminMessage { text } }', principal());
    await run(schema, '{ a: adminMessage { text } b: adminMessage { text } publicMessage { text } }', principal(ADMIN));
    assert.deepEqual(telemetry.take(), [
      'decision Query.adminMessage unauthenticated',
      'decision Query.adminMessage forbidden',
      'decision Query.adminMessage granted',
      'decision Query.adminMessage granted',
    ]);
  });

  it("a policy's evaluation, with its span, before the field's decision", async () => {
    telemetry.take();
    // principal() is `auth0|u`, who owns neither note; an administrator reads both.
    await run(schema, '{ notes { body } }', principal());
    assert.deepEqual(telemetry.take(), [
      'decision Query.notes granted',
      'span authz.policy noteOwnerOrAdmin',
      'span authz.policy noteOwnerOrAdmin',
      'policy noteOwnerOrAdmin deny',
      'policy noteOwnerOrAdmin deny',
      'decision Note.body forbidden',
      'decision Note.body forbidden',
    ]);
  });
});

describe('the policy runner reports each result', () => {
  const context = { principal: null, log: captureLogs().logger };
  const input = { principal: null, parent: {}, args: {}, context };

  it('allow, deny, error', async () => {
    const telemetry = recordingTelemetry();
    const throwing: Policy = () => {
      throw new Error('down');
    };
    await runPolicies('Note.body', [['yes', () => true], ['no', () => false]], input, telemetry);
    await runPolicies('Note.body', [['broken', throwing]], input, telemetry);
    assert.deepEqual(telemetry.take(), ['span authz.policy yes', 'policy yes allow', 'span authz.policy no', 'policy no deny', 'span authz.policy broken', 'policy broken error']);
  });

  it('timeout', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const telemetry = recordingTelemetry();
    const pending = runPolicies('Note.body', [['slow', () => new Promise<boolean>(() => {})]], input, telemetry);
    await Promise.resolve();
    t.mock.timers.tick(POLICY_TIMEOUT_MS);
    await pending;
    assert.deepEqual(telemetry.take(), ['span authz.policy slow', 'policy slow timeout']);
  });
});
