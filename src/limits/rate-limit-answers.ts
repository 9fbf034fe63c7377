import type { ServerResponse } from 'node:http';
import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { Quota } from '../config.js';
import { ErrorCode, ErrorMessage, httpStatusOf } from '../errors.js';
import type { Count } from './quota-counter.js';

/** A quota by the name clients see in the headers: `authenticated` or `anonymous`. */
export interface Policy {
  name: 'authenticated' | 'anonymous';
  quota: Quota;
  /** Its `RateLimit-Policy` header, the same on every answer. */
  header: string;
}

export function policyOf(name: Policy['name'], quota: Quota): Policy {
  return { name, quota, header: `"${name}";q=${quota.points};w=${quota.windowS}` };
}

/** How long a client waits while the shared counters are down and the server fails closed. */
const STORE_RETRY_AFTER_S = 5;

/**
 * The IETF headers (draft-ietf-httpapi-ratelimit-headers, as structured-field lists): the policy,
 * its quota `q` in cost points per window `w`, and where the caller stands, `r` points remaining
 * for `t` seconds. Written on every response a quota applies to, allowed or not.
 */
export function writeRateLimitHeaders(res: ServerResponse, policy: Policy, count: Count): void {
  res.setHeader('ratelimit-policy', policy.header);
  res.setHeader('ratelimit', `"${policy.name}";r=${count.remaining};t=${secondsOf(count.resetMs)}`);
}

/** Over quota: 429 with `Retry-After`, no data. */
export function rateLimitedError(count: Count): GraphQLError {
  return answerError(ErrorCode.RATE_LIMITED, ErrorMessage.RATE_LIMITED, Math.max(secondsOf(count.resetMs), 1));
}

/** `RATE_LIMIT_ON_STORE_FAILURE=closed` while Redis is down: 503, try again shortly. */
export function quotaUnavailableError(): GraphQLError {
  return answerError(ErrorCode.RATE_LIMIT_UNAVAILABLE, ErrorMessage.RATE_LIMIT_UNAVAILABLE, STORE_RETRY_AFTER_S);
}

function answerError(code: ErrorCode, message: string, retryAfterS: number): GraphQLError {
  const headers = new HeaderMap([['retry-after', String(retryAfterS)]]);
  return new GraphQLError(message, { extensions: { code, http: { status: httpStatusOf[code], headers } } });
}

function secondsOf(ms: number): number {
  return Math.ceil(ms / 1000);
}
