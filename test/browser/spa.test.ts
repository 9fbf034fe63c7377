import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { serveSpa, type SpaServer } from '../../scripts/serve-spa.js';
import { callAll, launchChromium } from '../helpers/browser.js';
import { ADMIN, startHarness, type Harness } from '../helpers/harness.js';
import { startServer } from '../helpers/process.js';

/** The SPA's manifest, written by `npm run codegen`: every API below enforces it, so the page runs only its own operations. */
const SPA_MANIFEST = fileURLToPath(new URL('../../examples/spa/generated/persisted-documents.json', import.meta.url));
const ENFORCE = { TRUSTED_DOCUMENTS: SPA_MANIFEST, TRUSTED_DOCUMENTS_MODE: 'enforce' };

const TEXT = {
  public: { text: 'This is a public message.' },
  protected: { text: 'This is a protected message.' },
  admin: { text: 'This is an admin message.' },
};

/** Everything the admin sees, on both APIs. */
const ALL_SUCCEED = Object.fromEntries(
  (['rest', 'graphql'] as const).flatMap((api) =>
    (['public', 'protected', 'admin'] as const).map((level) => [`${api}-${level}`, { state: 'ok', status: '200', shown: TEXT[level] }]),
  ),
);

describe('the example SPA in a real browser', () => {
  let spa: SpaServer;
  let stranger: SpaServer;
  let h: Harness;
  let browser: Browser;
  const pages: Page[] = [];

  /** A fresh page of the SPA served from `origin`, talking to the test API; console output is kept. */
  async function open(origin: string, api = h.url): Promise<{ page: Page; console: string[] }> {
    const page = await (await browser.newContext()).newPage();
    pages.push(page);
    const console: string[] = [];
    page.on('console', (message) => console.push(message.text()));
    await page.goto(`${origin}/?api=${encodeURIComponent(api)}`);
    return { page, console };
  }

  before(async () => {
    browser = await launchChromium();
    spa = await serveSpa('127.0.0.1', 0);
    stranger = await serveSpa('127.0.0.1', 0);
    h = await startHarness({ CLIENT_ORIGIN_URL: spa.origin, ...ENFORCE });
  });
  after(async () => {
    await browser?.close();
    await h?.close();
    await spa?.close();
    await stranger?.close();
  });

  it('renders the public, protected and admin results of REST and GraphQL with an admin token, sending only documentId', async () => {
    const { page } = await open(spa.origin);
    const sent: unknown[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/graphql') && request.method() === 'POST') sent.push(request.postDataJSON());
    });
    await page.fill('#token', await h.token({ permissions: [ADMIN] }));
    assert.deepEqual(await callAll(page), ALL_SUCCEED);
    assert.equal(sent.length, 3);
    for (const body of sent) assert.match(JSON.stringify(body), /^\{"documentId":"sha256:[0-9a-f]{64}"\}$/);
    // The API really enforces the list: the same query as free-form text is refused.
    const freeForm = await h.graphql('{ adminMessage { text } }', await h.token({ permissions: [ADMIN] }));
    assert.deepEqual([freeForm.status, freeForm.body.errors?.[0]?.extensions?.['code']], [400, 'QUERY_NOT_IN_SAFELIST']);
    assert.match(await page.locator('[data-call="rest-admin"]').innerText(), /This is an admin message\./);
  });

  it('renders Permission denied (REST) and FORBIDDEN (GraphQL) with a token that lacks the permission', async () => {
    const { page } = await open(spa.origin);
    await page.fill('#token', await h.token({ permissions: ['read:messages'] }));
    const results = await callAll(page);
    assert.deepEqual(results['rest-admin'], { state: 'error', status: '403', shown: { message: 'Permission denied' } });
    assert.deepEqual(results['graphql-admin'], { state: 'error', status: '200', shown: { message: 'Permission denied', code: 'FORBIDDEN' } });
    assert.deepEqual(results['rest-protected'], ALL_SUCCEED['rest-protected']);
    assert.deepEqual(results['graphql-protected'], ALL_SUCCEED['graphql-protected']);
    assert.match(await page.locator('[data-call="graphql-admin"]').innerText(), /FORBIDDEN/);
  });

  it('renders Requires authentication without a token, and the public results still', async () => {
    const { page } = await open(spa.origin);
    const results = await callAll(page);
    assert.deepEqual(results['rest-protected'], { state: 'error', status: '401', shown: { message: 'Requires authentication' } });
    assert.deepEqual(results['graphql-protected'], { state: 'error', status: '200', shown: { message: 'Requires authentication', code: 'UNAUTHENTICATED' } });
    assert.deepEqual(results['rest-public'], ALL_SUCCEED['rest-public']);
  });

  it('with "Use DPoP", reads everything with a token bound to its non-extractable key, answering a nonce request', async () => {
    const withNonce = await startHarness({ CLIENT_ORIGIN_URL: spa.origin, DPOP_NONCE: 'true', ...ENFORCE });
    try {
      for (const api of [h, withNonce]) {
        const { page } = await open(spa.origin, api.url);
        await page.check('#use-dpop');
        await page.waitForFunction(() => document.querySelector<HTMLElement>('#dpop-status')?.dataset['jkt']);
        assert.match(await page.locator('#dpop-status').innerText(), /ES256, private key extractable: false/);
        const jkt = await page.$eval('#dpop-status', (status) => (status as HTMLElement).dataset['jkt']);
        await page.fill('#token', await api.token({ permissions: [ADMIN], cnf: { jkt } }));
        assert.deepEqual(await callAll(page), ALL_SUCCEED);

        // The same token without its proofs is refused: the switch really sent DPoP.
        await page.uncheck('#use-dpop');
        const asBearer = await callAll(page);
        assert.deepEqual(asBearer['rest-admin'], { state: 'error', status: '401', shown: { message: 'Bad credentials' } });
        assert.deepEqual(asBearer['graphql-admin'], { state: 'error', status: '401', shown: { message: 'Bad credentials', code: 'UNAUTHENTICATED' } });
      }
    } finally {
      await withNonce.close();
    }
  });

  it('is blocked by CORS when served from an origin the API does not list', async () => {
    assert.notEqual(stranger.origin, spa.origin);
    const { page, console } = await open(stranger.origin);
    await page.fill('#token', await h.token({ permissions: [ADMIN] }));
    const results = await callAll(page);
    for (const [id, result] of Object.entries(results)) {
      assert.deepEqual(result, { state: 'error', status: 'no response', shown: { message: 'Failed to fetch' } }, id);
    }
    const blocked = console.filter((line) => line.includes(`from origin '${stranger.origin}' has been blocked by CORS policy`));
    assert.ok(blocked.length >= 6, console.join('\n'));
  });
});

describe('the example SPA against the development server', () => {
  it('fills its token from the embedded issuer, and reads everything with it', async () => {
    const browser = await launchChromium();
    const spa = await serveSpa('127.0.0.1', 0);
    const server = await startServer({ CLIENT_ORIGIN_URL: spa.origin, ...ENFORCE });
    try {
      const page = await browser.newPage();
      await page.goto(`${spa.origin}/?api=${encodeURIComponent(server.url)}`);
      await page.waitForFunction(() => (document.querySelector<HTMLTextAreaElement>('#token')?.value ?? '').length > 0, undefined, { timeout: 30_000 });
      assert.deepEqual(await callAll(page), ALL_SUCCEED);

      await page.click('#dev-token-user');
      await page.waitForFunction(() => /without permissions/.test(document.querySelector('#notice')?.textContent ?? ''), undefined, { timeout: 30_000 });
      const results = await callAll(page);
      assert.deepEqual(results['rest-admin']?.shown, { message: 'Permission denied' });
      assert.deepEqual(results['rest-protected']?.shown, TEXT.protected);

      await page.check('#use-dpop');
      await page.click('#dev-token-admin');
      await page.waitForFunction(() => /DPoP-bound development token/.test(document.querySelector('#notice')?.textContent ?? ''), undefined, { timeout: 30_000 });
      assert.deepEqual(await callAll(page), ALL_SUCCEED);
    } finally {
      await browser.close();
      server.child.kill('SIGTERM');
      await server.exit;
      await spa.close();
    }
  });
});
