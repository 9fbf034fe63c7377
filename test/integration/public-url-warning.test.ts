import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeySetServer } from '../../support/key-set-server.js';
import { finished, logLine, output, runScript } from '../helpers/process.js';

const WARNING = /PUBLIC_URL is not set/;

/** The start-up log of the server in production, up to its `listening` line. */
async function startUpLog(env: Record<string, string>): Promise<string> {
  const idp = await KeySetServer.start();
  await idp.publish('key-1');
  const server = runScript('src/main.ts', [], { NODE_ENV: 'production', PORT: '0', AUTH0_ISSUER_BASE_URL: idp.issuer, AUTH0_AUDIENCE: 'https://api.example.com', ...env });
  const exit = finished(server);
  try {
    await logLine(server, /listening/);
    return output(server).stdout;
  } finally {
    server.kill('SIGTERM');
    await exit;
    await idp.close();
  }
}

describe('PUBLIC_URL in production', () => {
  it('when unset, is named in a start-up warn, since DPoP would trust the Host header', async () => {
    const lines = (await startUpLog({})).split('\n').filter((line) => WARNING.test(line));
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.deepEqual([line['level'], line['variable']], [40, 'PUBLIC_URL']);
  });

  it('when set, gives no such warning', async () => {
    assert.doesNotMatch(await startUpLog({ PUBLIC_URL: 'https://api.example.com' }), WARNING);
  });
});
