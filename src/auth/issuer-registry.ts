import { decodeJwt, errors } from 'jose';
import type { Logger } from 'pino';
import { ConfigError, type IssuerConfig } from '../config.js';
import { NO_TELEMETRY, type Telemetry } from '../observability/hooks.js';
import { discoverIssuer } from './discovery.js';
import type { KeySetChanges } from './key-set.js';
import { cacheKeyOf, createVerifier, InvalidTokenError, type TokenVerifier, type Verifier } from './verifier.js';

/** The rejection reason of a token whose `iss` is missing or none of the configured issuers: jose's own for a wrong `iss`. */
export const UNKNOWN_ISSUER = 'ERR_JWT_CLAIM_VALIDATION_FAILED iss';

/** One trusted issuer: its settings once discovered, its verifier and the key set that verifier owns. */
export interface RegisteredIssuer extends Verifier {
  readonly config: IssuerConfig;
}

/**
 * Every trusted issuer, behind the one entry point the context builder calls. Its `onChange`
 * tells of a change in any issuer's key set, so that open sockets are checked again.
 */
export interface IssuerRegistry extends TokenVerifier, KeySetChanges {
  /** In configuration order. */
  readonly issuers: readonly RegisteredIssuer[];
  /** The issuers whose tokens cannot be verified now: no usable keys, and no fetch may be tried yet. */
  unready(): string[];
  /** The operator's refetch (`SIGHUP`) of every issuer's key set, each logging its outcome. */
  reload(log: Logger): Promise<void>;
}

export interface RegistryOptions {
  /** Verified tokens remembered for each issuer; 0 verifies every request afresh. */
  cacheSize: number;
  log: Logger;
  /** Told of cache lookups, key-set fetches and verifications, for every issuer alike. */
  telemetry?: Telemetry;
}

/**
 * Discovers each issuer (one start-up log line each), creates its verifier, and starts fetching
 * its keys, so that an issuer that is down now delays neither start-up nor the other issuers.
 *
 * A token is routed by the `iss` of its unverified payload to exactly one issuer, before any
 * signature check: only that issuer's keys, algorithms, audience and claim mapping apply, so a
 * token signed with one issuer's key but naming another fails that other's signature check,
 * whatever its `kid`. An `iss` nobody configured is refused without fetching anything.
 *
 * A token verified before is looked up first, in each issuer's cache (only the issuer its `iss`
 * names can have verified the same text), so that a cache hit costs a hash rather than a decode.
 */
export async function createIssuerRegistry(configs: readonly IssuerConfig[], { cacheSize, log, telemetry = NO_TELEMETRY }: RegistryOptions): Promise<IssuerRegistry> {
  const discovered = await Promise.all(configs.map((config) => discoverIssuer(config, { timeoutMs: config.keySet.timeoutMs, log })));
  const byIssuer = new Map<string, RegisteredIssuer>();
  for (const config of discovered) {
    // Discovery may respell an issuer (a trailing slash), so two distinct settings can meet here.
    if (byIssuer.has(config.issuer)) throw new ConfigError('AUTH_ISSUERS', `lists "${config.issuer}" twice once discovered`);
    byIssuer.set(config.issuer, { config, ...createVerifier({ ...config, cacheSize, telemetry }) });
  }
  const issuers = [...byIssuer.values()];
  for (const { config, keySet } of issuers) {
    keySet.refresh().catch((error: unknown) => log.warn({ err: error, issuer: config.issuer }, 'key set not reachable yet'));
  }
  return {
    issuers,
    verify(token, trace) {
      const key = cacheKeyOf(token);
      // Equivalent mutants (docs/development.md): this shortcut only saves decoding the token, as
      // the issuer's own `verify` answers from the same cache with the same principal and count.
      // Stryker disable BlockStatement,ConditionalExpression
      for (const { cached } of issuers) {
        const principal = cached(key);
        if (principal) {
          telemetry.tokenCacheLookup(true);
          return Promise.resolve(principal);
        }
      }
      // Stryker restore BlockStatement,ConditionalExpression
      let iss: unknown;
      try {
        ({ iss } = decodeJwt(token));
      } catch (error) {
        // Stryker disable next-line StringLiteral: decodeJwt throws only jose's JWTInvalid; the fallback keeps the reason a fixed label should that change
        return Promise.reject(new InvalidTokenError(error instanceof errors.JOSEError ? error.code : 'ERR_JWT_INVALID', { cause: error }));
      }
      // Stryker disable next-line ConditionalExpression: the check narrows the type; Map.get of a non-string is undefined anyway
      const issuer = typeof iss === 'string' ? byIssuer.get(iss) : undefined;
      return issuer ? issuer.verify(token, trace) : Promise.reject(new InvalidTokenError(UNKNOWN_ISSUER));
    },
    onChange(listener) {
      const stops = issuers.map(({ keySet }) => keySet.onChange(listener));
      return () => {
        for (const stop of stops) stop();
      };
    },
    unready: () => issuers.filter(({ keySet }) => !keySet.ready).map(({ config }) => config.issuer),
    reload: async (reloadLog) => {
      await Promise.all(issuers.map(({ keySet }) => keySet.reload(reloadLog)));
    },
  };
}

/** The principal's issuer's `dpopRequired`, for the sender constraint. */
export function dpopRequiredBy(registry: IssuerRegistry): ReadonlyMap<string, boolean> {
  return new Map(registry.issuers.map(({ config }) => [config.issuer, config.dpopRequired]));
}
