import { hash } from 'node:crypto';
import { challengeOptionsOf, type AuthFailure, type AuthScheme, type ChallengeOptions } from '../../errors.js';
import { NO_TELEMETRY, type CredentialsRejection, type DpopProofResult, type Telemetry } from '../../observability/hooks.js';
import { rawHeaderValues, type AuthRequest } from '../credentials-placement.js';
import type { Principal } from '../principal.js';
import { DPOP_DEFAULTS, type DpopSettings } from './dpop-settings.js';
import type { NonceSource } from './nonce.js';
import { InvalidProofError, verifyProof } from './proof.js';
import { MemoryReplayStore, type ReplayStore } from './replay-store.js';

/**
 * A request the binding rules refuse. The message is the reason, from a fixed set (a proof check's
 * name, a replay, a key mismatch), safe to log: it never holds the proof or the token.
 */
export class SenderConstraintError extends Error {
  override readonly name = 'SenderConstraintError';
  constructor(
    readonly failure: AuthFailure,
    reason: string,
    readonly challenge: ChallengeOptions,
  ) {
    super(reason);
  }
}

/** The parts of a request the DPoP checks read. */
export type ProofCarrier = Omit<AuthRequest, 'log'>;

export interface SenderConstraint {
  /** The challenge options for a failure of a request made with `scheme`. */
  challenge(scheme: AuthScheme): ChallengeOptions;
  /**
   * Decides whether a verified token may be used as presented. Runs on every request, cache hit
   * or not. Throws `SenderConstraintError` when it may not.
   */
  check(request: ProofCarrier, credentials: { scheme: AuthScheme; token: string }, principal: Principal): Promise<void>;
}

export interface SenderConstraintOptions {
  replayStore?: ReplayStore;
  /** Present when `DPOP_NONCE` asks for server nonces. */
  nonces?: NonceSource;
  /** Each issuer's own `dpopRequired`; `settings.required` applies to an issuer not in it. */
  requiredBy?: ReadonlyMap<string, boolean>;
  /** Seconds since the epoch. */
  now?: () => number;
  /** Told of each refusal and each proof's outcome; proof checks run in spans of their own. */
  telemetry?: Telemetry;
}

/**
 * The binding rules of RFC 9449: a DPoP-bound token only with a proof from its key, an unbound one
 * only as Bearer (and not at all where its issuer requires DPoP), each proof once. The challenges
 * follow `DPOP_REQUIRED`, since most failures happen before the token's issuer is known.
 */
export function createSenderConstraint(
  settings: DpopSettings = DPOP_DEFAULTS,
  { replayStore = new MemoryReplayStore(), nonces, requiredBy, now = () => Date.now() / 1000, telemetry = NO_TELEMETRY }: SenderConstraintOptions = {},
): SenderConstraint {
  const challenge = (scheme: AuthScheme): ChallengeOptions => challengeOptionsOf(settings, scheme);
  const fail = (failure: AuthFailure, scheme: AuthScheme, reason: string, counted: CredentialsRejection, proof?: DpopProofResult, nonce?: string) => {
    telemetry.credentialsRejected(counted);
    if (proof) telemetry.dpopProof(proof);
    return new SenderConstraintError(failure, reason, { ...challenge(scheme), nonce });
  };
  // A proof stays acceptable from `maxAheadS` before its `iat` to `maxAgeS` after it.
  const replayWindowS = settings.maxAgeS + settings.maxAheadS;
  const origins = new Map(settings.publicUrls.map((origin) => [new URL(origin).host, origin]));

  /** The URL the proof's `htu` must name; null when the request's `Host` is none of the public origins'. */
  function requestUrl({ url, headers }: ProofCarrier): string | null {
    const path = url.split('?')[0]!;
    // Node lower-cases nothing in a header value; `URL` lower-cases the host of each origin.
    const host = headers.host?.toLowerCase();
    if (origins.size === 0) return host ? `http://${host}${path}` : null;
    const origin = host === undefined ? undefined : origins.get(host);
    return origin === undefined ? null : `${origin}${path}`;
  }

  return {
    challenge,
    async check(request, { scheme, token }, principal) {
      if (scheme === 'bearer') {
        const required = (principal.issuer === undefined ? undefined : requiredBy?.get(principal.issuer)) ?? settings.required;
        if (principal.confirmation !== undefined) throw fail('invalid_token', scheme, 'DPoP-bound token sent as Bearer', 'dpop_binding');
        if (required) throw fail('invalid_token', scheme, 'Bearer token while DPoP is required', 'dpop_binding');
        return;
      }
      const { confirmation } = principal;
      if (confirmation === undefined) throw fail('invalid_token', scheme, 'unbound token sent as DPoP', 'dpop_binding');
      await telemetry.span('auth.dpop_proof', request.trace, async () => {
        const url = requestUrl(request);
        if (url === null) throw fail('invalid_dpop_proof', scheme, 'Host is not among the public URLs', 'invalid_dpop_proof', 'invalid');
        const target = { method: request.method, url, accessToken: token, now: now() };
        const verified = await verifyProof(singleProofHeader(request.rawHeaders), target, settings).catch((error: unknown) => {
          // verifyProof rejects with InvalidProofError only, naming the check; an empty proof included.
          const reason = error instanceof InvalidProofError ? error.message : 'proof rejected';
          throw fail('invalid_dpop_proof', scheme, reason, 'invalid_dpop_proof', 'invalid');
        });
        if (verified.thumbprint !== confirmation.jkt) throw fail('invalid_dpop_proof', scheme, "proof key is not the token's", 'invalid_dpop_proof', 'invalid');
        if (nonces && !nonces.accepts(verified.nonce)) {
          throw fail('use_dpop_nonce', scheme, 'nonce missing or stale', 'use_dpop_nonce', 'invalid', nonces.current());
        }
        const key = hash('sha256', `${verified.thumbprint}.${verified.jti}`, 'base64url');
        // Fail closed: a proof whose use cannot be recorded is not accepted.
        const first = await replayStore.claim(key, replayWindowS).catch(() => {
          throw fail('unavailable', scheme, 'replay store unavailable', 'replay_store_unavailable', 'store_unavailable');
        });
        if (!first) throw fail('invalid_dpop_proof', scheme, 'proof replayed', 'invalid_dpop_proof', 'replayed');
        telemetry.dpopProof('valid');
      });
    },
  };
}

/** The value of the one `DPoP` header; empty, so refused, when there is none or more than one (RFC 9449 §4.3 step 1). */
function singleProofHeader(rawHeaders: readonly string[]): string {
  const values = rawHeaderValues(rawHeaders, 'dpop');
  return values.length === 1 ? values[0]! : '';
}
