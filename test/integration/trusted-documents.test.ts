import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient, type FormattedExecutionResult, type SubscribePayload } from 'graphql-ws';
import { pino } from 'pino';
import WebSocket from 'ws';
import { loadConfig, type ResolvedConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { ADMIN, startHarness, type Harness } from '../helpers/harness.js';
import { startLoggedHarness, type CapturedLogs } from '../helpers/log-capture.js';
import { finished, runScript } from '../helpers/process.js';

const ADMIN_QUERY = 'query AdminMessage { adminMessage { text } }';
const PUBLIC_QUERY = 'query PublicMessage { publicMessage { text } }';
const PUBLIC_FEED = 'subscription PublicFeed { publicMessageFeed { text } }';
const UNLISTED = '{ protectedMessage { text } }';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const DIR = mkdtempSync(join(tmpdir(), 'trusted-documents-'));

/** Writes a manifest into a fresh temporary file and returns its path. */
function manifestFile(name: string, content: unknown): string {
  const path = join(DIR, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

/** Apollo's persisted query manifest, with ids that are not hashes, as Apollo's generator allows. */
const APOLLO_MANIFEST = manifestFile('apollo.json', {
  format: 'apollo-persisted-query-manifest',
  version: 1,
  operations: [
    { id: 'admin-message-v1', name: 'AdminMessage', type: 'query', body: ADMIN_QUERY },
    { id: 'public-message-v1', name: 'PublicMessage', type: 'query', body: PUBLIC_QUERY },
    { id: 'public-feed-v1', name: 'PublicFeed', type: 'subscription', body: PUBLIC_FEED },
  ],
});
/** GraphQL Code Generator's client preset: a map from `sha256:<hash>` to document. */
const CODEGEN_MANIFEST = manifestFile('persisted-documents.json', Object.fromEntries([ADMIN_QUERY, PUBLIC_QUERY].map((body) => [`sha256:${sha256(body)}`, body])));

interface Answer {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

async function post(h: Harness, body: unknown, token?: string): Promise<Answer> {
  const response = await fetch(`${h.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

async function get(h: Harness, search: Record<string, string>, token?: string): Promise<Answer> {
  const response = await fetch(`${h.url}/graphql?${new URLSearchParams(search)}`, {
    headers: { 'apollo-require-preflight': 'true', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

const ADMIN_DATA = { status: 200, body: { data: { adminMessage: { text: 'This is an admin message.' } } } };
const refused = (code: string) => ({ status: 400, code, data: false });
const outcome = ({ status, body }: Answer) => ({ status, code: body.errors?.[0]?.extensions?.['code'], data: 'data' in body });

describe('trusted documents in enforce mode, from an Apollo persisted query manifest', () => {
  let h: Harness;
  let admin: string;
  before(async () => {
    h = await startHarness({ TRUSTED_DOCUMENTS: APOLLO_MANIFEST });
    admin = await h.token({ permissions: [ADMIN] });
  });
  after(() => h.close());

  it('runs a listed operation by documentId, by sha256:<hash>, by Apollo persistedQuery hash, and by GET documentId', async () => {
    assert.deepEqual(await post(h, { documentId: 'admin-message-v1' }, admin), ADMIN_DATA);
    assert.deepEqual(await post(h, { documentId: `sha256:${sha256(ADMIN_QUERY)}` }, admin), ADMIN_DATA);
    assert.deepEqual(await post(h, { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(ADMIN_QUERY) } } }, admin), ADMIN_DATA);
    assert.deepEqual(await get(h, { documentId: 'admin-message-v1' }, admin), ADMIN_DATA);
    assert.deepEqual(await get(h, { extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: sha256(ADMIN_QUERY) } }) }, admin), ADMIN_DATA);
  });

  it('keeps every guard on a listed operation: the same id without the permission is FORBIDDEN', async () => {
    const answer = await post(h, { documentId: 'admin-message-v1' }, await h.token({ permissions: [] }));
    assert.deepEqual(answer.body.data, { adminMessage: null });
    assert.equal(answer.body.errors?.[0]?.extensions?.['code'], 'FORBIDDEN');
  });

  it('refuses an unknown id with 400 PERSISTED_QUERY_NOT_IN_LIST and no data, whichever form names it', async () => {
    assert.deepEqual(outcome(await post(h, { documentId: 'nope' }, admin)), refused('PERSISTED_QUERY_NOT_IN_LIST'));
    assert.deepEqual(outcome(await post(h, { documentId: `sha256:${sha256(UNLISTED)}` }, admin)), refused('PERSISTED_QUERY_NOT_IN_LIST'));
    assert.deepEqual(outcome(await post(h, { documentId: 42 }, admin)), refused('PERSISTED_QUERY_NOT_IN_LIST'));
    assert.deepEqual(outcome(await get(h, { documentId: 'nope' }, admin)), refused('PERSISTED_QUERY_NOT_IN_LIST'));
    const hashOnly = { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(UNLISTED) } } };
    assert.deepEqual(outcome(await post(h, hashOnly, admin)), refused('PERSISTED_QUERY_NOT_IN_LIST'));
  });

  it('refuses free-form text that is not listed with 400 QUERY_NOT_IN_SAFELIST, and runs text that is byte for byte listed', async () => {
    assert.deepEqual(outcome(await post(h, { query: UNLISTED }, admin)), refused('QUERY_NOT_IN_SAFELIST'));
    assert.deepEqual(outcome(await post(h, { query: `${ADMIN_QUERY} ` }, admin)), refused('QUERY_NOT_IN_SAFELIST'));
    assert.deepEqual(outcome(await get(h, { query: UNLISTED }, admin)), refused('QUERY_NOT_IN_SAFELIST'));
    assert.deepEqual(await post(h, { query: ADMIN_QUERY }, admin), ADMIN_DATA);
    const answer = await post(h, { query: UNLISTED }, admin);
    assert.equal(answer.body.errors?.[0]?.message, 'The operation body was not found in the persisted query safelist');
  });

  it('learns nothing from an Apollo registration: the text is judged as free-form and its hash stays unknown', async () => {
    const register = { query: UNLISTED, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(UNLISTED) } } };
    assert.deepEqual(outcome(await post(h, register, admin)), refused('QUERY_NOT_IN_SAFELIST'));
    assert.deepEqual(outcome(await post(h, { extensions: register.extensions }, admin)), refused('PERSISTED_QUERY_NOT_IN_LIST'));
  });

  it('applies the same list to subscriptions over WebSocket', async () => {
    const c = createClient({ url: `${h.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    try {
      const first = async (payload: SubscribePayload & { documentId?: string }) => {
        try {
          for await (const result of c.iterate(payload)) return result;
        } catch (error) {
          return { errors: error as FormattedExecutionResult['errors'] };
        }
        return undefined;
      };
      const feed = { data: { publicMessageFeed: { text: 'This is a public message.' } } };
      assert.deepEqual(await first({ query: '', documentId: 'public-feed-v1' }), feed);
      assert.deepEqual(await first({ query: '', extensions: { persistedQuery: { version: 1, sha256Hash: sha256(PUBLIC_FEED) } } }), feed);
      assert.deepEqual(await first({ query: PUBLIC_FEED }), feed);
      const unlisted = await first({ query: 'subscription { publicMessageFeed { text } }' });
      assert.deepEqual(unlisted?.errors?.map((e) => e.extensions?.['code']), ['QUERY_NOT_IN_SAFELIST']);
      const unknown = await first({ query: '', documentId: 'nope' });
      assert.deepEqual(unknown?.errors?.map((e) => e.extensions?.['code']), ['PERSISTED_QUERY_NOT_IN_LIST']);
    } finally {
      await c.dispose();
    }
  });
});

describe('trusted documents in log mode, from a codegen persisted-documents.json', () => {
  let h: Harness;
  let logs: CapturedLogs;
  before(async () => {
    ({ h, logs } = await startLoggedHarness({ TRUSTED_DOCUMENTS: CODEGEN_MANIFEST, TRUSTED_DOCUMENTS_MODE: 'log' }));
  });
  after(() => h.close());

  it('runs listed operations by hash, and an unlisted one too, logging its hash once and never its text', async () => {
    const admin = await h.token({ permissions: [ADMIN] });
    assert.deepEqual(await post(h, { documentId: sha256(ADMIN_QUERY) }, admin), ADMIN_DATA);
    assert.deepEqual(await post(h, { query: ADMIN_QUERY }, admin), ADMIN_DATA);
    const untrusted = () => logs.lines.filter((line) => line['audit'] === 'untrusted-operation');
    assert.deepEqual(untrusted(), []);

    const answer = await post(h, { query: UNLISTED }, admin);
    assert.deepEqual(answer, { status: 200, body: { data: { protectedMessage: { text: 'This is a protected message.' } } } });
    assert.equal(untrusted().length, 1);
    assert.equal(untrusted()[0]!['documentHash'], sha256(UNLISTED));
    assert.equal(untrusted()[0]!['level'], 30);
    assert.ok(!logs.raw().includes('protectedMessage'), 'the text of the operation is never logged');
  });

  it('still refuses an id that is not listed: there is no text to run', async () => {
    assert.deepEqual(outcome(await post(h, { documentId: 'sha256:0000' })), refused('PERSISTED_QUERY_NOT_IN_LIST'));
  });
});

describe('trusted documents at start-up', () => {
  const config = (file: string) =>
    loadConfig({ AUTH0_ISSUER_BASE_URL: 'http://127.0.0.1:1/', AUTH0_AUDIENCE: 'https://api', TRUSTED_DOCUMENTS: file, JWKS_TIMEOUT_MS: '1' }) as ResolvedConfig;
  const start = (file: string) => buildApp({ config: config(file), logger: pino({ level: 'silent' }) });

  it('stops with the name of an operation that does not validate against the schema, and the error', async () => {
    const file = manifestFile('invalid.json', {
      format: 'apollo-persisted-query-manifest',
      version: 1,
      operations: [{ id: 'x', name: 'StaleDashboard', type: 'query', body: 'query StaleDashboard { adminMessage { title } }' }],
    });
    await assert.rejects(start(file), /Trusted document StaleDashboard does not validate against the schema: Cannot query field "title" on type "Message"/);
    const codegen = manifestFile('invalid-codegen.json', { abc: 'query Broken { publicMessage { text }' });
    await assert.rejects(start(codegen), /Trusted document abc does not parse: Syntax Error/);
    await assert.rejects(start(join(DIR, 'missing.json')), /Trusted documents .*missing\.json cannot be read/);
  });

  it('is reported by the server as one line on stderr, exit code 1', async () => {
    const file = manifestFile('deep.json', { deadbeef: 'query TooDeep { reports { title } } query Other { nope }' });
    const run = await finished(runScript('src/main.ts', [], { PORT: '0', TRUSTED_DOCUMENTS: file, LOG_LEVEL: 'silent' }));
    assert.equal(run.code, 1);
    assert.match(run.stderr, /Trusted document deadbeef does not validate against the schema: Cannot query field "nope" on type "Query"\. Did you mean "notes"\?\n$/);
  });

  it('without a manifest, a documentId alone is not an operation', async () => {
    const h = await startHarness();
    try {
      const answer = await post(h, { documentId: sha256(ADMIN_QUERY) });
      assert.equal(answer.status, 400);
      assert.equal(answer.body.errors?.[0]?.extensions?.['code'], 'BAD_REQUEST');
    } finally {
      await h.close();
    }
  });
});
