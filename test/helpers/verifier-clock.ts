import type { JWTPayload } from 'jose';
import { createVerifier, type Verifier } from '../../src/auth/verifier.js';
import type { KeySetTimings } from '../../src/auth/key-set.js';
import type { Telemetry } from '../../src/observability/hooks.js';
import { KeySetServer, sign, type SigningKey } from '../../support/key-set-server.js';

export const AUDIENCE = 'https://hello-world.example.com';
/** A fixed start, so that token times and the clock are whole seconds apart. */
export const T0 = 1_900_000_000_000;
export const TIMINGS: KeySetTimings = { timeoutMs: 1_000, cooldownMs: 30_000, maxAgeMs: 300_000, staleMaxMs: 1_800_000, retryAfterFailureMs: 1_000 };

/** A real verifier against a real loopback key set, on a clock the test moves by hand. */
export interface ClockedVerifier {
  verifier: Verifier;
  idp: KeySetServer;
  key: SigningKey;
  clock: { now: number };
  /** A token signed now by `key`, valid for 10 minutes, with `claims` over the defaults. */
  token(claims?: JWTPayload, key?: SigningKey): Promise<string>;
  close(): Promise<void>;
}

export async function startClockedVerifier({
  cacheSize = 100,
  timings = TIMINGS,
  telemetry,
}: { cacheSize?: number; timings?: KeySetTimings; telemetry?: Telemetry } = {}): Promise<ClockedVerifier> {
  const idp = await KeySetServer.start();
  const key = await idp.publish('key-1');
  const clock = { now: T0 };
  const verifier = createVerifier({
    issuer: idp.issuer,
    jwksUri: new URL('.well-known/jwks.json', idp.issuer),
    audience: AUDIENCE,
    cacheSize,
    keySet: timings,
    permissionsClaim: 'permissions',
    algorithms: ['RS256'],
    now: () => clock.now,
    telemetry,
  });
  return {
    verifier,
    idp,
    key,
    clock,
    token(claims = {}, signingKey = key) {
      const seconds = Math.floor(clock.now / 1000);
      return sign({ iss: idp.issuer, aud: AUDIENCE, sub: 'auth0|one', iat: seconds, exp: seconds + 600, ...claims }, { key: signingKey });
    },
    close: () => idp.close(),
  };
}
