import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { b64url, signRaw } from '../helpers/forge-token.js';
import { ADMIN, startHarness, type GraphQLResponse, type Harness } from '../helpers/harness.js';

/**
 * Whatever a client puts in the Authorization header, the answer is never a 5xx and never guarded
 * data: the guarded fields resolve only for a token the issuer really signed.
 */
const QUERY = '{ publicMessage { text } protectedMessage { text } adminMessage { text } }';
const RUNS = { numRuns: 300 };

/** Characters fetch can send in a header value: tab and Latin-1 without the other controls. */
const headerChar = fc
  .integer({ min: 0x09, max: 0xff })
  .filter((c) => c === 0x09 || (c >= 0x20 && c !== 0x7f))
  .map((c) => String.fromCharCode(c));
const headerText = fc.string({ unit: headerChar, maxLength: 300 });
const base64urlText = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), maxLength: 400 });

describe('untrusted credentials (property-based)', () => {
  let h: Harness;
  let valid: string;
  before(async () => {
    h = await startHarness();
    valid = await h.token({ permissions: [ADMIN] });
  });
  after(() => h.close());

  async function assertHarmless(authorization: string): Promise<void> {
    const response = await fetch(`${h.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ query: QUERY }),
    });
    assert.ok(response.status < 500, `status ${response.status} for ${JSON.stringify(authorization.slice(0, 80))}`);
    const body = (await response.json()) as GraphQLResponse['body'];
    assert.equal(body.data?.['protectedMessage'] ?? null, null);
    assert.equal(body.data?.['adminMessage'] ?? null, null);
  }

  it('random Authorization headers', () =>
    fc.assert(
      fc.asyncProperty(
        fc.oneof(
          headerText,
          headerText.map((text) => `Bearer ${text}`),
          fc.tuple(fc.constantFrom('Bearer', 'bearer', 'BEARER', 'Basic', 'Token', ''), fc.constantFrom(' ', '  ', '\t'), headerText).map((parts) => parts.join('')),
        ),
        assertHarmless,
      ),
      RUNS,
    ));

  it('random three-part tokens of arbitrary JSON, signed or not', () =>
    fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.jsonValue(), base64urlText, fc.boolean(), async (header, payload, signature, signed) => {
        const token = signed
          ? await signRaw(JSON.stringify(header), JSON.stringify(payload), h.key)
          : `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.${signature}`;
        await assertHarmless(`Bearer ${token}`);
      }),
      RUNS,
    ));

  it('validly signed tokens with random headers and claims around the real ones', () =>
    fc.assert(
      fc.asyncProperty(
        fc.record({ alg: fc.constantFrom('RS256', 'none', 'HS256', 'RS512', 'rs256'), kid: fc.oneof(fc.constant(h.key.kid), fc.string()), crit: fc.array(fc.string(), { maxLength: 2 }) }, { requiredKeys: [] }),
        fc.record(
          {
            iss: fc.oneof(fc.constant(h.idp.issuer), fc.webUrl()),
            aud: fc.oneof(fc.constant('https://other.example.com'), fc.array(fc.webUrl(), { maxLength: 3 })),
            exp: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
            nbf: fc.oneof(fc.integer(), fc.string()),
            permissions: fc.oneof(fc.constant([ADMIN]), fc.jsonValue()),
          },
          { requiredKeys: ['aud'] },
        ),
        async (header, claims) => assertHarmless(`Bearer ${await signRaw({ typ: 'JWT', ...header }, claims, h.key)}`),
      ),
      RUNS,
    ));

  it('a valid token with one character changed', () =>
    fc.assert(
      fc.asyncProperty(fc.nat(), fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'), async (n, replacement) => {
        // The signature's last character carries padding bits that decoding ignores, so changing
        // it can leave the signature itself unchanged; every other position is significant.
        const position = n % (valid.length - 1);
        fc.pre(valid[position] !== replacement);
        await assertHarmless(`Bearer ${valid.slice(0, position)}${replacement}${valid.slice(position + 1)}`);
      }),
      RUNS,
    ));

  it('the property check itself sees guarded data when it is there', async () => {
    await assert.rejects(assertHarmless(`Bearer ${valid}`));
  });
});
