import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boundCredentials, boundToken, createDpopKey, createProof, PATIENT_KEY_SET, postGraphql, type DpopCredentials } from '../helpers/dpop.js';
import { ADMIN } from '../helpers/harness.js';
import { useHarness } from '../helpers/use-harness.js';

const ADMIN_TEXT = { adminMessage: { text: 'This is an admin message.' } };

const DPOP_ONLY = 'DPoP algs="ES256 PS256 RS256 EdDSA"';

// Reject mode too, so that its 401 is among the answers that must offer DPoP alone.
describe('DPOP_REQUIRED=true, in reject mode', () => {
  const h = useHarness({ ...PATIENT_KEY_SET, DPOP_REQUIRED: 'true', AUTHZ_UNAUTHORIZED_MODE: 'reject' });

  it('refuses a plain bearer token, offering only the DPoP challenge', async () => {
    const response = await postGraphql(h(), { token: await h().token({ permissions: [ADMIN] }), scheme: 'Bearer' });
    assert.equal(response.status, 401);
    assert.equal(response.body.data, undefined);
    assert.equal(response.headers.get('www-authenticate'), `${DPOP_ONLY}, error="invalid_token"`);
  });

  it('asks an anonymous REST request for a DPoP token only', async () => {
    const response = await fetch(`${h().url}/api/messages/protected`);
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), DPOP_ONLY);
  });

  it('asks an anonymous GraphQL operation that reject mode refuses for a DPoP token only', async () => {
    const response = await fetch(`${h().url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ adminMessage { text } }' }) });
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), DPOP_ONLY);
  });

  it('refuses misplaced credentials with 400 and the invalid_request error on the DPoP challenge', async () => {
    const graphql = await fetch(`${h().url}/graphql?access_token=x`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ publicMessage { text } }' }) });
    const rest = await fetch(`${h().url}/api/messages/public?access_token=x`);
    for (const response of [graphql, rest]) {
      assert.equal(response.status, 400);
      assert.equal(response.headers.get('www-authenticate'), `${DPOP_ONLY}, error="invalid_request"`);
    }
  });

  it('still grants a bound token with its proof', async () => {
    const { accessToken: token, nextProof } = await boundCredentials(h(), { method: 'POST', url: `${h().url}/graphql` });
    const response = await postGraphql(h(), { token, proofs: [await nextProof()] });
    assert.deepEqual(response.body.data, ADMIN_TEXT);
  });
});

describe('DPOP_NONCE=true', () => {
  const h = useHarness({ ...PATIENT_KEY_SET, DPOP_NONCE: 'true' });

  it('asks for a nonce with use_dpop_nonce and DPoP-Nonce, then grants the proof that carries it', async () => {
    const { accessToken: token, nextProof } = await boundCredentials(h(), { method: 'POST', url: `${h().url}/graphql` });
    const first = await postGraphql(h(), { token, proofs: [await nextProof()] });
    assert.equal(first.status, 401);
    assert.equal(first.body.data, undefined);
    assert.equal(first.headers.get('www-authenticate'), 'Bearer realm="api", DPoP algs="ES256 PS256 RS256 EdDSA", error="use_dpop_nonce"');
    const nonce = first.headers.get('dpop-nonce');
    assert.ok(nonce);

    const wrong = await postGraphql(h(), { token, proofs: [await nextProof(`${nonce}x`)] });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('dpop-nonce'), nonce);

    const second = await postGraphql(h(), { token, proofs: [await nextProof(nonce)] });
    assert.deepEqual(second.body.data, ADMIN_TEXT);
  });

  it('leaves bearer tokens alone', async () => {
    const response = await postGraphql(h(), { token: await h().token({ permissions: [ADMIN] }), scheme: 'Bearer' });
    assert.deepEqual(response.body.data, ADMIN_TEXT);
  });
});

describe('PUBLIC_URL', () => {
  const h = useHarness({ ...PATIENT_KEY_SET, PUBLIC_URL: 'https://api.example.com,https://api.example.org' });

  it('is the base of htu: the listed origin whose host the request names', async () => {
    const key = await createDpopKey();
    const token = await boundToken(h(), key);
    const send = async (url: string, host: string) =>
      postGraphql(h(), { token, host, proofs: [await createProof(key, { method: 'POST', url, accessToken: token })] });
    assert.deepEqual((await send('https://api.example.com/graphql', 'api.example.com')).body.data, ADMIN_TEXT);
    assert.deepEqual((await send('https://api.example.org/graphql', 'API.example.org')).body.data, ADMIN_TEXT);
    assert.equal((await send('https://api.example.com/graphql', 'api.example.org')).status, 401);
    assert.equal((await send(`${h().url}/graphql`, new URL(h().url).host)).status, 401);
  });

  it('refuses a Host outside the list, whatever the proof names', async () => {
    const key = await createDpopKey();
    const token = await boundToken(h(), key);
    for (const url of ['https://api.example.com/graphql', 'http://attacker.example/graphql']) {
      const proofs = [await createProof(key, { method: 'POST', url, accessToken: token })];
      assert.equal((await postGraphql(h(), { token, host: 'attacker.example', proofs })).status, 401);
    }
  });
});

describe('DPoP under load', () => {
  const h = useHarness(PATIENT_KEY_SET);
  let credentials: DpopCredentials;

  it('grants 200 concurrent requests, each with its fresh proof', async () => {
    credentials = await boundCredentials(h(), { method: 'POST', url: `${h().url}/graphql` });
    const proofs = await Promise.all(Array.from({ length: 200 }, () => credentials.nextProof()));
    const responses = await Promise.all(proofs.map((proof) => postGraphql(h(), { token: credentials.accessToken, proofs: [proof] })));
    assert.deepEqual(responses.map((r) => r.status), Array(200).fill(200));
    for (const response of responses) assert.deepEqual(response.body.data, ADMIN_TEXT);
  });

  it('grants the same proof sent twice at once exactly once', async () => {
    for (let round = 0; round < 10; round += 1) {
      const proof = await credentials.nextProof();
      const responses = await Promise.all([0, 1].map(() => postGraphql(h(), { token: credentials.accessToken, proofs: [proof] })));
      assert.deepEqual(responses.map((r) => r.status).sort(), [200, 401]);
    }
  });
});
