import type { Logger } from 'pino';
import { createRedisClient } from '../../redis-connection.js';
import { ReplayStoreUnavailableError, type ReplayStore } from './replay-store.js';

const KEY_PREFIX = 'dpop:jti:';

/**
 * The replay store shared by every replica: `SET key NX EX ttl` accepts a proof on exactly one of
 * them. An outage answers at once (503), and the client reconnects until Redis is back.
 */
export class RedisReplayStore implements ReplayStore {
  readonly #client;

  constructor(url: URL, log: Logger) {
    this.#client = createRedisClient(url);
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
