import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { finished, logLine } from '../helpers/process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BODY = JSON.stringify({ query: '{ publicMessage { text } }' });

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start', () => {
  it('builds and serves with no configuration, and on SIGTERM to npm alone drains a request in flight and exits 0', { timeout: 180_000 }, async () => {
    // Only PORT, so that it cannot collide with anything; ENV_FILE keeps a developer's own .env out.
    const npm = spawn('npm', ['start'], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? tmpdir(), PORT: '0', ENV_FILE: join(mkdtempSync(join(tmpdir(), 'api-npm-')), '.env') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exit = finished(npm);
    const listening = logLine(npm, /listening/, 120_000);
    const { port, pid } = (await listening) as { port: number; pid: number };
    try {
      assert.notEqual(pid, npm.pid, 'the server is its own process under npm');
      // A request whose body is still on its way when the signal arrives.
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => {});
      await once(socket, 'connect');
      socket.write(`POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY.slice(0, 5)}`);
      let response = '';
      socket.on('data', (chunk: Buffer) => (response += chunk.toString()));

      const shuttingDown = logLine(npm, /shutting down/).catch((error: unknown) => error);
      npm.kill('SIGTERM');
      assert.ok(!((await shuttingDown) instanceof Error), 'the server received the signal sent to npm');
      socket.write(BODY.slice(5));
      await once(socket, 'close');
      assert.match(response, /^HTTP\/1\.1 200 /);
      assert.match(response, /"publicMessage":\{"text":"This is a public message\."\}/);

      const { code } = await exit;
      assert.equal(code, 0);
      assert.ok(!alive(pid), 'no server is left running');
    } finally {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});
