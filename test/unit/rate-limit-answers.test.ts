import assert from 'node:assert/strict';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { describe, it } from 'node:test';
import type { HTTPGraphQLHead } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import { policyOf, quotaUnavailableError, rateLimitedError, writeRateLimitHeaders } from '../../src/limits/rate-limit-answers.js';

const policy = policyOf('anonymous', { points: 30, windowS: 60 });

/** A real response that is never sent: its headers are what the client would read. */
function response(): ServerResponse {
  return new ServerResponse(new IncomingMessage(new Socket()));
}

/** Status, `Retry-After` and code of an answer, as the transports send them. */
function answered(error: GraphQLError): [number | undefined, string | undefined, unknown, string] {
  const http = error.extensions['http'] as HTTPGraphQLHead;
  return [http.status, http.headers.get('retry-after'), error.extensions['code'], error.message];
}

describe('the rate-limit headers', () => {
  it('name the policy, its quota and window, and where the caller stands in whole seconds, rounded up', () => {
    const res = response();
    writeRateLimitHeaders(res, policy, { allowed: true, remaining: 7, resetMs: 12_001 });
    assert.equal(res.getHeader('ratelimit-policy'), '"anonymous";q=30;w=60');
    assert.equal(res.getHeader('ratelimit'), '"anonymous";r=7;t=13');
  });

  it('say 0 seconds once the window has ended', () => {
    const res = response();
    writeRateLimitHeaders(res, policyOf('authenticated', policy.quota), { allowed: true, remaining: 0, resetMs: 0 });
    assert.equal(res.getHeader('ratelimit'), '"authenticated";r=0;t=0');
  });
});

describe('the refusals', () => {
  it('429: retry once the window ends, rounded up to a second', () => {
    assert.deepEqual(answered(rateLimitedError({ allowed: false, remaining: 0, resetMs: 1_500 })), [429, '2', 'RATE_LIMITED', 'Too Many Requests']);
    assert.deepEqual(answered(rateLimitedError({ allowed: false, remaining: 0, resetMs: 3_000 })), [429, '3', 'RATE_LIMITED', 'Too Many Requests']);
  });

  it('429: never tells a client to retry after 0 seconds', () => {
    assert.equal(answered(rateLimitedError({ allowed: false, remaining: 0, resetMs: 0 }))[1], '1');
  });

  it('503 while the shared counters are down: retry in 5 seconds', () => {
    assert.deepEqual(answered(quotaUnavailableError()), [503, '5', 'RATE_LIMIT_UNAVAILABLE', 'Service Unavailable']);
  });
});
