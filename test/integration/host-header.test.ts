import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { boundToken, createDpopKey, createProof, PATIENT_KEY_SET, type DpopKey } from '../helpers/dpop.js';
import type { Harness } from '../helpers/harness.js';
import { rawRequest } from '../helpers/http-request.js';
import { startLoggedHarness } from '../helpers/log-capture.js';
import type { CapturedLogs } from '../helpers/log-capture.js';
import { handshake } from '../helpers/websocket.js';

/** What Node accepts in `Host` and a URL built from it turns into a path, query or user. */
const NOT_AN_AUTHORITY = ['attacker.example/collect?', 'attacker.example/collect#', 'attacker.example?x', 'user@attacker.example', 'a b'];

describe('the Host header', () => {
  let h: Harness;
  let logs: CapturedLogs;
  let key: DpopKey;
  let token: string;
  before(async () => {
    ({ h, logs } = await startLoggedHarness(PATIENT_KEY_SET));
    key = await createDpopKey();
    token = await boundToken(h, key);
  });
  after(() => h.close());

  it('is refused with a JSON 400 on every route when it is not host[:port], before authentication', async () => {
    for (const host of NOT_AN_AUTHORITY) {
      for (const path of ['/graphql', '/api/messages/admin', '/healthz', '/nowhere']) {
        // A proof for the URL the attacker's Host would have built, on the path it names.
        const proof = await createProof(key, { method: 'GET', url: 'http://attacker.example/collect', accessToken: token });
        const answer = await rawRequest(`${h.url}${path}`, 'GET', { host, authorization: `DPoP ${token}`, dpop: proof, 'apollo-require-preflight': '1' });
        assert.equal(answer.status, 400, `${host} ${path}`);
        assert.deepEqual(JSON.parse(answer.body), { message: 'Invalid Host header' });
      }
    }
  });

  it('accepts a host name, an IPv4 or IPv6 literal, with or without a port', async () => {
    for (const host of ['api.example.com', 'api.example.com:8443', '127.0.0.1', '[::1]:6060', 'localhost']) {
      assert.equal((await rawRequest(`${h.url}/healthz`, 'GET', { host })).status, 200, host);
    }
  });

  it('refuses a WebSocket upgrade with such a Host, and matches the upgrade path as HTTP does', async () => {
    const upgrade = (path: string, headers: Record<string, string> = {}) => handshake(h.url, headers, path);
    assert.equal(await upgrade('/graphql', { host: 'attacker.example/collect?' }), 400);
    assert.equal(await upgrade('/graphql/'), 101);
    assert.equal(await upgrade('/GraphQL?x=1'), 101);
    assert.equal(await upgrade('/graphql/x'), 404);
    assert.equal((await rawRequest(`${h.url}/graphql/`, 'GET', { 'apollo-require-preflight': '1' })).status, 400);
  });

  it('logs a refused DPoP proof and a replayed one at info, with the reason and never the proof', async () => {
    const url = `${h.url}/api/messages/admin`;
    const proof = await createProof(key, { method: 'GET', url, accessToken: token });
    const send = (dpop: string) => rawRequest(url, 'GET', { authorization: `DPoP ${token}`, dpop });
    assert.equal((await send(proof)).status, 200);
    assert.equal((await send(proof)).status, 401);
    const wrongUrl = await createProof(key, { method: 'GET', url: 'http://attacker.example/collect', accessToken: token });
    assert.equal((await send(wrongUrl)).status, 401);
    const rejected = logs.lines.filter((line) => line['msg'] === 'credentials rejected');
    assert.deepEqual(
      rejected.map((line) => [line['level'], line['failure'], line['reason']]),
      [
        [30, 'invalid_dpop_proof', 'proof replayed'],
        [30, 'invalid_dpop_proof', 'htu does not match the request URL'],
      ],
    );
    assert.ok(!logs.raw().includes(proof) && !logs.raw().includes(wrongUrl) && !logs.raw().includes(token));
  });
});
