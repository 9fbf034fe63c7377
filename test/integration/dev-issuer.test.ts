import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createVerifier } from '../../src/auth/verifier.js';
import { loadConfig, type EmbeddedIssuers } from '../../src/config.js';
import { startDevIssuers } from '../../src/dev/dev-issuer.js';

/** The development issuer of a configuration without a tenant, as `main` starts it. */
async function startDevIssuer() {
  const [first] = await startDevIssuers(loadConfig({}).issuers as EmbeddedIssuers);
  return first!;
}

describe('the embedded development issuer', () => {
  it('serves its key set, so the tokens /dev/token mints verify', async () => {
    const { issuer, mintToken } = await startDevIssuer();
    const verifier = createVerifier({ ...issuer, cacheSize: 0 });
    const principal = await verifier.verify((await mintToken(['read:admin-messages'])).accessToken);
    assert.deepEqual([...principal.permissions], ['read:admin-messages']);
  });

  it('has no token endpoint of its own: tokens come from /dev/token alone, with its checks', async () => {
    const { issuer } = await startDevIssuer();
    const response = await fetch(new URL('token', issuer.issuer), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://attacker.example' },
      body: 'grant_type=client_credentials&scope=read:admin-messages',
    });
    await response.arrayBuffer();
    assert.equal(response.status, 404);
    assert.equal(response.headers.get('access-control-allow-origin'), null);
  });
});
