import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { AUDIENCE } from '../helpers/harness.js';
import { KeySetServer } from '../../support/key-set-server.js';
import { finished, logLine, runScript } from '../helpers/process.js';

describe('SIGTERM with subscriptions open', () => {
  it('closes each socket with 1001 and exits 0 within the drain', async () => {
    const idp = await KeySetServer.start();
    await idp.publish('key-1');
    const server = runScript('src/main.ts', [], { PORT: '0', AUTH0_ISSUER_BASE_URL: idp.issuer, AUTH0_AUDIENCE: AUDIENCE });
    const exit = finished(server);
    const closes: number[] = [];
    try {
      const { port } = await logLine(server, /listening/);
      const client = createClient({
        url: `ws://127.0.0.1:${String(port)}/graphql`,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        on: { closed: (event) => closes.push((event as { code: number }).code) },
      });
      // Listened for before they can arrive: `logLine` only sees lines written after it is called.
      const connectedLine = logLine(server, /subscription connection initialised/);
      const closedLine = logLine(server, /subscription socket closed/);
      const events = client.iterate({ query: 'subscription { publicMessageFeed { text } }' });
      assert.deepEqual((await events.next()).value, { data: { publicMessageFeed: { text: 'This is a public message.' } } });
      const connected = await connectedLine;
      assert.equal(typeof connected['connectionId'], 'string');
      server.kill('SIGTERM');
      await assert.rejects(async () => {
        while (!(await events.next()).done) { /* drain events until the server closes the socket */ }
      });
      const closed = await closedLine;
      assert.equal(closed['connectionId'], connected['connectionId']);
    } finally {
      server.kill('SIGTERM');
      await idp.close();
    }
    const { code, stdout } = await exit;
    assert.equal(code, 0, stdout);
    assert.deepEqual(closes, [1001]);
  });
});
