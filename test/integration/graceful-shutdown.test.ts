import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Agent, request, type IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { ADMIN, AUDIENCE } from '../helpers/harness.js';
import { KeySetServer } from '../../support/key-set-server.js';
import { logLine, startServer } from '../helpers/process.js';

describe('SIGTERM', () => {
  it('stops accepting connections, lets the request in flight finish, closes its keep-alive connection, and exits 0', async () => {
    const idp = await KeySetServer.start();
    const key = await idp.publish('key-1');
    const server = await startServer({ AUTH0_ISSUER_BASE_URL: idp.issuer, AUTH0_AUDIENCE: AUDIENCE });
    const agent = new Agent({ keepAlive: true });
    try {
      const token = await idp.accessToken(key, { sub: 'auth0|drain', permissions: [ADMIN] }, { audience: AUDIENCE });
      const body = JSON.stringify({ query: '{ adminMessage { text } }' });
      // The request is in flight, on a keep-alive connection, from the moment the server answers
      // `100 Continue` until the test sends its body, which it does only once the server is draining.
      const inFlight = request(`${server.url}/graphql`, {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue', authorization: `Bearer ${token}` },
      });
      const answered = once(inFlight, 'response') as Promise<[IncomingMessage]>;
      inFlight.flushHeaders();
      await once(inFlight, 'continue');

      server.child.kill('SIGTERM');
      await logLine(server.child, /shutting down/);
      await assert.rejects(fetch(`${server.url}/healthz`), 'new connections are refused while draining');

      inFlight.end(body);
      const [response] = await answered;
      let text = '';
      for await (const chunk of response) text += String(chunk);
      assert.equal(response.statusCode, 200);
      assert.deepEqual(JSON.parse(text), { data: { adminMessage: { text: 'This is an admin message.' } } });
      // Closed after its response rather than left idle until its keep-alive timeout, so a
      // balancer reconnects elsewhere at once and the process need not wait for it.
      assert.equal(response.headers['connection'], 'close');
    } finally {
      server.child.kill('SIGTERM');
      agent.destroy();
      await idp.close();
    }
    const { code, stdout } = await server.exit;
    assert.equal(code, 0, stdout);
  });
});
