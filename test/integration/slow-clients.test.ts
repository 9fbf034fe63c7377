import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { finished, logLine, runScript } from '../helpers/process.js';

/** Long enough that a client still trickling at the end was never cut off by a timeout. */
const TRICKLE_MS = 8_000;
const MAX_CONNECTIONS = 20;

interface Trickled {
  /** Whatever the server answered before closing, if anything. */
  response: string;
  /** True when the server closed the connection while the client was still sending. */
  cutOff: boolean;
}

/** Sends `head`, then `drip` every 200 ms for `TRICKLE_MS`, as a client on a very slow line would. */
function trickle(port: number, head: string, drip: string): Promise<Trickled> {
  return new Promise((resolve) => {
    let response = '';
    let sending = true;
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    const timer = setInterval(() => socket.write(drip), 200);
    const done = setTimeout(() => {
      sending = false;
      socket.destroy();
    }, TRICKLE_MS);
    socket.on('data', (chunk: Buffer) => (response += chunk.toString()));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(done);
      resolve({ response, cutOff: sending });
    });
  });
}

/** Whether `/healthz` answers 200 on a fresh connection. (fetch can hang on a connection the server drops at once.) */
function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    }).on('error', () => resolve(false));
  });
}

describe('slow and abusive clients', () => {
  let server: ChildProcess;
  let port: number;
  before(async () => {
    server = runScript('src/main.ts', [], {
      PORT: '0',
      HEADERS_TIMEOUT_MS: '1000',
      REQUEST_TIMEOUT_MS: '2000',
      MAX_CONNECTIONS: String(MAX_CONNECTIONS),
    });
    port = Number((await logLine(server, /listening/))['port']);
  });
  after(async () => {
    const exit = finished(server);
    server.kill('SIGTERM');
    await exit;
  });

  it('are answered 408 and cut off when their headers trickle in past HEADERS_TIMEOUT_MS', async () => {
    const { response, cutOff } = await trickle(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Drip: 1\r\n');
    assert.ok(cutOff, 'the server closed the connection');
    assert.match(response, /^HTTP\/1\.1 408 /);
  });

  it('are cut off when their body trickles in past REQUEST_TIMEOUT_MS', async () => {
    const head = 'POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n';
    const { cutOff } = await trickle(port, head, ' ');
    assert.ok(cutOff, 'the server closed the connection');
  });

  it(`hold at most ${MAX_CONNECTIONS} connections, each until it times out, so /healthz answers during a flood`, async () => {
    const attackEnds = Date.now() + TRICKLE_MS;
    const flood = Array.from({ length: 3 * MAX_CONNECTIONS }, () => trickle(port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Drip: 1\r\n'));
    let answered = false;
    while (!answered && Date.now() < attackEnds) {
      answered = await healthy(port);
      if (!answered) await sleep(100);
    }
    const results = await Promise.all(flood);
    assert.ok(answered, '/healthz answered before the attack ended');
    assert.deepEqual(results.filter((r) => !r.cutOff), [], 'every flood connection was cut off');
    const timedOut = results.filter((r) => r.response.startsWith('HTTP/1.1 408'));
    assert.ok(timedOut.length <= MAX_CONNECTIONS, `${timedOut.length} connections were held`);
  });
});
