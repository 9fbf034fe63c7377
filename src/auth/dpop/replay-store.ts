/** The replay store cannot answer (Redis unreachable, memory full): DPoP requests fail closed. */
export class ReplayStoreUnavailableError extends Error {
  readonly code = 'ERR_REPLAY_STORE_UNAVAILABLE';
  override readonly name = 'ReplayStoreUnavailableError';
}

/** Remembers which proofs were used, for as long as they could otherwise be replayed. */
export interface ReplayStore {
  /**
   * Records `key` for `ttlS` seconds. Resolves true the first time, false while it is remembered;
   * rejects with `ReplayStoreUnavailableError` when it cannot tell.
   */
  claim(key: string, ttlS: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * The default store: one process's memory. Every entry lives the same time, so insertion order is
 * expiry order and expired entries are dropped from the front, each check costing O(1) amortised.
 * At `maxEntries` live entries it refuses new proofs rather than forget one that could be replayed.
 */
export class MemoryReplayStore implements ReplayStore {
  readonly #expiries = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor({ maxEntries = 1_000_000, now = Date.now }: { maxEntries?: number; now?: () => number } = {}) {
    this.#maxEntries = maxEntries;
    this.#now = now;
  }

  get size(): number {
    return this.#expiries.size;
  }

  async claim(key: string, ttlS: number): Promise<boolean> {
    const now = this.#now();
    for (const [oldest, expiresAt] of this.#expiries) {
      if (expiresAt > now) break;
      this.#expiries.delete(oldest);
    }
    if (this.#expiries.has(key)) return false;
    if (this.#expiries.size >= this.#maxEntries) throw new ReplayStoreUnavailableError('replay store full');
    this.#expiries.set(key, now + ttlS * 1000);
    return true;
  }

  async close(): Promise<void> {
    this.#expiries.clear();
  }
}
