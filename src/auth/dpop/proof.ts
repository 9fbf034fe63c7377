import { hash } from 'node:crypto';
import { jwtVerify, type FlattenedJWSInput, type JWTHeaderParameters } from 'jose';
import { proofKey } from './proof-keys.js';

/** A DPoP proof (RFC 9449 §4.3) that fails a check; the client must send a new proof. */
export class InvalidProofError extends Error {
  readonly code = 'ERR_INVALID_DPOP_PROOF';
  override readonly name = 'InvalidProofError';
}

/** Every JWS algorithm a proof may name: asymmetric ones only, as RFC 9449 §4.2 requires. */
export const ASYMMETRIC_ALGORITHMS = [
  'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA', 'Ed25519',
] as const;

export interface ProofRules {
  /** Allowed `alg` values, a subset of `ASYMMETRIC_ALGORITHMS`. */
  algorithms: readonly string[];
  /** How old, and how far in the future, a proof's `iat` may be, in seconds. */
  maxAgeS: number;
  maxAheadS: number;
}

export interface ProofRequest {
  /** The request's method, compared with `htm`. */
  method: string;
  /** The request's URL without query or fragment, compared with `htu`. */
  url: string;
  /** The access token the proof is presented with, whose hash `ath` must be. */
  accessToken: string;
  /** Seconds since the epoch. */
  now: number;
}

export interface VerifiedProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's key, compared with the token's `cnf.jkt`. */
  thumbprint: string;
  jti: string;
  /** The proof's `nonce` claim, when it has one. */
  nonce: string | undefined;
}

/** Proofs are small: a header with one public key and a few short claims. */
export const MAX_PROOF_LENGTH = 4096;
const MAX_JTI_LENGTH = 256;
/** JWK members that only a private or symmetric key has. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/**
 * Checks a proof's form, key, signature and claims against the request (RFC 9449 §4.3, steps
 * 1–11 except the `jti` replay check and the nonce, which need shared state and come after).
 * Throws `InvalidProofError`, naming the failed check.
 */
export async function verifyProof(proof: string, request: ProofRequest, rules: ProofRules): Promise<VerifiedProof> {
  if (proof.length > MAX_PROOF_LENGTH) throw new InvalidProofError('proof too long');
  let verified;
  let thumbprint = '';
  try {
    // jose asks for the key once the header parsed and its `alg` is allowed, before the signature.
    const resolveKey = async (header: JWTHeaderParameters, { protected: encodedHeader }: FlattenedJWSInput) => {
      // Before any key import, on every proof: a private key must be refused, not merely fail to import.
      if (PRIVATE_MEMBERS.some((member) => Object.hasOwn(header.jwk ?? {}, member))) throw new InvalidProofError('proof key has private members');
      const resolved = await proofKey(encodedHeader!, header);
      thumbprint = resolved.thumbprint;
      return resolved.key;
    };
    verified = await jwtVerify(proof, resolveKey, {
      typ: 'dpop+jwt',
      algorithms: [...rules.algorithms],
      // The other claims are checked by value below, which refuses them missing too.
      requiredClaims: ['iat'],
      currentDate: new Date(request.now * 1000),
    });
  } catch (error) {
    // The options are fixed, so whatever jose or WebCrypto throws (a key that does not import, say) is the proof's fault.
    if (error instanceof InvalidProofError) throw error;
    throw new InvalidProofError(`proof rejected: ${(error as Error).message}`, { cause: error });
  }
  const { iat, jti, htm, htu, ath, nonce } = verified.payload;
  if (request.now - iat! > rules.maxAgeS) throw new InvalidProofError('proof too old');
  if (iat! - request.now > rules.maxAheadS) throw new InvalidProofError('proof issued in the future');
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) throw new InvalidProofError('bad jti');
  if (htm !== request.method) throw new InvalidProofError('htm does not match the request method');
  const expectedUrl = withoutQuery(request.url);
  if (expectedUrl === null || typeof htu !== 'string' || withoutQuery(htu) !== expectedUrl) {
    throw new InvalidProofError('htu does not match the request URL');
  }
  if (ath !== tokenHash(request.accessToken)) throw new InvalidProofError('ath does not match the access token');
  if (nonce !== undefined && typeof nonce !== 'string') throw new InvalidProofError('bad nonce');
  return { thumbprint, jti, nonce };
}

/** `ath`: base64url of the SHA-256 of the access token (RFC 9449 §4.2); tokens are ASCII (token68). */
export function tokenHash(accessToken: string): string {
  return hash('sha256', accessToken, 'base64url');
}

/** Scheme, host and port normalised, query and fragment dropped (RFC 9449 §4.3 step 9); null if not a URL. */
function withoutQuery(url: string): string | null {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return null;
  }
}
