import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GraphQLError } from 'graphql';
import { createContextBuilder, type AuthRequest } from '../../src/auth/context.js';
import { KeySetUnavailableError } from '../../src/auth/key-set.js';
import { principalFrom } from '../../src/auth/principal.js';
import { captureLogs, type CapturedLogs } from '../helpers/log-capture.js';
import { startClockedVerifier, T0, type ClockedVerifier } from '../helpers/verifier-clock.js';

/** The context builder over a real verifier: what it answers, and what it logs, for each kind of credential. */
describe('createContextBuilder', () => {
  let c: ClockedVerifier;
  let logs: CapturedLogs;
  before(async () => {
    c = await startClockedVerifier();
  });
  after(() => c.close());

  function request(authorization?: string, extra: Partial<AuthRequest> = {}): AuthRequest {
    logs = captureLogs();
    const headers = authorization === undefined ? {} : { authorization };
    const rawHeaders = authorization === undefined ? [] : ['Authorization', authorization];
    return { method: 'POST', url: '/graphql', headers, rawHeaders, log: logs.logger, ...extra };
  }
  const build = (req: AuthRequest) => createContextBuilder(c.verifier)(req);

  async function rejection(req: AuthRequest): Promise<{ code: unknown; status: unknown; reason: unknown; level: unknown }> {
    const error = await build(req).then(
      () => assert.fail('accepted'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof GraphQLError);
    const [line, ...more] = logs.lines;
    assert.equal(more.length, 0);
    assert.equal(line!['msg'], 'credentials rejected');
    return { code: error.extensions['code'], status: (error.extensions['http'] as { status: number }).status, reason: line!['reason'], level: line!['level'] };
  }

  it('makes an anonymous context without a header, and logs nothing', async () => {
    const req = request();
    assert.deepEqual(await build(req), { principal: null, log: req.log, trace: undefined });
    assert.deepEqual(logs.lines, []);
  });

  it('makes the principal of a valid token, and logs nothing', async () => {
    const req = request(`Bearer ${await c.token({ sub: 'auth0|alice' })}`);
    assert.equal((await build(req)).principal?.subject, 'auth0|alice');
    assert.deepEqual(logs.lines, []);
  });

  it("logs jose's reason for a rejected token at info, never the token", async () => {
    const expired = await c.token({ exp: T0 / 1000 - 60 });
    assert.deepEqual(await rejection(request(`Bearer ${expired}`)), { code: 'UNAUTHENTICATED', status: 401, reason: 'ERR_JWT_EXPIRED', level: 30 });
    assert.ok(!logs.raw().includes(expired.split('.')[1]!));
    const foreign = await c.token({ iss: 'https://elsewhere.example.com/' });
    assert.deepEqual(await rejection(request(`Bearer ${foreign}`)), {
      code: 'UNAUTHENTICATED',
      status: 401,
      reason: 'ERR_JWT_CLAIM_VALIDATION_FAILED iss',
      level: 30,
    });
  });

  it('rejects a malformed header with 401 and says so in the log', async () => {
    assert.deepEqual(await rejection(request('Bearer a b')), { code: 'UNAUTHENTICATED', status: 401, reason: 'malformed bearer credentials', level: 30 });
  });

  it('rejects credentials in the URL or twice with 400, before looking at the token', async () => {
    const valid = `Bearer ${await c.token()}`;
    assert.deepEqual(await rejection(request(valid, { url: '/graphql?x=1&access_token=abc' })), {
      code: 'BAD_REQUEST',
      status: 400,
      reason: 'access_token in the query string',
      level: 30,
    });
    assert.deepEqual(await rejection(request(valid, { rawHeaders: ['authorization', valid, 'Host', 'x', 'AUTHORIZATION', valid] })), {
      code: 'BAD_REQUEST',
      status: 400,
      reason: 'credentials in more than one header',
      level: 30,
    });
    assert.equal((await build(request(valid, { url: '/graphql?token=access_token' }))).principal?.subject, 'auth0|one');
    assert.equal((await build(request(valid, { url: '/access_token/graphql&access_token' }))).principal?.subject, 'auth0|one', 'a path is no query');
    // Other names, of the same length (`Cache-Control`) or containing it, are not a second header.
    const others = ['authorization', valid, 'x-authorization', valid, 'Cache-Control', 'no-cache'];
    assert.equal((await build(request(valid, { rawHeaders: others }))).principal?.subject, 'auth0|one');
  });

  it('answers 503 when the key set is unavailable', async () => {
    const unavailable = createContextBuilder({ verify: () => Promise.reject(new KeySetUnavailableError('down')) });
    const error = await unavailable(request('Bearer a.b.c')).catch((e: unknown) => e);
    assert.ok(error instanceof GraphQLError);
    assert.equal((error.extensions['http'] as { status: number }).status, 503);
  });

  it('lets an unexpected verifier error through unchanged, for a 500 rather than a 503 or a 401', async () => {
    const bug = new RangeError('a bug in the verifier');
    const faulty = createContextBuilder({ verify: () => Promise.reject(bug) });
    await assert.rejects(faulty(request('Bearer a.b.c')), (error) => error === bug);
  });
});

describe('principalFrom', () => {
  it('ignores a sub that is not a string', () => {
    for (const sub of [42, ['auth0|alice'], { id: 'auth0|alice' }, null]) {
      assert.equal(principalFrom({ sub: sub as unknown as string, exp: 1 }).subject, undefined);
    }
    assert.equal(principalFrom({ sub: 'auth0|alice', exp: 1 }).subject, 'auth0|alice');
  });

  it('keeps the issuer, and the token bounds for the cache', () => {
    assert.deepEqual(principalFrom({ iss: 'https://id.example.com/', exp: 20, nbf: 10 }), {
      issuer: 'https://id.example.com/',
      subject: undefined,
      permissions: new Set(),
      expiresAt: 20,
      notBefore: 10,
      confirmation: undefined,
    });
  });
});
