import { accessSync, constants } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * The Chromium the browser tests drive: `CHROMIUM_PATH`, else Debian's, which `.ci/run` installs
 * when it is missing. Never a downloaded browser.
 */
export const CHROMIUM = process.env['CHROMIUM_PATH'] || '/usr/bin/chromium';

/** Launches Chromium headless; without one, fails saying how to get it, rather than skipping. */
export async function launchChromium(): Promise<Browser> {
  try {
    accessSync(CHROMIUM, constants.X_OK);
  } catch {
    throw new Error(
      `No Chromium at ${CHROMIUM}, which the browser tests need. On Debian: sudo apt-get install chromium ` +
        '(.ci/run installs it when missing); elsewhere, set CHROMIUM_PATH to a Chromium or Chrome binary.',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
}

/** What one result card of the example SPA shows. */
export interface CallResult {
  state: string;
  status: string;
  shown: unknown;
}

/** Clicks the SPA's "Call the API" and reads every card once all six have an answer. */
export async function callAll(page: Page): Promise<Record<string, CallResult>> {
  await page.click('#call-all');
  await page.waitForFunction(
    () => Array.from(document.querySelectorAll<HTMLElement>('[data-call]')).every((card) => ['ok', 'error'].includes(card.dataset['state'] ?? '')),
    undefined,
    { timeout: 30_000 },
  );
  const cards = await page.$$eval('[data-call]', (elements) =>
    elements.map((card) => ({
      id: (card as HTMLElement).dataset['call'] ?? '',
      state: (card as HTMLElement).dataset['state'] ?? '',
      status: card.querySelector('.status')?.textContent ?? '',
      body: card.querySelector('.body')?.textContent ?? '',
    })),
  );
  return Object.fromEntries(cards.map(({ id, state, status, body }) => [id, { state, status, shown: JSON.parse(body) as unknown }]));
}
