import { createClient } from 'redis';
import type { Logger } from 'pino';
import { ReplayStoreUnavailableError, type ReplayStore } from './replay-store.js';

/** A command that takes longer than this fails the request rather than holding it. */
const COMMAND_TIMEOUT_MS = 1_000;
/** Reconnection backoff, so a restarted Redis is picked up again within a second or so. */
export function reconnectDelayMs(retries: number): number {
  return Math.min(50 * 2 ** retries, 1_000);
}
const KEY_PREFIX = 'dpop:jti:';

/**
 * The replay store shared by every replica: `SET key NX EX ttl` accepts a proof on exactly one of
 * them. Commands are never queued while disconnected, so an outage answers at once (503) instead
 * of piling up requests, and the client reconnects in the background until Redis is back.
 */
export class RedisReplayStore implements ReplayStore {
  readonly #client;

  constructor(url: URL, log: Logger) {
    this.#client = createClient({
      url: url.href,
      disableOfflineQueue: true,
      commandOptions: { timeout: COMMAND_TIMEOUT_MS },
      socket: {
        connectTimeout: COMMAND_TIMEOUT_MS,
        reconnectStrategy: reconnectDelayMs,
      },
    });
    let healthy = true;
    // Without an `error` listener the client's errors would crash the process; log each outage once.
    this.#client.on('error', (error: unknown) => {
      if (healthy) log.error({ err: error }, 'DPoP replay store (Redis) unreachable');
      healthy = false;
    });
    this.#client.on('ready', () => {
      if (!healthy) log.info('DPoP replay store (Redis) reachable again');
      healthy = true;
    });
    // A Redis that is down at start-up must not stop the API: Bearer requests never need it.
    this.#client.connect().catch(() => undefined);
  }

  async claim(key: string, ttlS: number): Promise<boolean> {
    try {
      return (await this.#client.set(KEY_PREFIX + key, '1', { condition: 'NX', expiration: { type: 'EX', value: ttlS } })) === 'OK';
    } catch (cause) {
      throw new ReplayStoreUnavailableError('Redis did not answer', { cause });
    }
  }

  /** Called once the HTTP server has drained, so no claim is in flight. */
  async close(): Promise<void> {
    this.#client.destroy();
  }
}
