import { setInterval } from 'node:timers/promises';

/** How often a feed repeats its message. */
export const FEED_INTERVAL_MS = 1_000;

/**
 * A subscription source: `{ [field]: { text } }` at once, then every `FEED_INTERVAL_MS`. Its timer
 * only starts when the subscription is allowed, since the guard wraps `subscribe`, and it stops
 * when the client completes or the socket closes (graphql-ws calls `return`).
 */
export async function* messageFeed<F extends string>(field: F, text: string): AsyncGenerator<Record<F, { text: string }>> {
  yield { [field]: { text } } as Record<F, { text: string }>;
  for await (const _tick of setInterval(FEED_INTERVAL_MS)) yield { [field]: { text } } as Record<F, { text: string }>;
}
