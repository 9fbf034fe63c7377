import { createLocalJWKSet, errors, type FlattenedJWSInput, type JSONWebKeySet, type JWTHeaderParameters, type JWTVerifyGetKey } from 'jose';
import type { Logger } from 'pino';
import { NO_TELEMETRY, type Telemetry, type TraceParent } from '../observability/hooks.js';

/** How the key set is fetched, all in milliseconds; the defaults live in `config.ts`. */
export interface KeySetTimings {
  /** A fetch, body included, is abandoned after this long. */
  timeoutMs: number;
  /** After a fetch, an unknown `kid` triggers no other fetch for this long. */
  cooldownMs: number;
  /** Keys older than this are refreshed in the background and stay in use meanwhile. */
  maxAgeMs: number;
  /** Keys older than this are no longer used, however long the provider has been unreachable. */
  staleMaxMs: number;
  /** After a failed fetch, no other fetch is tried for this long. */
  retryAfterFailureMs: number;
}

/**
 * A key set that tells its listeners when the keys in use change or are dropped, so that what was
 * decided with the old keys (a cache, an open socket) is decided again. Several key sets (one per
 * issuer) can be listened to through one such object that forwards each one's changes.
 */
export interface KeySetChanges {
  /** Calls `listener` after each change; the returned function stops that. */
  onChange(listener: () => void): () => void;
}

export interface KeySetOptions extends KeySetTimings {
  /** The issuer's JSON Web Key Set document. */
  url: URL;
  /** The clock, in milliseconds since the epoch; tests pass their own. */
  now?: () => number;
  /** Told of each fetch's outcome; fetches run in spans of their own. */
  telemetry?: Telemetry;
  /** The issuer whose keys these are, naming the key set in metrics; by default its URL. */
  issuer?: string;
}

/** The key set could not be fetched or was not a key set; no token can be verified against it. */
export class KeySetUnavailableError extends Error {
  readonly code = 'ERR_KEY_SET_UNAVAILABLE';
  override readonly name = 'KeySetUnavailableError';
}

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

interface FetchedKeys {
  text: string;
  keys: LocalKeySet;
  /** How many keys the document lists. */
  size: number;
}

/**
 * The issuer's keys, fetched once and shared by every request.
 *
 * Unlike jose's `createRemoteJWKSet`, keys fetched before an identity-provider outage keep
 * verifying tokens during it, up to `staleMaxMs` after the last successful fetch: an outage must
 * not log every user out, but a key withdrawn upstream must not live on for as long as the
 * provider stays unreachable either. Fetches are coalesced and rate-limited, so a flood of tokens
 * with random `kid`s costs a handful of fetches at most.
 */
export class RemoteKeySet implements KeySetChanges {
  readonly #url: URL;
  readonly #timeoutMs: number;
  readonly #cooldownMs: number;
  readonly #maxAgeMs: number;
  readonly #staleMaxMs: number;
  readonly #retryAfterFailureMs: number;
  readonly #listeners = new Set<() => void>();
  readonly #now: () => number;
  readonly #telemetry: Telemetry;
  readonly #issuer: string;

  #keys: LocalKeySet | undefined;
  #document = '';
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #attemptedAt = Number.NEGATIVE_INFINITY;
  #lastAttemptFailed = false;
  #pending: Promise<void> | undefined;
  #fetches = 0;

  constructor(options: KeySetOptions) {
    this.#url = options.url;
    this.#timeoutMs = options.timeoutMs;
    this.#cooldownMs = options.cooldownMs;
    this.#maxAgeMs = options.maxAgeMs;
    this.#staleMaxMs = options.staleMaxMs;
    this.#retryAfterFailureMs = options.retryAfterFailureMs;
    this.#now = options.now ?? (() => Date.now());
    this.#telemetry = options.telemetry ?? NO_TELEMETRY;
    this.#issuer = options.issuer ?? options.url.href;
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }

  /** Fetches started so far, successful or not. */
  get fetches(): number {
    return this.#fetches;
  }

  /** True when tokens can be verified now, or a fetch may be tried now to make that so. */
  get ready(): boolean {
    return this.#usable() || !this.#lastAttemptFailed || this.#mayRetry();
  }

  /** The key resolver for jose's `jwtVerify`. */
  readonly getKey: JWTVerifyGetKey = (header, token) => this.#getKey(header, token, undefined);

  /** `getKey`, with a fetch it starts traced under `trace`; `getKey` itself for an unsampled request. */
  keyResolver(trace: TraceParent | undefined): JWTVerifyGetKey {
    return trace === undefined ? this.getKey : (header, token) => this.#getKey(header, token, trace);
  }

  async #getKey(header: JWTHeaderParameters, token: FlattenedJWSInput, trace: TraceParent | undefined): Promise<Awaited<ReturnType<JWTVerifyGetKey>>> {
    if (!this.#usable()) await this.#replaceStaleKeys(trace);
    else if (this.#now() - this.#fetchedAt >= this.#maxAgeMs) this.refresh({ trace }).catch(() => undefined);
    try {
      return await this.#keys!(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      if (this.#now() - this.#attemptedAt < this.#cooldownMs && !this.#lastAttemptFailed) throw error;
      await this.refresh({ trace });
      return this.#keys!(header, token);
    }
  }

  /** The operator's refetch (`SIGHUP`): fetches now, even within the pause after a failure, and logs the outcome. */
  reload(log: Logger): Promise<void> {
    return this.refresh({ force: true }).then(
      () => log.info({ url: this.#url.href }, 'key set reloaded'),
      (error: unknown) => log.warn({ err: error }, 'key set reload failed; the keys in use stay until JWKS_STALE_MAX_MS'),
    );
  }

  /**
   * Fetches the key set now, joining a fetch already under way. Rejects with `KeySetUnavailableError`.
   * `trace` is the span of the verification that waits for the fetch, if that request is sampled.
   */
  refresh({ force = false, trace }: { force?: boolean; trace?: TraceParent | undefined } = {}): Promise<void> {
    if (this.#pending) return this.#pending;
    if (this.#lastAttemptFailed && !force && !this.#mayRetry()) {
      return Promise.reject(new KeySetUnavailableError('the key set could not be fetched recently'));
    }
    this.#attemptedAt = this.#now();
    this.#fetches += 1;
    this.#pending = this.#telemetry
      .span('auth.jwks_fetch', trace, () => this.#fetch())
      .then(
        (document) => {
          this.#telemetry.keySetFetch(this.#issuer, 'success', document.size);
          this.#use(document);
        },
        (cause: unknown) => {
          this.#telemetry.keySetFetch(this.#issuer, 'failure');
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
    return this.#now() - this.#attemptedAt >= this.#retryAfterFailureMs;
  }

  #usable(): boolean {
    return this.#keys !== undefined && this.#now() - this.#fetchedAt < this.#staleMaxMs;
  }

  /** Keys past `staleMaxMs` are forgotten before the fetch, so a failed fetch cannot leave them in use. */
  async #replaceStaleKeys(trace: TraceParent | undefined): Promise<void> {
    if (this.#keys !== undefined) {
      this.#keys = undefined;
      this.#document = '';
      this.#changed();
    }
    await this.refresh({ trace });
  }

  async #fetch(): Promise<FetchedKeys> {
    // `redirect: 'manual'`: a key set is only trusted from the configured URL itself.
    const response = await fetch(this.#url, {
      redirect: 'manual',
      signal: AbortSignal.timeout(this.#timeoutMs),
      headers: { accept: 'application/json, application/jwk-set+json' },
    });
    if (response.status !== 200) throw new Error(`key set answered HTTP ${response.status}`);
    const text = await response.text();
    const document = JSON.parse(text) as JSONWebKeySet;
    // createLocalJWKSet throws JWKSInvalid unless this is an object with a `keys` array.
    return { text, keys: createLocalJWKSet(document), size: document.keys.length };
  }

  #use({ text, keys }: FetchedKeys): void {
    const changed = text !== this.#document;
    this.#keys = keys;
    this.#document = text;
    this.#fetchedAt = this.#now();
    this.#lastAttemptFailed = false;
    if (changed) this.#changed();
  }
}
