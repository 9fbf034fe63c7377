import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { finished, runScript, startServer } from '../helpers/process.js';

async function run(script: string, args: string[], port: number): Promise<string[]> {
  const { code, stdout, stderr } = await finished(runScript(script, args, { PORT: String(port) }));
  assert.equal(code, 0, stderr);
  return stdout.trim().split('\n');
}

describe('DPoP with the embedded development issuer', () => {
  it('`npm run token -- --dpop` prints a key and a bound token, `npm run dpop-proof` a proof that the server takes once', async () => {
    const server = await startServer({});
    const { port } = server;
    try {
      const [jwk, token, ...rest] = await run('scripts/dev-token.ts', ['--dpop', '--permissions', 'read:admin-messages'], port);
      assert.equal(rest.length, 0);
      assert.equal(JSON.parse(jwk!).kty, 'EC');
      assert.ok(JSON.parse(jwk!).d, 'the private key, for signing proofs');

      const url = `http://127.0.0.1:${port}/api/messages/admin`;
      const [proof] = await run('scripts/dpop-proof.ts', ['--key', jwk!, '--token', token!, '--url', url], port);
      const send = () => fetch(url, { headers: { authorization: `DPoP ${token}`, dpop: proof! } });
      const granted = await send();
      assert.equal(granted.status, 200);
      assert.deepEqual(await granted.json(), { text: 'This is an admin message.' });
      assert.equal((await send()).status, 401, 'a proof is good once');
      assert.equal((await fetch(url, { headers: { authorization: `Bearer ${token}` } })).status, 401, 'a bound token is no bearer token');

      const bad = await fetch(`http://127.0.0.1:${port}/dev/token?jkt=not-a-thumbprint`);
      assert.equal(bad.status, 400);
      assert.deepEqual(await bad.json(), { message: 'jkt must be an RFC 7638 SHA-256 key thumbprint' });
    } finally {
      server.child.kill('SIGTERM');
      await server.exit;
    }
  });

  it('`npm run dpop-proof` explains its arguments', async () => {
    const { code, stderr } = await finished(runScript('scripts/dpop-proof.ts', ['--url', 'http://x/'], {}));
    assert.equal(code, 2);
    assert.match(stderr, /Usage: npm run dpop-proof/);
  });
});
