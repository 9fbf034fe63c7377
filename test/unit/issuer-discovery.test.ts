import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { discoverIssuer } from '../../src/auth/discovery.js';
import type { IssuerConfig } from '../../src/config.js';
import { KeySetServer } from '../../support/key-set-server.js';
import { captureLogs, type CapturedLogs } from '../helpers/log-capture.js';

/** `discoverIssuer` against a real loopback provider; the end-to-end cases are in test/integration/issuer-discovery.test.ts. */
describe('discoverIssuer', () => {
  let idp: KeySetServer;
  let logs: CapturedLogs;
  let derived: Pick<IssuerConfig, 'issuer' | 'jwksUri' | 'audience' | 'discoveryUrl'>;
  beforeEach(async () => {
    idp = await KeySetServer.start();
    logs = captureLogs();
    derived = {
      issuer: idp.issuer,
      jwksUri: new URL('.well-known/jwks.json', idp.issuer),
      audience: 'https://api.example.com',
      discoveryUrl: new URL('.well-known/openid-configuration', idp.issuer),
    };
  });
  afterEach(() => idp.close());

  const discover = (issuer = derived, timeoutMs = 1_000) => discoverIssuer(issuer, { timeoutMs, log: logs.logger });
  const logged = () => logs.lines.map((l) => [l['level'], l['msg'], l['source'], l['issuer'], l['jwksUri'], l['reason']]);

  it('takes the issuer and the key-set URL from the document, and logs them at info', async () => {
    idp.discovery = { issuer: idp.issuer.slice(0, -1), jwks_uri: `${idp.issuer}keys` };
    const found = await discover();
    assert.deepEqual([found.issuer, found.jwksUri.href, found.audience], [idp.issuer.slice(0, -1), `${idp.issuer}keys`, 'https://api.example.com']);
    assert.deepEqual(logged(), [[30, 'issuer metadata', 'discovery', idp.issuer.slice(0, -1), `${idp.issuer}keys`, undefined]]);
  });

  it('fetches nothing without a discovery URL (a configured jwksUri, a development issuer), and says so', async () => {
    const { discoveryUrl: _, ...configured } = derived;
    assert.equal(await discover(configured), configured);
    assert.equal(idp.discoveryFetches, 0);
    assert.deepEqual(logged(), [[30, 'issuer metadata', 'configured', idp.issuer, `${idp.issuer}.well-known/jwks.json`, undefined]]);
  });

  const unusable: Record<string, [(idp: KeySetServer) => KeySetServer['discovery'], string]> = {
    'no document (404)': [() => null, 'URL answered HTTP 404'],
    'a redirect, not followed': [() => 'redirect', 'URL answered HTTP 302'],
    'another issuer': [() => ({ issuer: 'https://evil.example.com/', jwks_uri: 'https://evil.example.com/keys' }), 'the document names another issuer: https://evil.example.com/'],
    'another issuer, slashes apart': [(i) => ({ issuer: `${i.issuer}/`, jwks_uri: `${i.issuer}keys` }), 'the document names another issuer: ISSUER/'],
    'no issuer': [(i) => ({ jwks_uri: `${i.issuer}keys` }), 'the document names another issuer: undefined'],
    'a key set over plain http off loopback': [(i) => ({ issuer: i.issuer, jwks_uri: 'http://keys.example.com/jwks.json' }), 'the document has no usable https jwks_uri'],
    'a key set URL that is no URL': [(i) => ({ issuer: i.issuer, jwks_uri: 'not a url' }), 'the document has no usable https jwks_uri'],
    'a key set URL that is no string': [(i) => ({ issuer: i.issuer, jwks_uri: [`${i.issuer}keys`] }), 'the document has no usable https jwks_uri'],
    'a key set on loopback over another scheme': [() => ({ issuer: 'ISSUER', jwks_uri: 'ftp://127.0.0.1/jwks.json' }), 'the document has no usable https jwks_uri'],
  };
  for (const [name, [document, reason]] of Object.entries(unusable)) {
    it(`keeps the derived URLs, and warns, for ${name}`, async () => {
      const served = document(idp);
      idp.discovery = typeof served === 'object' && served?.['issuer'] === 'ISSUER' ? { ...served, issuer: idp.issuer } : served;
      assert.equal(await discover(), derived);
      const expected = reason.replace('URL', derived.discoveryUrl!.href).replace('ISSUER', idp.issuer);
      assert.deepEqual(logged(), [
        [40, 'issuer metadata: discovery unavailable, using the URLs derived from the configuration', 'derived', idp.issuer, derived.jwksUri.href, expected],
      ]);
    });
  }

  it('accepts a key set over https', async () => {
    idp.discovery = { issuer: idp.issuer, jwks_uri: 'https://keys.example.com/jwks.json' };
    assert.equal((await discover()).jwksUri.href, 'https://keys.example.com/jwks.json');
  });

  it('gives up on a provider that does not answer within the timeout', async () => {
    idp.discovery = 'hang';
    assert.equal(await discover(derived, 50), derived);
    assert.match(String(logs.lines[0]!['reason']), /timeout|aborted/i);
  });
});
