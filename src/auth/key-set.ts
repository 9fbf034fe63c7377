import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

/** Options of the issuer's key set, all durations in milliseconds. */
export interface KeySetOptions {
  /** The issuer's JSON Web Key Set document. */
  url: URL;
  /** A fetch, body included, is abandoned after this long. Default 5,000. */
  timeoutMs?: number;
  /** After a fetch, an unknown `kid` triggers no other fetch for this long. Default 30,000. */
  cooldownMs?: number;
  /** Keys older than this are refreshed in the background and stay in use meanwhile. Default 600,000. */
  maxAgeMs?: number;
  /** After a failed fetch, no other fetch is tried for this long. Default 1,000. */
  retryAfterFailureMs?: number;
  /** Called when a fetch brings keys that differ from those in use, so caches built on them can be dropped. */
  onChange?: () => void;
}

/** The key set could not be fetched or was not a key set; no token can be verified against it. */
export class KeySetUnavailableError extends Error {
  readonly code = 'ERR_KEY_SET_UNAVAILABLE';
  override readonly name = 'KeySetUnavailableError';
}

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

/**
 * The issuer's keys, fetched once and shared by every request.
 *
 * Unlike jose's `createRemoteJWKSet`, keys fetched before an identity-provider outage keep
 * verifying tokens during it: an outage must not log every user out, and a key removed upstream
 * cannot be learned about while the provider is unreachable anyway. Fetches are coalesced and
 * rate-limited, so a flood of tokens with random `kid`s costs a handful of fetches at most.
 */
export class RemoteKeySet {
  readonly #url: URL;
  readonly #timeoutMs: number;
  readonly #cooldownMs: number;
  readonly #maxAgeMs: number;
  readonly #retryAfterFailureMs: number;
  readonly #onChange: (() => void) | undefined;

  #keys: LocalKeySet | undefined;
  #document = '';
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #attemptedAt = Number.NEGATIVE_INFINITY;
  #lastAttemptFailed = false;
  #pending: Promise<void> | undefined;
  #fetches = 0;

  constructor(options: KeySetOptions) {
    this.#url = options.url;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#cooldownMs = options.cooldownMs ?? 30_000;
    this.#maxAgeMs = options.maxAgeMs ?? 600_000;
    this.#retryAfterFailureMs = options.retryAfterFailureMs ?? 1_000;
    this.#onChange = options.onChange;
  }

  /** Fetches started so far, successful or not. */
  get fetches(): number {
    return this.#fetches;
  }

  /** True when tokens can be verified now, or a fetch may be tried now to make that so. */
  get ready(): boolean {
    return this.#keys !== undefined || !this.#lastAttemptFailed || this.#mayRetry();
  }

  /** The key resolver for jose's `jwtVerify`. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    if (this.#keys === undefined) await this.refresh();
    else if (Date.now() - this.#fetchedAt >= this.#maxAgeMs) this.refresh().catch(() => undefined);
    try {
      return await this.#keys!(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      if (Date.now() - this.#attemptedAt < this.#cooldownMs && !this.#lastAttemptFailed) throw error;
      await this.refresh();
      return this.#keys!(header, token);
    }
  };

  /** Fetches the key set now, joining a fetch already under way. Rejects with `KeySetUnavailableError`. */
  refresh(): Promise<void> {
    if (this.#pending) return this.#pending;
    if (this.#lastAttemptFailed && !this.#mayRetry()) {
      return Promise.reject(new KeySetUnavailableError('the key set could not be fetched recently'));
    }
    this.#attemptedAt = Date.now();
    this.#fetches += 1;
    this.#pending = this.#fetch()
      .then(
        (document) => this.#use(document),
        (cause: unknown) => {
          this.#lastAttemptFailed = true;
          throw new KeySetUnavailableError(`cannot fetch ${this.#url.href}`, { cause });
        },
      )
      .finally(() => {
        this.#pending = undefined;
      });
    return this.#pending;
  }

  #mayRetry(): boolean {
    return Date.now() - this.#attemptedAt >= this.#retryAfterFailureMs;
  }

  async #fetch(): Promise<{ text: string; keys: LocalKeySet }> {
    // `redirect: 'manual'`: a key set is only trusted from the configured URL itself.
    const response = await fetch(this.#url, {
      redirect: 'manual',
      signal: AbortSignal.timeout(this.#timeoutMs),
      headers: { accept: 'application/json, application/jwk-set+json' },
    });
    if (response.status !== 200) throw new Error(`key set answered HTTP ${response.status}`);
    const text = await response.text();
    // createLocalJWKSet throws JWKSInvalid unless this is an object with a `keys` array.
    return { text, keys: createLocalJWKSet(JSON.parse(text) as JSONWebKeySet) };
  }

  #use({ text, keys }: { text: string; keys: LocalKeySet }): void {
    const changed = text !== this.#document;
    this.#keys = keys;
    this.#document = text;
    this.#fetchedAt = Date.now();
    this.#lastAttemptFailed = false;
    if (changed) this.#onChange?.();
  }
}
