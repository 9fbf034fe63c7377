import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { ADMIN, startHarness, type Harness } from '../helpers/harness.js';

/**
 * 1,000 requests of four kinds in flight at once, each checked against the exact answer its kind
 * must get: a shared principal, cache entry or context leaking between requests would show here.
 * They share 100 keep-alive connections, as behind a balancer's connection pool, so that the
 * test measures the server rather than how many simultaneous handshakes a busy machine accepts.
 */
const REQUESTS = 1_000;
const CONNECTIONS = 100;
const QUERY = '{ publicMessage { text } protectedMessage { text } adminMessage { text } }';
const PUBLIC = { text: 'This is a public message.' };
const PROTECTED = { text: 'This is a protected message.' };
const ADMIN_TEXT = { text: 'This is an admin message.' };
const AT_PROTECTED = [{ line: 1, column: 26 }];
const AT_ADMIN = [{ line: 1, column: 52 }];

type Kind = 'admin' | 'no-permission' | 'expired' | 'anonymous';
const KINDS: readonly Kind[] = ['admin', 'no-permission', 'expired', 'anonymous'];

const expected: Record<Kind, { status: number; data?: unknown; errors?: unknown[] }> = {
  'admin': { status: 200, data: { publicMessage: PUBLIC, protectedMessage: PROTECTED, adminMessage: ADMIN_TEXT } },
  'no-permission': {
    status: 200,
    errors: [
      {
        message: 'Permission denied',
        locations: AT_ADMIN,
        path: ['adminMessage'],
        // Outside production a denial explains itself.
        extensions: { code: 'FORBIDDEN', authorization: { required: [ADMIN], missing: [ADMIN] } },
      },
    ],
    data: { publicMessage: PUBLIC, protectedMessage: PROTECTED, adminMessage: null },
  },
  'expired': { status: 401, errors: [{ message: 'Bad credentials', extensions: { code: 'UNAUTHENTICATED' } }] },
  'anonymous': {
    status: 200,
    errors: [
      { message: 'Requires authentication', locations: AT_PROTECTED, path: ['protectedMessage'], extensions: { code: 'UNAUTHENTICATED' } },
      { message: 'Requires authentication', locations: AT_ADMIN, path: ['adminMessage'], extensions: { code: 'UNAUTHENTICATED' } },
    ],
    data: { publicMessage: PUBLIC, protectedMessage: null, adminMessage: null },
  },
};

describe(`${REQUESTS} mixed concurrent requests`, () => {
  let h: Harness;
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    agent.destroy();
    await h.close();
  });

  /** The status and parsed body of one POST, or the network error that stopped it. */
  function post(token: string | undefined): Promise<Record<string, unknown>> {
    return new Promise((resolve) => {
      const headers = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
      const req = request(`${h.url}/graphql`, { method: 'POST', agent, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode, ...(JSON.parse(text) as object) }));
      });
      req.on('error', (error) => resolve({ networkError: String(error) }));
      req.end(JSON.stringify({ query: QUERY }));
    });
  }

  it('each get exactly the answer for their kind', async (t) => {
    const now = Math.floor(Date.now() / 1000);
    // Distinct tokens per request (by subject), so that verification and the cache both take part.
    const requests = await Promise.all(
      Array.from({ length: REQUESTS }, async (_, i) => {
        const kind = KINDS[(i * 7 + (i >> 3)) % KINDS.length]!;
        const sub = `auth0|user-${i}`;
        const token =
          kind === 'admin' ? await h.token({ sub, permissions: [ADMIN] })
          : kind === 'no-permission' ? await h.token({ sub, permissions: ['read:messages'] })
          : kind === 'expired' ? await h.token({ sub, exp: now - 60 })
          : undefined;
        return { kind, token };
      }),
    );

    const answers = await Promise.all(
      requests.map(async ({ kind, token }) => {
        return { kind, actual: await post(token) };
      }),
    );

    const wrong = answers.filter(({ kind, actual }) => !isDeepStrictEqual(actual, expected[kind]));
    const counts = Object.fromEntries(KINDS.map((kind) => [kind, answers.filter((a) => a.kind === kind).length]));
    t.diagnostic(`requests: ${answers.length} ${JSON.stringify(counts)}, wrong answers: ${wrong.length}`);
    assert.deepEqual(wrong.slice(0, 3), []);
    assert.equal(answers.length, REQUESTS);
    for (const kind of KINDS) assert.ok(counts[kind]! >= REQUESTS / 5, `${kind}: ${counts[kind]}`);
  });
});
