import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { ContextBuilder } from '../../src/auth/context.js';
import { authFailureError, challengeOptionsOf } from '../../src/errors.js';
import { authenticateConnection } from '../../src/subscriptions/connection-auth.js';

const log = pino({ level: 'silent' });
const challenge = challengeOptionsOf({ algorithms: ['ES256'], required: false });
const failing = (error: unknown): ContextBuilder => async () => {
  throw error;
};

describe('authenticateConnection', () => {
  it('maps each way the context builder fails to a close code, and never lets an error through', async () => {
    const cases: Array<[ContextBuilder, unknown, number]> = [
      [failing(authFailureError('invalid_token', challenge)), 'Bearer x', 4401],
      [failing(authFailureError('invalid_request', challenge)), 'Basic x', 4401],
      [failing(authFailureError('unavailable', challenge)), 'Bearer x', 1013],
      [failing(new TypeError('bug')), 'Bearer x', 1011],
      [async () => ({ principal: null, log }), 42, 4401],
    ];
    for (const [buildContext, authorization, code] of cases) {
      const outcome = await authenticateConnection(buildContext, authorization, log);
      assert.ok('refuse' in outcome);
      assert.equal(outcome.refuse.code, code, String(authorization));
    }
  });

  it('passes no Authorization header when the payload has none, so the caller is anonymous', async () => {
    let seen: unknown;
    const outcome = await authenticateConnection(async (request) => ((seen = request.headers), { principal: null, log }), undefined, log);
    assert.deepEqual(seen, {});
    assert.ok('context' in outcome && outcome.context.principal === null);
  });
});
