import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { b64url } from '../helpers/forge-token.js';
import { boundCredentials, createDpopKey, PATIENT_KEY_SET, postGraphql, type DpopKey } from '../helpers/dpop.js';
import { startHarness, type Harness } from '../helpers/harness.js';

/**
 * Whatever a holder of the bound key or a thief does to a proof, the only proof that grants is an
 * untouched one, once: every other is refused without a 5xx and without data.
 */
const RUNS = { numRuns: 100 };
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('DPoP proofs (property-based)', () => {
  let h: Harness;
  let key: DpopKey;
  let token: string;
  let freshProof: () => Promise<string>;
  before(async () => {
    h = await startHarness(PATIENT_KEY_SET);
    ({ key, accessToken: token, nextProof: freshProof } = await boundCredentials(h, { method: 'POST', url: `${h.url}/graphql` }));
  });
  after(() => h.close());


  async function assertNotGranted(proof: string): Promise<void> {
    const response = await postGraphql(h, { token, proofs: [proof] });
    assert.ok(response.status < 500, `status ${response.status}`);
    assert.equal(response.status, 401);
    assert.equal(response.body.data ?? null, null);
  }

  /** Signs any header and claims with `signer` as ES256 does, whatever they say. */
  async function signAnything(header: unknown, claims: unknown, signer: CryptoKey): Promise<string> {
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, signer, Buffer.from(input));
    return `${input}.${Buffer.from(signature).toString('base64url')}`;
  }

  const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>;

  it('a used proof with any one character changed', () =>
    fc.assert(
      fc.asyncProperty(fc.nat(), fc.constantFrom(...BASE64URL, '.', '=', ' '), async (at, replacement) => {
        const proof = await freshProof();
        assert.equal((await postGraphql(h, { token, proofs: [proof] })).status, 200);
        const i = at % proof.length;
        await assertNotGranted(`${proof.slice(0, i)}${replacement}${proof.slice(i + 1)}`);
      }),
      RUNS,
    ));

  it('a proof signed by the bound key with one header member or claim set to anything else', () =>
    fc.assert(
      fc.asyncProperty(
        fc.constantFrom('typ', 'alg', 'jwk', 'htm', 'htu', 'ath', 'iat', 'jti'),
        fc.oneof(fc.jsonValue(), fc.constant(undefined)),
        async (member, value) => {
          const [head, body] = (await freshProof()).split('.');
          const header = decode(head!);
          const claims = decode(body!);
          const target = member in header ? header : claims;
          fc.pre(JSON.stringify(value) !== JSON.stringify(target[member]));
          // A different jti is a new, valid proof: the mutation that matters is dropping or mistyping it.
          if (member === 'jti') fc.pre(typeof value !== 'string' || value === '' || value.length > 256);
          target[member] = value;
          await assertNotGranted(await signAnything(header, claims, key.privateKey));
        },
      ),
      RUNS,
    ));

  it('any header and claims signed by another key', () =>
    fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.jsonValue(), fc.boolean(), async (header, claims, ownKey) => {
        const thief = await createDpopKey();
        const proofHeader = ownKey && typeof header === 'object' && header !== null && !Array.isArray(header)
          ? { typ: 'dpop+jwt', alg: 'ES256', ...header, jwk: thief.publicJwk }
          : header;
        await assertNotGranted(await signAnything(proofHeader, claims, thief.privateKey));
      }),
      RUNS,
    ));
});
