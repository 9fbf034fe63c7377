import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium; `.ci/run` installs it when it is missing. Never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
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
