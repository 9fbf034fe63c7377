import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import type { Principal } from '../../src/auth/principal.js';
import { loadConfig } from '../../src/config.js';
import { callerIdentity } from '../../src/limits/caller-identity.js';

/** What proxy-addr reads of a request: its peer and its X-Forwarded-For. */
function request(peer: string, forwardedFor?: string): IncomingMessage {
  return { socket: { remoteAddress: peer }, connection: { remoteAddress: peer }, headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} } as unknown as IncomingMessage;
}

function principal(issuer: string, subject: string | undefined): Principal {
  return { issuer, subject, permissions: new Set(), expiresAt: Infinity, notBefore: undefined };
}

describe('callerIdentity', () => {
  const both = loadConfig({ RATE_LIMIT: '10/60', RATE_LIMIT_ANONYMOUS: '5/60', TRUSTED_PROXIES: '10.0.0.1' }).rateLimits;
  const callerOf = callerIdentity(both);

  it('tells apart the same subject at two issuers', () => {
    const a = callerOf(principal('https://a.example.com/', 'user'), request('198.51.100.1'));
    const b = callerOf(principal('https://b.example.com/', 'user'), request('198.51.100.1'));
    assert.equal(a?.policy.name, 'authenticated');
    assert.notEqual(a?.key, b?.key);
    assert.equal(a?.key, callerOf(principal('https://a.example.com/', 'user'), request('203.0.113.9'))?.key, 'the address does not matter');
  });

  it('keys a token by its issuer and subject, and an address by itself, never mixing the two', () => {
    assert.equal(callerOf(principal('https://a.example.com/', 'user'), request('198.51.100.1'))?.key, 'token https://a.example.com/ user');
    assert.equal(callerOf({ ...principal('', 'user'), issuer: undefined }, request('198.51.100.1'))?.key, 'token  user');
    assert.equal(callerOf(principal('https://a.example.com/', undefined), request('198.51.100.1'))?.key, 'address 198.51.100.1');
    assert.deepEqual(callerOf(null, request('198.51.100.1')), { policy: { name: 'anonymous', quota: { points: 5, windowS: 60 }, header: '"anonymous";q=5;w=60' }, key: '198.51.100.1' });
  });

  it('charges a token without `sub` to its address, under the authenticated quota', () => {
    const caller = callerOf(principal('https://a.example.com/', undefined), request('198.51.100.1'));
    assert.equal(caller?.policy.name, 'authenticated');
    assert.match(caller?.key ?? '', /198\.51\.100\.1/);
  });

  it('reads X-Forwarded-For only from a trusted peer, from the right', () => {
    assert.equal(callerOf(null, request('10.0.0.1', '1.1.1.1, 203.0.113.9'))?.key, '203.0.113.9');
    assert.equal(callerOf(null, request('10.0.0.2', '203.0.113.9'))?.key, '10.0.0.2');
  });

  it('applies no quota where none is set', () => {
    const anonymousOnly = callerIdentity(loadConfig({ RATE_LIMIT_ANONYMOUS: '5/60' }).rateLimits);
    assert.equal(anonymousOnly(principal('https://a.example.com/', 'user'), request('198.51.100.1')), undefined);
    assert.equal(anonymousOnly(null, request('198.51.100.1'))?.policy.name, 'anonymous');
    const authenticatedOnly = callerIdentity(loadConfig({ RATE_LIMIT: '10/60' }).rateLimits);
    assert.equal(authenticatedOnly(null, request('198.51.100.1')), undefined);
    assert.deepEqual(authenticatedOnly(principal('https://a.example.com/', 'user'), request('198.51.100.1'))?.policy, { name: 'authenticated', quota: { points: 10, windowS: 60 }, header: '"authenticated";q=10;w=60' });
  });
});
