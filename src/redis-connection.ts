import { createClient } from 'redis';

/** A command that takes longer than this fails the request rather than holding it. */
const COMMAND_TIMEOUT_MS = 1_000;

/** Reconnection backoff, so a restarted Redis is picked up again within a second or so. */
export function reconnectDelayMs(retries: number): number {
  return Math.min(50 * 2 ** retries, 1_000);
}

/**
 * The one way this server connects to `REDIS_URL`, for every store kept there. Commands are never
 * queued while disconnected, so an outage answers at once instead of piling up requests, and the
 * client reconnects in the background until Redis is back. The caller attaches an `error` listener
 * (without one, the client's errors would crash the process) and calls `connect`.
 */
export function createRedisClient(url: URL) {
  return createClient({
    url: url.href,
    disableOfflineQueue: true,
    commandOptions: { timeout: COMMAND_TIMEOUT_MS },
    socket: {
      connectTimeout: COMMAND_TIMEOUT_MS,
      reconnectStrategy: reconnectDelayMs,
    },
  });
}

export type RedisClient = ReturnType<typeof createRedisClient>;
