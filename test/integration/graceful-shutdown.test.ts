import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ADMIN, AUDIENCE } from '../helpers/harness.js';
import { KeySetServer, sign } from '../helpers/key-set-server.js';
import { logLine, startServer } from '../helpers/process.js';
import { until } from '../helpers/until.js';

describe('SIGTERM', () => {
  it('stops accepting connections, lets the request in flight finish, closes its keep-alive connection, and exits 0', async () => {
    const idp = await KeySetServer.start();
    await idp.publish('key-1');
    const server = await startServer({ AUTH0_ISSUER_BASE_URL: idp.issuer, AUTH0_AUDIENCE: AUDIENCE, JWKS_COOLDOWN_MS: '0' });
    try {
      // A token under a key published after start-up makes the server refetch the key set, which
      // the provider holds: that request is in flight, on a keep-alive connection, when the signal arrives.
      const rotated = await idp.publish('key-2');
      const now = Math.floor(Date.now() / 1000);
      const token = await sign({ iss: idp.issuer, aud: AUDIENCE, sub: 'auth0|drain', exp: now + 600, permissions: [ADMIN] }, { key: rotated });
      idp.delayMs = 3_000;
      const fetchesBefore = idp.fetches;
      const inFlight = fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ adminMessage { text } }' }),
      });
      await until(() => idp.fetches > fetchesBefore, 'the request reached the key-set refetch');
      server.child.kill('SIGTERM');
      await logLine(server.child, /shutting down/);

      await assert.rejects(fetch(`${server.url}/healthz`), 'new connections are refused while draining');

      const response = await inFlight;
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { data: { adminMessage: { text: 'This is an admin message.' } } });
      // Closed after its response rather than left idle until its keep-alive timeout, so a
      // balancer reconnects elsewhere at once and the process need not wait for it.
      assert.equal(response.headers.get('connection'), 'close');
    } finally {
      server.child.kill('SIGTERM');
      await idp.close();
    }
    const { code, stdout } = await server.exit;
    assert.equal(code, 0, stdout);
  });
});
