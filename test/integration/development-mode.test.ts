import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEFAULT_ENV_FILE } from '../../src/config.js';
import { finished, logLine, runScript } from '../helpers/process.js';

const ADMIN_QUERY = JSON.stringify({ query: '{ adminMessage { text } }' });

/** Resolves once the server listens, with its port, its 'listening' line and (a promise of) its configuration line. */
async function startServer(child: ChildProcess) {
  const configured = logLine(child, /configuration loaded/);
  const listening = logLine(child, /listening/);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const started = await listening;
  return { configured, listening: started, port: Number(started['port']), stderr: () => stderr };
}

async function stop(child: ChildProcess): Promise<void> {
  const exit = finished(child);
  child.kill('SIGTERM');
  assert.equal((await exit).code, 0);
}

/** A GET with exactly these headers (fetch would refuse to set `Host`). */
function get(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

async function tokenFromCli(port: number, permissions: string, env: Record<string, string> = {}): Promise<string> {
  const { code, stdout, stderr } = await finished(runScript('scripts/dev-token.ts', ['--permissions', permissions], { PORT: String(port), ...env }));
  assert.equal(code, 0, stderr);
  return stdout.trim().split('\n').at(-1)!;
}

describe('development mode', () => {
  it('listens on loopback only, says so on stderr in a box, and logs its mode and .env file', async () => {
    const server = runScript('src/main.ts', [], { PORT: '0' });
    try {
      const { configured, listening, stderr } = await startServer(server);
      assert.equal(listening['address'], '127.0.0.1');
      const { mode, envFile } = await configured;
      assert.deepEqual([mode, envFile], ['development', 'none']);
      assert.match(stderr(), /\+-{20,}\+\n\s*\|\s+DEVELOPMENT MODE: /);
    } finally {
      await stop(server);
    }
  });

  it('issues /dev/token only to a request that no proxy relayed, addressed to a loopback name', async () => {
    const server = runScript('src/main.ts', [], { PORT: '0' });
    try {
      const { port } = await startServer(server);
      assert.equal(await get(port, '/dev/token', { host: `127.0.0.1:${port}` }), 200);
      assert.equal(await get(port, '/dev/token', { host: `localhost:${port}` }), 200);
      const refused: Array<Record<string, string>> = [
        { host: `127.0.0.1:${port}`, 'x-forwarded-for': '203.0.113.7' },
        { host: `127.0.0.1:${port}`, forwarded: 'for=203.0.113.7' },
        { host: `127.0.0.1:${port}`, 'x-real-ip': '203.0.113.7' },
        { host: `127.0.0.1:${port}`, via: '1.1 nginx' },
        { host: 'api.example.com' },
        { host: `localhost.attacker.example:${port}` },
      ];
      for (const headers of refused) assert.equal(await get(port, '/dev/token', headers), 403, JSON.stringify(headers));
    } finally {
      await stop(server);
    }
  });

  it('with PERMISSIONS_CLAIM=scope, `npm run token` mints a token whose scope grants what was asked', async () => {
    const server = runScript('src/main.ts', [], { PORT: '0', PERMISSIONS_CLAIM: 'scope' });
    try {
      const { port } = await startServer(server);
      const token = await tokenFromCli(port, 'read:admin-messages', { PERMISSIONS_CLAIM: 'scope' });
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: ADMIN_QUERY,
      });
      assert.deepEqual(await response.json(), { data: { adminMessage: { text: 'This is an admin message.' } } });
    } finally {
      await stop(server);
    }
  });
});

describe('the .env file', () => {
  it("is the project root's, never the working directory's", async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'api-cwd-'));
    writeFileSync(join(elsewhere, '.env'), 'NODE_ENV=bogus\n');
    const server = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL('../../src/main.ts', import.meta.url))], {
      cwd: elsewhere,
      env: { PATH: process.env['PATH'] ?? '', PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const { envFile } = await (await startServer(server)).configured;
      assert.ok([DEFAULT_ENV_FILE, 'none'].includes(String(envFile)), String(envFile));
    } finally {
      await stop(server);
    }
  });

  it('is the one ENV_FILE names, when set, and the log says which', async () => {
    const envFile = join(mkdtempSync(join(tmpdir(), 'api-env-')), 'staging.env');
    writeFileSync(envFile, 'NODE_ENV=test\n');
    const server = runScript('src/main.ts', [], { PORT: '0', ENV_FILE: envFile });
    try {
      const { mode, envFile: logged } = await (await startServer(server)).configured;
      assert.deepEqual([mode, logged], ['test', envFile]);
    } finally {
      await stop(server);
    }
  });
});

describe('settings that would fall back to development mode by accident', () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['NODE_ENV=Production', { NODE_ENV: 'Production' }, /^Invalid configuration: NODE_ENV must be one of production, development, test, got "Production"$/],
    ['an empty AUTH0_DOMAIN', { AUTH0_DOMAIN: '', AUTH0_AUDIENCE: 'https://api.example.com' }, /^Invalid configuration: AUTH0_DOMAIN is set but empty/],
    ['an empty AUTH0_AUDIENCE', { AUTH0_AUDIENCE: '' }, /^Invalid configuration: AUTH0_AUDIENCE is set but empty/],
  ];
  for (const [name, env, line] of cases) {
    it(`stop the server with one line: ${name}`, { timeout: 30_000 }, async (t) => {
      const server = runScript('src/main.ts', [], { PORT: '0', ...env });
      t.signal.addEventListener('abort', () => server.kill());
      const { code, stderr } = await finished(server);
      assert.equal(code, 1);
      assert.match(stderr.trim(), line);
    });
  }
});
