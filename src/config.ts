import { ASYMMETRIC_ALGORITHMS } from './auth/dpop/proof.js';
import { DPOP_DEFAULTS, type DpopSettings } from './auth/dpop/sender-constraint.js';

/**
 * The only module that reads the environment. Everything else receives a typed `Config`,
 * validated once at start-up: a bad value stops the server with one line naming the variable.
 */

/** Where access tokens come from and whom they must be meant for. */
export interface IssuerConfig {
  /** Exact `iss` a token must carry, e.g. `https://tenant.eu.auth0.com/`. */
  issuer: string;
  /** The issuer's JSON Web Key Set. */
  jwksUri: URL;
  /** The API identifier a token's `aud` must contain. */
  audience: string;
}

export interface Config {
  /** `production` turns off the landing page, stack traces and field suggestions. */
  production: boolean;
  port: number;
  /** The one browser origin allowed by CORS. */
  clientOriginUrl: string;
  /**
   * The token issuer, or `embedded` when no tenant is configured outside production:
   * `main` then starts a development issuer on loopback and fills this in.
   */
  issuer: IssuerConfig | { embedded: true; audience: string };
  /** Whether schema introspection is served (tooling depends on it). */
  introspection: boolean;
  /** How many verified tokens are remembered; 0 turns the cache off. */
  tokenCacheSize: number;
  /** Fetching of the issuer's key set, in milliseconds. */
  keySet: {
    timeoutMs: number;
    cooldownMs: number;
    maxAgeMs: number;
    retryAfterFailureMs: number;
  };
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  logLevel: string;
  /** Where a token's permissions are read from: the Auth0 RBAC array or the OAuth 2 `scope` string, never both. */
  permissionsClaim: PermissionsClaim;
  /** True refuses to build a schema with a root field that has neither a rule nor an explicit `@public`. */
  denyByDefault: boolean;
  /** The origin clients reach the API at, e.g. behind a proxy; DPoP proofs name it in `htu`. */
  publicUrl: string | undefined;
  /** DPoP (RFC 9449): proof rules, `DPOP_REQUIRED` and `DPOP_NONCE`. */
  dpop: DpopSettings & { nonce: boolean };
  /** Where DPoP proofs are remembered across replicas; unset keeps them in this process's memory. */
  redisUrl: URL | undefined;
}

export type PermissionsClaim = 'permissions' | 'scope';

/** The configuration once the embedded development issuer, if any, is running. */
export type ResolvedConfig = Config & { issuer: IssuerConfig };

/** A configuration error; `main` prints its message as the one line before exiting. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_AUDIENCE = 'https://hello-world.example.com';

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(:\d{1,5})?$/i;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Parses and validates the environment. Pure: tests pass their own `env`. */
export function loadConfig(env: Env): Config {
  const production = env['NODE_ENV'] === 'production';
  const publicUrl = nonEmpty(env, 'PUBLIC_URL') === undefined ? undefined : origin(env, 'PUBLIC_URL', '');
  return {
    production,
    port: integer(env, 'PORT', 6060, 0, 65535),
    clientOriginUrl: origin(env, 'CLIENT_ORIGIN_URL', 'http://localhost:4040'),
    issuer: issuer(env, production),
    introspection: boolean(env, 'GRAPHQL_INTROSPECTION', true),
    tokenCacheSize: integer(env, 'TOKEN_CACHE_SIZE', 10_000, 0, 10_000_000),
    keySet: {
      timeoutMs: integer(env, 'JWKS_TIMEOUT_MS', 5_000, 1, 5_000),
      cooldownMs: integer(env, 'JWKS_COOLDOWN_MS', 30_000, 0, 3_600_000),
      maxAgeMs: integer(env, 'JWKS_MAX_AGE_MS', 600_000, 1_000, 86_400_000),
      retryAfterFailureMs: integer(env, 'JWKS_RETRY_AFTER_FAILURE_MS', 1_000, 0, 60_000),
    },
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    permissionsClaim: oneOf<PermissionsClaim>(env, 'PERMISSIONS_CLAIM', ['permissions', 'scope'], 'permissions'),
    denyByDefault: oneOf(env, 'AUTHZ_DEFAULT', ['allow', 'deny'], 'allow') === 'deny',
    publicUrl,
    dpop: {
      algorithms: list(env, 'DPOP_ALGS', ASYMMETRIC_ALGORITHMS, DPOP_DEFAULTS.algorithms),
      maxAgeS: integer(env, 'DPOP_IAT_MAX_AGE_S', DPOP_DEFAULTS.maxAgeS, 1, 3_600),
      maxAheadS: integer(env, 'DPOP_IAT_MAX_AHEAD_S', DPOP_DEFAULTS.maxAheadS, 0, 300),
      required: boolean(env, 'DPOP_REQUIRED', DPOP_DEFAULTS.required),
      nonce: boolean(env, 'DPOP_NONCE', false),
      publicUrl,
    },
    redisUrl: redisUrl(env),
  };
}

function list(env: Env, name: string, allowed: readonly string[], fallback: readonly string[]): string[] {
  const value = nonEmpty(env, name);
  if (value === undefined) return [...fallback];
  const items = value.split(',').map((item) => item.trim());
  const unknown = items.find((item) => !allowed.includes(item));
  if (unknown !== undefined) throw new ConfigError(name, `must list some of ${allowed.join(', ')}, got "${unknown}"`);
  return items;
}

function redisUrl(env: Env): URL | undefined {
  const value = nonEmpty(env, 'REDIS_URL');
  if (value === undefined) return undefined;
  const url = parseUrl('REDIS_URL', value);
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError('REDIS_URL', `must be a redis:// or rediss:// URL, got "${url.protocol}"`);
  }
  return url;
}

function issuer(env: Env, production: boolean): Config['issuer'] {
  const domain = nonEmpty(env, 'AUTH0_DOMAIN');
  const base = nonEmpty(env, 'AUTH0_ISSUER_BASE_URL');
  const audience = nonEmpty(env, 'AUTH0_AUDIENCE');
  if (!domain && !base) {
    if (production) {
      throw new ConfigError('AUTH0_DOMAIN', 'and AUTH0_AUDIENCE must be set when NODE_ENV=production');
    }
    return { embedded: true, audience: audience ?? DEFAULT_AUDIENCE };
  }
  if (!audience) throw new ConfigError('AUTH0_AUDIENCE', 'must be set to the API identifier of your Auth0 API');
  if (base) return { ...issuerFromUrl(base), audience };
  if (!DOMAIN.test(domain!)) {
    throw new ConfigError('AUTH0_DOMAIN', `must be a host name such as tenant.eu.auth0.com, got "${domain}"`);
  }
  const iss = `https://${domain}/`;
  return { issuer: iss, jwksUri: new URL('.well-known/jwks.json', iss), audience };
}

function issuerFromUrl(value: string): Omit<IssuerConfig, 'audience'> {
  const url = parseUrl('AUTH0_ISSUER_BASE_URL', value);
  const loopback = LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new ConfigError('AUTH0_ISSUER_BASE_URL', 'must use https (plain http only for localhost, 127.0.0.1 or [::1])');
  }
  if (url.search || url.hash || url.username) {
    throw new ConfigError('AUTH0_ISSUER_BASE_URL', 'must not carry credentials, a query or a fragment');
  }
  const withSlash = value.endsWith('/') ? value : `${value}/`;
  return { issuer: value, jwksUri: new URL('.well-known/jwks.json', withSlash) };
}

function origin(env: Env, name: string, fallback: string): string {
  const value = nonEmpty(env, name) ?? fallback;
  const url = parseUrl(name, value);
  if (!['http:', 'https:'].includes(url.protocol) || url.origin !== value.replace(/\/$/, '')) {
    throw new ConfigError(name, `must be an origin such as http://localhost:4040 (scheme, host, optional port), got "${value}"`);
  }
  return url.origin;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = nonEmpty(env, name);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const value = nonEmpty(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new ConfigError(name, `must be true or false, got "${value}"`);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = nonEmpty(env, name) ?? fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${value}"`);
  }
  return value as T;
}

function parseUrl(name: string, value: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new ConfigError(name, `must be an absolute URL, got "${value}"`);
  }
}

function nonEmpty(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/**
 * Reads `.env` (when present; real environment variables win) and the process environment.
 * The only place in the code base that touches `process.env`.
 */
export function loadConfigFromProcess(envFile = '.env'): Config {
  try {
    process.loadEnvFile(envFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(envFile, `cannot be read: ${String(error)}`);
  }
  return loadConfig(process.env);
}

/** For entry points: the configuration, or its one-line error on stderr and exit code 1. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfigFromProcess();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
