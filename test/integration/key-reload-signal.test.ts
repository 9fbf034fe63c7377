import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeySetServer, sign } from '../../support/key-set-server.js';
import { finished, logLine, output, runScript } from '../helpers/process.js';
import { until } from '../helpers/until.js';

describe('SIGHUP', () => {
  it('makes the server refetch the key set at once, and say so', async () => {
    const idp = await KeySetServer.start();
    const key = await idp.publish('key-1');
    const audience = 'https://api.example.com';
    const env = { NODE_ENV: 'production', PORT: '0', AUTH0_ISSUER_BASE_URL: idp.issuer, AUTH0_AUDIENCE: audience };
    const server = runScript('src/main.ts', [], env);
    const exit = finished(server);
    try {
      const { port } = await logLine(server, /listening/);
      // A verified token first, so the start-up fetch is over and the signal's fetch cannot join it.
      const token = await sign({ iss: idp.issuer, aud: audience, exp: Math.floor(Date.now() / 1000) + 60 }, { key });
      const response = await fetch(`http://127.0.0.1:${String(port)}/api/messages/protected`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(response.status, 200);
      const before = idp.fetches;
      const reloaded = logLine(server, /key set reloaded/);
      server.kill('SIGHUP');
      assert.equal((await reloaded)['url'], `${idp.issuer}.well-known/jwks.json`);
      assert.equal(idp.fetches, before + 1);
    } finally {
      server.kill('SIGTERM');
      await exit;
      await idp.close();
    }
  });

  it("refetches every issuer's key set, each saying so", async () => {
    const idps = [await KeySetServer.start(), await KeySetServer.start()];
    const audience = 'https://api.example.com';
    const issuers = idps.map((idp) => ({ issuer: idp.issuer, audience, jwksUri: `${idp.issuer}.well-known/jwks.json` }));
    const server = runScript('src/main.ts', [], { NODE_ENV: 'production', PORT: '0', AUTH_ISSUERS: JSON.stringify(issuers) });
    const exit = finished(server);
    try {
      await logLine(server, /listening/);
      // The start-up fetches over first, so that the signal's fetches cannot join them.
      await until(() => idps.every((idp) => idp.fetches === 1), 'the start-up fetches');
      server.kill('SIGHUP');
      const reloads = () => output(server).stdout.split('\n').filter((line) => line.includes('"key set reloaded"'));
      await until(() => reloads().length === 2, 'two reload lines');
      assert.deepEqual(idps.map((idp) => idp.fetches), [2, 2]);
      assert.deepEqual(reloads().map((line) => (JSON.parse(line) as { url: string }).url).sort(), issuers.map((i) => i.jwksUri).sort());
    } finally {
      server.kill('SIGTERM');
      await exit;
      await Promise.all(idps.map((idp) => idp.close()));
    }
  });
});
