import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { startHarness } from '../helpers/harness.js';
import { startNginx } from '../helpers/nginx.js';
import { openHandshake } from '../helpers/websocket.js';

/** `limit_conn per_client` in deploy/nginx.conf. */
const PER_CLIENT = 50;

describe('deploy/nginx.conf', () => {
  it('limits the connections of one client address: the one past the limit gets 429, and HTTP from elsewhere is not starved', async () => {
    const h = await startHarness();
    const nginx = await startNginx([Number(new URL(h.url).port)]);
    const sockets: WebSocket[] = [];
    try {
      for (let i = 0; i < PER_CLIENT; i += 1) {
        const { status, ws } = await openHandshake(nginx.url);
        sockets.push(ws);
        assert.equal(status, 101, `socket ${i + 1}: ${nginx.errorLog()}`);
      }
      const { status, ws } = await openHandshake(nginx.url);
      sockets.push(ws);
      assert.equal(status, 429);
      // The instance itself still answers.
      assert.equal((await fetch(`${h.url}/healthz`)).status, 200);
    } finally {
      for (const ws of sockets) ws.terminate();
      await nginx.stop();
      await h.close();
    }
  });
});
