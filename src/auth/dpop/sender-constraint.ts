import { hash } from 'node:crypto';
import { authFailureError, challengeOptionsOf, type AuthFailure, type AuthScheme, type ChallengeOptions } from '../../errors.js';
import { NO_TELEMETRY, type CredentialsRejection, type DpopProofResult, type Telemetry } from '../../observability/hooks.js';
import { rawHeaderValues, type AuthRequest } from '../credentials-placement.js';
import type { Principal } from '../principal.js';
import { DPOP_DEFAULTS, type DpopSettings } from './dpop-settings.js';
import type { NonceSource } from './nonce.js';
import { verifyProof } from './proof.js';
import { MemoryReplayStore, type ReplayStore } from './replay-store.js';

/** The parts of a request the DPoP checks read. */
export type ProofCarrier = Omit<AuthRequest, 'log'>;

export interface SenderConstraint {
  /** The challenge options for a failure of a request made with `scheme`. */
  challenge(scheme: AuthScheme): ChallengeOptions;
  /**
   * Decides whether a verified token may be used as presented. Runs on every request, cache hit
   * or not. Throws the request-level GraphQLError of `authFailureError` when it may not.
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
  const fail = (failure: AuthFailure, scheme: AuthScheme, counted: CredentialsRejection, proof?: DpopProofResult, nonce?: string) => {
    telemetry.credentialsRejected(counted);
    if (proof) telemetry.dpopProof(proof);
    return authFailureError(failure, { ...challenge(scheme), nonce });
  };
  // A proof stays acceptable from `maxAheadS` before its `iat` to `maxAgeS` after it.
  const replayWindowS = settings.maxAgeS + settings.maxAheadS;

  return {
    challenge,
    async check(request, { scheme, token }, principal) {
      if (scheme === 'bearer') {
        const required = (principal.issuer === undefined ? undefined : requiredBy?.get(principal.issuer)) ?? settings.required;
        if (principal.confirmation !== undefined || required) throw fail('invalid_token', scheme, 'dpop_binding');
        return;
      }
      const { confirmation } = principal;
      if (confirmation === undefined) throw fail('invalid_token', scheme, 'dpop_binding');
      await telemetry.span('auth.dpop_proof', async () => {
        const target = { method: request.method, url: requestUrl(request, settings.publicUrl), accessToken: token, now: now() };
        // verifyProof rejects with InvalidProofError only, an empty proof or URL included.
        const verified = await verifyProof(singleProofHeader(request.rawHeaders), target, settings).catch(() => {
          throw fail('invalid_dpop_proof', scheme, 'invalid_dpop_proof', 'invalid');
        });
        if (verified.thumbprint !== confirmation.jkt) throw fail('invalid_dpop_proof', scheme, 'invalid_dpop_proof', 'invalid');
        if (nonces && !nonces.accepts(verified.nonce)) throw fail('use_dpop_nonce', scheme, 'use_dpop_nonce', 'invalid', nonces.current());
        const key = hash('sha256', `${verified.thumbprint}.${verified.jti}`, 'base64url');
        // Fail closed: a proof whose use cannot be recorded is not accepted.
        const first = await replayStore.claim(key, replayWindowS).catch(() => {
          throw fail('unavailable', scheme, 'replay_store_unavailable', 'store_unavailable');
        });
        if (!first) throw fail('invalid_dpop_proof', scheme, 'invalid_dpop_proof', 'replayed');
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

/** The URL the proof's `htu` must name; empty, so matching no `htu`, without a public URL or a `Host`. */
function requestUrl({ url, headers }: ProofCarrier, publicUrl: string | undefined): string {
  const path = url.split('?')[0]!;
  if (publicUrl !== undefined) return `${publicUrl}${path}`;
  return headers.host ? `http://${headers.host}${path}` : '';
}
