import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A nonce is valid for the period it was issued in and the next one (RFC 9449 §8–9). */
export const NONCE_PERIOD_S = 60;

/**
 * Server nonces without state: a nonce is an HMAC of the current period under a key that never
 * leaves the process, so it rotates every period and cannot be forged or carried past its life.
 */
export class NonceSource {
  readonly #key: Buffer;
  readonly #now: () => number;

  /** `now` gives seconds since the epoch. */
  constructor({ key = randomBytes(32), now = () => Date.now() / 1000 }: { key?: Buffer; now?: () => number } = {}) {
    this.#key = key;
    this.#now = now;
  }

  /** The nonce clients must use from now on. */
  current(): string {
    return this.#forPeriod(this.#period());
  }

  accepts(nonce: string | undefined): boolean {
    if (nonce === undefined) return false;
    const period = this.#period();
    return [period, period - 1].some((p) => sameText(nonce, this.#forPeriod(p)));
  }

  #period(): number {
    return Math.floor(this.#now() / NONCE_PERIOD_S);
  }

  #forPeriod(period: number): string {
    return createHmac('sha256', this.#key).update(String(period)).digest('base64url');
  }
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
