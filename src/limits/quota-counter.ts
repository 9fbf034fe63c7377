import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Quota } from '../config.js';
import type { RedisClient } from '../redis-connection.js';

/** Where a caller stands in its current window, once a request is charged. */
export interface Count {
  allowed: boolean;
  /** Points left in the window (0 once refused). */
  remaining: number;
  /** Until the window ends and the quota is whole again, in milliseconds. */
  resetMs: number;
}

/** The shared counters cannot be reached and `RATE_LIMIT_ON_STORE_FAILURE=closed` refuses to guess. */
export class QuotaStoreUnavailableError extends Error {
  override readonly name = 'QuotaStoreUnavailableError';
}

export interface QuotaCounter {
  charge(caller: string, points: number): Promise<Count>;
}

export interface CounterStore {
  /** Counters in Redis, shared by every replica; without it, in this process. */
  redis?: RedisClient | undefined;
  onStoreFailure: 'open' | 'closed';
  /** Called for each charge Redis could not count, before it is counted in memory (`open`) or refused (`closed`). */
  storeFailed(): void;
}

/**
 * rate-limiter-flexible's fixed-window counter for one quota, under `name` (kept apart in Redis by
 * its key prefix). With Redis and `open`, the library's insurance limiter counts in this process
 * while Redis is down, each replica on its own; Redis counts again as soon as it answers.
 */
export function quotaCounter(name: string, quota: Quota, store: CounterStore): QuotaCounter {
  const options = { keyPrefix: `ratelimit:${name}`, points: quota.points, duration: quota.windowS };
  const limiter: RateLimiterAbstract = store.redis
    ? new RateLimiterRedis({
        ...options,
        storeClient: store.redis,
        useRedisPackage: true,
        // A disconnected client fails at once rather than waiting for a command timeout.
        rejectIfRedisNotReady: true,
        ...(store.onStoreFailure === 'open' ? { insuranceLimiter: new ObservedMemoryLimiter(options, store.storeFailed) } : {}),
      })
    : new RateLimiterMemory(options);
  return {
    async charge(caller, points) {
      try {
        return countOf(await limiter.consume(caller, points), true);
      } catch (outcome) {
        if (outcome instanceof RateLimiterRes) return countOf(outcome, false);
        store.storeFailed();
        throw new QuotaStoreUnavailableError('rate-limit store did not answer', { cause: outcome });
      }
    },
  };
}

function countOf(result: RateLimiterRes, allowed: boolean): Count {
  return { allowed, remaining: allowed ? result.remainingPoints : 0, resetMs: Math.max(result.msBeforeNext, 0) };
}

/** The insurance limiter, which tells when it stands in for Redis. */
class ObservedMemoryLimiter extends RateLimiterMemory {
  readonly #used: () => void;

  constructor(options: ConstructorParameters<typeof RateLimiterMemory>[0], used: () => void) {
    super(options);
    this.#used = used;
  }

  override consume(...args: Parameters<RateLimiterMemory['consume']>): Promise<RateLimiterRes> {
    this.#used();
    return super.consume(...args);
  }
}
