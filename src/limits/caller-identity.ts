import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';
import type { Principal } from '../auth/principal.js';
import type { RateLimitSettings } from '../config.js';
import { policyOf, type Policy } from './rate-limit-answers.js';

/** Whom a request is charged to, under which quota; the key never leaves the counters. */
export interface Caller {
  policy: Policy;
  key: string;
}

export type CallerOf = (principal: Principal | null, req: IncomingMessage) => Caller | undefined;

/**
 * A verified token's caller is its issuer and `sub`; anyone else, a request without a token or
 * with one that failed, is its client address. The address is the peer's, unless the peer is a
 * trusted proxy: then proxy-addr reads `X-Forwarded-For` from the right, as Express's `trust
 * proxy` does, and stops at the first address it does not trust. A token without a `sub` is
 * charged to its address, under the authenticated quota. Undefined when no quota applies.
 */
export function callerIdentity(settings: RateLimitSettings): CallerOf {
  const trust = proxyAddr.compile(settings.trustedProxies);
  const authenticated: Policy | undefined = settings.authenticated && policyOf('authenticated', settings.authenticated);
  const anonymous: Policy | undefined = settings.anonymous && policyOf('anonymous', settings.anonymous);
  return (principal, req) => {
    if (!principal) return anonymous && { policy: anonymous, key: proxyAddr(req, trust) };
    if (!authenticated) return undefined;
    const key = principal.subject === undefined ? `address ${proxyAddr(req, trust)}` : `token ${principal.issuer ?? ''} ${principal.subject}`;
    return { policy: authenticated, key };
  };
}
