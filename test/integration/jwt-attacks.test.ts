import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { exportSPKI } from 'jose';
import { b64url, signHmac, signRaw } from '../helpers/forge-token.js';
import { ADMIN, AUDIENCE, startHarness, type Harness } from '../helpers/harness.js';
import { KeySetServer, sign, type SigningKey } from '../../support/key-set-server.js';

/**
 * Hostile tokens, one per attack class (graphql-auth.test.ts has the plain invalid ones). Each
 * must be refused at the request level: 401, the invalid_token challenge, one error, no data,
 * which is also how we know no resolver ran. Every forged token asks for the admin permission.
 */
const QUERY = '{ publicMessage { text } adminMessage { text } }';
const INVALID_TOKEN = 'Bearer realm="api", error="invalid_token", DPoP algs="ES256 PS256 RS256 EdDSA"';

describe('JWT attacks', () => {
  let h: Harness;
  /** An attacker's own provider: it must never be fetched, whatever a token points at. */
  let trap: KeySetServer;
  let attacker: SigningKey;
  before(async () => {
    h = await startHarness();
    trap = await KeySetServer.start();
    attacker = await trap.publish('attacker-key');
  });
  after(async () => {
    await h.close();
    await trap.close();
  });

  const now = () => Math.floor(Date.now() / 1000);
  const claims = (extra: Record<string, unknown> = {}) => h.idp.accessTokenClaims({ sub: 'auth0|attacker', permissions: [ADMIN], ...extra });
  const header = (extra: Record<string, unknown> = {}) => ({ alg: 'RS256', typ: 'JWT', kid: h.key.kid, ...extra });
  const valid = () => signRaw(header(), claims(), h.key);
  const segments = async () => (await valid()).split('.') as [string, string, string];

  const attacks: Record<string, Record<string, () => Promise<string> | string>> = {
    'alg none in any case': {
      'None': async () => `${b64url({ alg: 'None', typ: 'JWT' })}.${(await segments())[1]}.`,
      'NONE with a published kid': async () => `${b64url(header({ alg: 'NONE' }))}.${(await segments())[1]}.`,
      'nOnE keeping a real signature': async () => {
        const [, payload, signature] = await segments();
        return `${b64url(header({ alg: 'nOnE' }))}.${payload}.${signature}`;
      },
    },
    'HMAC with the RSA public key as the secret': {
      'HS256, PEM secret': async () => signHmac(header({ alg: 'HS256' }), claims(), await exportSPKI(await publicKeyOf(h.key))),
      'HS256, JWK JSON secret': () => signHmac(header({ alg: 'HS256' }), claims(), JSON.stringify(h.key.publicJwk)),
      'HS512, PEM secret': async () => signHmac(header({ alg: 'HS512' }), claims(), await exportSPKI(await publicKeyOf(h.key)), 'sha512'),
    },
    'tampering after signing': {
      'a claim changed': async () => {
        const [head, , signature] = (await sign(claims({ permissions: [] }), { key: h.key })).split('.');
        return `${head}.${b64url(claims())}.${signature}`;
      },
      'the signature stripped': async () => {
        const [head, payload] = await segments();
        return `${head}.${payload}.`;
      },
      'the signature of another valid token': async () => {
        const [head, payload] = await segments();
        const other = (await sign(claims({ sub: 'auth0|someone-else' }), { key: h.key })).split('.')[2];
        return `${head}.${payload}.${other}`;
      },
      'one bit of the signature flipped': async () => {
        const [head, payload, signature] = await segments();
        const bytes = Buffer.from(signature, 'base64url');
        bytes[bytes.length - 1]! ^= 1;
        return `${head}.${payload}.${bytes.toString('base64url')}`;
      },
    },
    'keys the issuer never published': {
      'an unknown kid': () => signRaw(header({ kid: 'no-such-key' }), claims(), h.key),
      'kid path traversal': () => signRaw(header({ kid: '../../../../../../dev/null' }), claims(), h.key),
      'kid SQL injection': () => signRaw(header({ kid: "' OR '1'='1" }), claims(), h.key),
      'kid shell injection': () => signRaw(header({ kid: '$(touch /tmp/pwned)' }), claims(), h.key),
      'kid with a NUL byte': () => signRaw(header({ kid: `${h.key.kid}\u0000` }), claims(), h.key),
      'kid as a number': () => signRaw(header({ kid: 1 }), claims(), h.key),
      'kid as an array': () => signRaw(header({ kid: [h.key.kid] }), claims(), h.key),
      'an attacker key embedded as jwk under a published kid': () =>
        signRaw(header({ jwk: attacker.publicJwk }), claims(), attacker),
      'an attacker key embedded as jwk, no kid': () =>
        signRaw({ alg: 'RS256', typ: 'JWT', jwk: attacker.publicJwk }, claims(), attacker),
      'jku pointing at the attacker': () =>
        signRaw(header({ kid: attacker.kid, jku: `${trap.issuer}.well-known/jwks.json` }), claims(), attacker),
      'x5u pointing at the attacker': () =>
        signRaw(header({ kid: attacker.kid, x5u: `${trap.issuer}.well-known/jwks.json` }), claims(), attacker),
    },
    'critical headers': {
      'an unknown crit extension': () => signRaw(header({ crit: ['x-acme-policy'], 'x-acme-policy': 'allow' }), claims(), h.key),
      'crit naming an absent header': () => signRaw(header({ crit: ['x-missing'] }), claims(), h.key),
      'crit that is not an array': () => signRaw(header({ crit: 'x-acme-policy', 'x-acme-policy': 1 }), claims(), h.key),
    },
    'time claims': {
      'exp as a string': () => signRaw(header(), claims({ exp: String(now() + 600) }), h.key),
      'exp null': () => signRaw(header(), claims({ exp: null }), h.key),
      'exp as an object': () => signRaw(header(), claims({ exp: { $gt: 0 } }), h.key),
      'nbf as a string': () => signRaw(header(), claims({ nbf: '0' }), h.key),
      'nbf far in the future': () => signRaw(header(), claims({ nbf: now() + 86_400 }), h.key),
    },
    'audience': {
      'an array without the API': () => signRaw(header(), claims({ aud: ['https://other.example.com', 'https://billing.example.com'] }), h.key),
      'an empty array': () => signRaw(header(), claims({ aud: [] }), h.key),
      'the API in another case': () => signRaw(header(), claims({ aud: AUDIENCE.toUpperCase() }), h.key),
      'the API with a trailing slash': () => signRaw(header(), claims({ aud: `${AUDIENCE}/` }), h.key),
      'a token for another API carrying the right permissions': () =>
        signRaw(header(), claims({ aud: 'https://billing.example.com', permissions: [ADMIN] }), h.key),
    },
    'issuer': {
      'missing': () => signRaw(header(), claims({ iss: undefined }), h.key),
      'with a path appended': () => signRaw(header(), claims({ iss: `${h.idp.issuer}evil/` }), h.key),
      'as an array': () => signRaw(header(), claims({ iss: [h.idp.issuer] }), h.key),
      'another tenant': () => signRaw(header(), claims({ iss: 'https://evil.eu.auth0.com/' }), h.key),
    },
    'structure': {
      'two segments': async () => (await segments()).slice(0, 2).join('.'),
      'four segments': async () => `${(await valid())}.${b64url('extra')}`,
      'five segments (JWE shape)': async () => [...(await segments()), 'AAAA', 'BBBB'].join('.'),
      'a header that is not base64url': async () => `a.${(await segments())[1]}.${(await segments())[2]}`,
      'standard base64 characters': async () => (await valid()).replace(/-/g, '+').replace(/_/g, '/'),
      'a JSON array as payload, validly signed': () => signRaw(header(), JSON.stringify([claims()]), h.key),
      'non-JSON payload, validly signed': () => signRaw(header(), 'permissions=read:admin-messages', h.key),
      'a JSON string as payload, validly signed': () => signRaw(header(), '"admin"', h.key),
      'null as payload, validly signed': () => signRaw(header(), 'null', h.key),
      'a JSON array as header': async () => `${b64url([header()])}.${(await segments())[1]}.${(await segments())[2]}`,
      'non-JSON header': async () => `${b64url('alg=RS256')}.${(await segments())[1]}.${(await segments())[2]}`,
    },
  };

  for (const [group, cases] of Object.entries(attacks)) {
    describe(group, () => {
      for (const [name, forge] of Object.entries(cases)) {
        it(`refuses ${name}`, async () => {
          const { status, headers, body } = await h.graphql(QUERY, await forge());
          assert.equal(status, 401);
          assert.equal(headers.get('www-authenticate'), INVALID_TOKEN);
          assert.equal(body.data, undefined, 'nothing may execute');
          assert.deepEqual(body.errors, [{ message: 'Bad credentials', extensions: { code: 'UNAUTHENTICATED' } }]);
        });
      }
    });
  }

  describe('one token, one spelling', () => {
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    /**
     * A 256-byte RS256 signature is 342 base64url characters; the last one carries 2 bits of the
     * signature and 4 unused bits, and `==` padding may follow: 32 spellings that decode alike.
     */
    function spellingsOf(token: string): string[] {
      const body = token.slice(0, -1);
      const significant = ALPHABET.indexOf(token.at(-1)!) & 0b110000;
      const lastChars = Array.from({ length: 16 }, (_, unused) => ALPHABET[significant | unused]!);
      return lastChars.flatMap((last) => [`${body}${last}`, `${body}${last}==`]);
    }

    it('accepts only the canonical one of the 32 spellings of a valid token', async () => {
      const token = await valid();
      const spellings = spellingsOf(token);
      assert.equal(new Set(spellings).size, 32);
      const signatureOf = (t: string) => Buffer.from(t.split('.')[2]!, 'base64url');
      assert.ok(spellings.every((spelling) => signatureOf(spelling).equals(signatureOf(token))), 'all spell the same signature');
      const accepted: string[] = [];
      for (const spelling of spellings) {
        const { status, body } = await h.graphql(QUERY, spelling);
        if (status === 200) accepted.push(spelling);
        else assert.deepEqual([status, body.data], [401, undefined], `status ${status}`);
      }
      assert.deepEqual(accepted, [token]);
    });
  });

  it('never fetches a key from a URL a token names', () => {
    assert.equal(trap.fetches, 0);
  });

  describe('oversized credentials get a fast 4xx', () => {
    it('a validly signed token larger than the header limit', async () => {
      const token = await signRaw(header(), claims({ padding: 'x'.repeat(8_000) }), h.key);
      const started = Date.now();
      const { status, body } = await h.graphql(QUERY, token);
      assert.ok(status >= 400 && status < 500, `status ${status}`);
      assert.equal(body.data, undefined);
      assert.ok(Date.now() - started < 5_000);
    });

    it('an Authorization header beyond what Node parses', async () => {
      const status = await rawStatus(h.url, { authorization: `Bearer ${'a'.repeat(64 * 1024)}` });
      assert.equal(status, 431);
    });

    it('a flood of headers', async () => {
      const headers = Object.fromEntries(Array.from({ length: 3_000 }, (_, i) => [`x-flood-${i}`, 'y'.repeat(16)]));
      const status = await rawStatus(h.url, headers);
      assert.equal(status, 431);
    });
  });
});

async function publicKeyOf(key: SigningKey): Promise<CryptoKey> {
  return crypto.subtle.importKey('jwk', key.publicJwk as JsonWebKey, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['verify']);
}

/** The status of a POST with headers too large for fetch to send, read off a raw connection. */
function rawStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(JSON.stringify({ query: QUERY }));
  });
}
