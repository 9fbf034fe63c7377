import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import { RedisReplayStore } from './redis-replay-store.js';
import { MemoryReplayStore, type ReplayStore } from './replay-store.js';

/** Redis when `REDIS_URL` is set, so that replicas share what they have seen; else this process's memory. */
export function createReplayStore(config: Pick<Config, 'redisUrl'>, logger: Logger): ReplayStore {
  return config.redisUrl ? new RedisReplayStore(config.redisUrl, logger) : new MemoryReplayStore();
}
