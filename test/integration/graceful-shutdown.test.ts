import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { ADMIN, AUDIENCE } from '../helpers/harness.js';
import { KeySetServer, sign } from '../../support/key-set-server.js';
import { finished, freePort, logLine, runScript } from '../helpers/process.js';

describe('SIGTERM', () => {
  it('stops accepting connections, lets the request in flight finish, and exits 0', async (t) => {
    let signalled = 0;
    const idp = await KeySetServer.start();
    await idp.publish('key-1');
    const port = await freePort();
    const server = runScript('src/main.ts', [], {
      PORT: String(port),
      AUTH0_ISSUER_BASE_URL: idp.issuer,
      AUTH0_AUDIENCE: AUDIENCE,
      JWKS_COOLDOWN_MS: '0',
    });
    const exit = finished(server);
    try {
      await logLine(server, /listening/);
      // A token under a key published after start-up makes the server refetch the key set, which
      // the provider answers slowly: that request is in flight when the signal arrives.
      const rotated = await idp.publish('key-2');
      const now = Math.floor(Date.now() / 1000);
      const token = await sign({ iss: idp.issuer, aud: AUDIENCE, sub: 'auth0|drain', exp: now + 600, permissions: [ADMIN] }, { key: rotated });
      idp.delayMs = 3_000;
      const inFlight = fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ adminMessage { text } }' }),
      });
      await sleep(1_000);
      server.kill('SIGTERM');
      signalled = Date.now();
      await logLine(server, /shutting down/);

      await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'new connections are refused while draining');

      const response = await inFlight;
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { data: { adminMessage: { text: 'This is an admin message.' } } });
    } finally {
      server.kill('SIGTERM');
      await idp.close();
    }
    const { code, stdout } = await exit;
    assert.equal(code, 0, stdout);
    // Well inside the 10 s cap: the drained connection was closed, not left to its keep-alive timeout.
    t.diagnostic(`exited ${Date.now() - signalled} ms after SIGTERM`);
  });
});
