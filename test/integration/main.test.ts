import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { deadPort, finished, logLine, runScript, startServer } from '../helpers/process.js';

async function query(port: number, token: string, source: string) {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: source }),
  });
  return (await response.json()) as { data: Record<string, unknown>; errors?: Array<{ extensions: { code: string } }> };
}

async function token(port: number, ...args: string[]): Promise<string> {
  const { code, stdout } = await finished(runScript('scripts/dev-token.ts', args, { PORT: String(port) }));
  assert.equal(code, 0);
  return stdout.trim().split('\n').at(-1)!;
}

describe('the server process', () => {
  it('runs on its embedded issuer without a tenant, honours `npm run token`, and stops cleanly on SIGTERM', async () => {
    const { child: server, port, exit } = await startServer({});
    try {
      const warning = await logLine(server, /DEVELOPMENT MODE/);
      assert.match(String((warning['issuers'] as string[])[0]), /^http:\/\/127\.0\.0\.1:\d+\/$/);

      const admin = await query(port, await token(port, '--permissions', 'read:admin-messages'), '{ adminMessage { text } }');
      assert.deepEqual(admin.data, { adminMessage: { text: 'This is an admin message.' } });

      const plain = await query(port, await token(port), '{ adminMessage { text } }');
      assert.equal(plain.errors?.[0]?.extensions.code, 'FORBIDDEN');
    } finally {
      server.kill('SIGTERM');
    }
    const { code, stdout } = await exit;
    assert.equal(code, 0, stdout);
    assert.match(stdout, /shutting down/);
  });

  it('with DEV_ISSUERS=2, mints from a second issuer whose tokens carry realm_access.roles (`npm run token -- --issuer 2`)', async () => {
    const { child: server, port, exit } = await startServer({ DEV_ISSUERS: '2' });
    try {
      const warning = await logLine(server, /DEVELOPMENT MODE/);
      const issuers = warning['issuers'] as string[];
      assert.equal(new Set(issuers).size, 2);
      const second = await token(port, '--issuer', '2', '--permissions', 'read:admin-messages');
      assert.deepEqual([decodeJwt(second).iss, decodeJwt(second)['realm_access']], [issuers[1], { roles: ['read:admin-messages'] }]);
      const admin = await query(port, second, '{ adminMessage { text } }');
      assert.deepEqual(admin.data, { adminMessage: { text: 'This is an admin message.' } });
      assert.equal(decodeJwt(await token(port)).iss, issuers[0]);

      const { code, stderr } = await finished(runScript('scripts/dev-token.ts', ['--issuer', '3'], { PORT: String(port) }));
      assert.equal(code, 1);
      assert.match(stderr, /HTTP 400: .*issuer must be 1 to 2/);
      assert.doesNotMatch(stderr, /Start the server first/);
    } finally {
      server.kill('SIGTERM');
    }
    assert.equal((await exit).code, 0);
  });

  it('stops with one line when AUTH_ISSUERS is wrong', async () => {
    const { code, stderr } = await finished(runScript('src/main.ts', [], { AUTH_ISSUERS: '[{"issuer":"https://a.example.com/"}]' }));
    assert.equal(code, 1);
    assert.equal(stderr.trim(), 'Invalid configuration: AUTH_ISSUERS entry 1: needs "audience", the API identifier its tokens carry in "aud" (a string or an array of strings)');
  });

  it('refuses to start in production without a tenant, naming the variables', async () => {
    const { code, stderr } = await finished(runScript('src/main.ts', [], { NODE_ENV: 'production', PORT: '0' }));
    assert.equal(code, 1);
    assert.equal(stderr.trim().split('\n').length, 1);
    assert.match(stderr, /AUTH0_DOMAIN and AUTH0_AUDIENCE/);
  });

  it('stops with one line naming a bad variable', async () => {
    const { code, stderr } = await finished(runScript('src/main.ts', [], { PORT: 'eighty' }));
    assert.equal(code, 1);
    assert.equal(stderr.trim(), 'Invalid configuration: PORT must be a whole number from 0 to 65535, got "eighty"');
  });

  it('tells how to start the server when `npm run token` finds none', async () => {
    const nobody = await deadPort();
    try {
      const { code, stderr } = await finished(runScript('scripts/dev-token.ts', [], { PORT: String(nobody.port) }));
      assert.equal(code, 1);
      assert.match(stderr, /Start the server first/);
    } finally {
      await nobody.close();
    }
  });
});
