import type { ProofRules } from './proof.js';

/**
 * What DPoP is configured to accept. A leaf module, so that `config.ts`, which applies the
 * defaults, and the sender constraint, which enforces the settings, import it without a circle.
 */
export interface DpopSettings extends ProofRules {
  /** True refuses plain bearer tokens: every token must be DPoP-bound. */
  required: boolean;
  /**
   * The origins clients call the API at (`PUBLIC_URL`): `htu` must name the one whose host is the
   * request's `Host`, and a `Host` outside them is refused. Empty: `http://` and the `Host`.
   */
  publicUrls: readonly string[];
}

/** The defaults `config.ts` applies: Auth0's `iat` window and algorithm list. */
export const DPOP_DEFAULTS: DpopSettings = {
  algorithms: ['ES256', 'PS256', 'RS256', 'EdDSA'],
  maxAgeS: 300,
  maxAheadS: 30,
  required: false,
  publicUrls: [],
};
