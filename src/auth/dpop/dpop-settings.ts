import type { ProofRules } from './proof.js';

/**
 * What DPoP is configured to accept. A leaf module, so that `config.ts`, which applies the
 * defaults, and the sender constraint, which enforces the settings, import it without a circle.
 */
export interface DpopSettings extends ProofRules {
  /** True refuses plain bearer tokens: every token must be DPoP-bound. */
  required: boolean;
  /** The API's public origin, the base of `htu`; without it, `http://` and the request's `Host`. */
  publicUrl: string | undefined;
}

/** The defaults `config.ts` applies: Auth0's `iat` window and algorithm list. */
export const DPOP_DEFAULTS: DpopSettings = {
  algorithms: ['ES256', 'PS256', 'RS256', 'EdDSA'],
  maxAgeS: 300,
  maxAheadS: 30,
  required: false,
  publicUrl: undefined,
};
