/**
 * The only module that reads the environment. Everything else receives a typed `Config`,
 * validated once at start-up: a bad value stops the server with one line naming the variable.
 */
import { fileURLToPath } from 'node:url';
import proxyAddr from 'proxy-addr';
import { ASYMMETRIC_ALGORITHMS } from './auth/dpop/proof.js';
import { DPOP_DEFAULTS } from './auth/dpop/dpop-settings.js';
import type { KeySetTimings } from './auth/key-set.js';
import { BODY_LIMIT } from './http/json-body.js';
import { SAMPLERS, type TracingSettings } from './observability/tracing-settings.js';
import {
  DEFAULT_ALGORITHMS,
  DEFAULT_PERMISSIONS_CLAIM,
  issuerUrl,
  locationsUnder,
  parseIssuerList,
  permissionsClaim,
  TIMING_BOUNDS,
  type EmbeddedIssuers,
  type IssuerConfig,
  type IssuerDefaults,
} from './issuers-config.js';
import type { Config, Introspection, Mode, Quota, TrustedDocumentsConfig } from './config-types.js';
import {
  boolean,
  ConfigError,
  httpUrl,
  integer,
  keyValues,
  list,
  nonEmpty,
  notBlank,
  oneOf,
  origin,
  origins,
  parseUrl,
  ratio,
  type Env,
} from './env-values.js';

export { ConfigError } from './env-values.js';
export type { EmbeddedIssuers, IssuerConfig, IssuerSettings } from './issuers-config.js';
export type * from './config-types.js';

export const DEFAULT_AUDIENCE = 'https://hello-world.example.com';

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(:\d{1,5})?$/i;

/**
 * Until the key set is refetched, a key withdrawn upstream keeps verifying; 5 minutes bounds that
 * at the cost of one background fetch per instance per 5 minutes.
 */
const KEY_SET_MAX_AGE_MS = 300_000;
/** Keys outlive their age during a provider outage up to this; past it, a withdrawn key must stop working. */
const KEY_SET_STALE_MAX_MS = 1_800_000;

/** Parses and validates the environment. Pure: tests pass their own `env`. */
export function loadConfig(env: Env): Config {
  const mode = oneOf<Mode>(env, 'NODE_ENV', ['production', 'development', 'test'], 'development');
  const production = mode === 'production';
  const headersTimeoutMs = integer(env, 'HEADERS_TIMEOUT_MS', 10_000, 100, 300_000);
  const dpopRequired = boolean(env, 'DPOP_REQUIRED', DPOP_DEFAULTS.required);
  return {
    mode,
    production,
    port: integer(env, 'PORT', 6060, 0, 65535),
    clientOriginUrl: origin(env, 'CLIENT_ORIGIN_URL', 'http://localhost:4040'),
    issuers: issuers(env, production, { algorithms: [...DEFAULT_ALGORITHMS], keySet: keySetTimings(env), dpopRequired }),
    // The SDL and introspection list every permission and where it applies: public only on purpose in production.
    introspection: introspection(env, production),
    trustedDocuments: trustedDocuments(env),
    http: {
      headersTimeoutMs,
      // Node refuses a request timeout shorter than the headers timeout.
      requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', Math.max(30_000, headersTimeoutMs), headersTimeoutMs, 3_600_000),
      // Longer than the proxy's own idle timeout (4 s in deploy/nginx.conf), so the proxy always closes first.
      keepAliveTimeoutMs: integer(env, 'KEEP_ALIVE_TIMEOUT_MS', 5_000, 1_000, 600_000),
      maxConnections: integer(env, 'MAX_CONNECTIONS', 1_000, 1, 1_000_000),
    },
    tokenCacheSize: integer(env, 'TOKEN_CACHE_SIZE', 10_000, 0, 10_000_000),
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    denyByDefault: oneOf(env, 'AUTHZ_DEFAULT', ['allow', 'deny'], 'allow') === 'deny',
    unauthorizedMode: oneOf(env, 'AUTHZ_UNAUTHORIZED_MODE', ['filter', 'reject'], 'filter'),
    subscriptionMaxConnections: integer(env, 'SUBSCRIPTION_MAX_CONNECTIONS', 1_000, 1, 1_000_000),
    subscriptionMaxPerConnection: integer(env, 'SUBSCRIPTION_MAX_PER_CONNECTION', 10, 1, 1_000),
    subscriptionIdleTimeoutMs: integer(env, 'SUBSCRIPTION_IDLE_TIMEOUT_MS', 60_000, 1_000, 3_600_000),
    // An operation over a socket is no bigger than one over HTTP.
    subscriptionMaxMessageBytes: integer(env, 'SUBSCRIPTION_MAX_MESSAGE_BYTES', BODY_LIMIT, 1_024, 10 * 1024 * 1024),
    dpop: {
      algorithms: list(env, 'DPOP_ALGS', ASYMMETRIC_ALGORITHMS, DPOP_DEFAULTS.algorithms),
      maxAgeS: integer(env, 'DPOP_IAT_MAX_AGE_S', DPOP_DEFAULTS.maxAgeS, 1, 3_600),
      maxAheadS: integer(env, 'DPOP_IAT_MAX_AHEAD_S', DPOP_DEFAULTS.maxAheadS, 0, 300),
      required: dpopRequired,
      nonce: boolean(env, 'DPOP_NONCE', false),
      publicUrls: origins(env, 'PUBLIC_URL'),
    },
    redisUrl: redisUrl(env),
    metrics: nonEmpty(env, 'METRICS_PORT') === undefined ? undefined : { port: integer(env, 'METRICS_PORT', 0, 0, 65535), host: nonEmpty(env, 'METRICS_HOST') },
    tracing: tracing(env),
    rateLimits: {
      authenticated: quota(env, 'RATE_LIMIT'),
      anonymous: quota(env, 'RATE_LIMIT_ANONYMOUS'),
      onStoreFailure: oneOf(env, 'RATE_LIMIT_ON_STORE_FAILURE', ['open', 'closed'], 'open'),
      trustedProxies: trustedProxies(env),
    },
  };
}

const QUOTA = /^(\d{1,9})\/(\d{1,6})$/;

function quota(env: Env, name: string): Quota | undefined {
  const value = nonEmpty(env, name);
  if (value === undefined) return undefined;
  const [, points, windowS] = QUOTA.exec(value.replace(/\s+/g, '')) ?? [];
  if (!points || !windowS || Number(points) < 1 || Number(windowS) < 1 || Number(windowS) > 86_400) {
    throw new ConfigError(name, `must be <points>/<seconds>, e.g. 600/60, with seconds from 1 to 86400, got "${value}"`);
  }
  return { points: Number(points), windowS: Number(windowS) };
}

/** A comma-separated list, as Express's `trust proxy` takes it, checked by proxy-addr itself. */
function trustedProxies(env: Env): string[] {
  const items = nonEmpty(env, 'TRUSTED_PROXIES')?.split(',').map((item) => item.trim()).filter(Boolean) ?? [];
  try {
    proxyAddr.compile(items);
  } catch (error) {
    throw new ConfigError('TRUSTED_PROXIES', `must list addresses, CIDR ranges or loopback, linklocal, uniquelocal: ${(error as Error).message}`);
  }
  return items;
}

function introspection(env: Env, production: boolean): Introspection {
  const value = nonEmpty(env, 'GRAPHQL_INTROSPECTION')?.toLowerCase();
  if (value === 'per-caller') return value;
  if (value === undefined || ['true', 'false', '1', '0'].includes(value)) return boolean(env, 'GRAPHQL_INTROSPECTION', !production);
  throw new ConfigError('GRAPHQL_INTROSPECTION', `must be true, false or per-caller, got "${value}"`);
}

function trustedDocuments(env: Env): TrustedDocumentsConfig | undefined {
  const file = nonEmpty(env, 'TRUSTED_DOCUMENTS');
  const mode = oneOf(env, 'TRUSTED_DOCUMENTS_MODE', ['enforce', 'log'], 'enforce');
  if (file !== undefined) return { file, mode };
  if (nonEmpty(env, 'TRUSTED_DOCUMENTS_MODE') !== undefined) throw new ConfigError('TRUSTED_DOCUMENTS_MODE', 'needs TRUSTED_DOCUMENTS, the manifest it applies to');
  return undefined;
}

/**
 * OpenTelemetry's standard variables, read here like every other setting and handed to the SDK
 * as arguments, so that what the SDK does is what this validated. Tracing is off without an
 * endpoint, or with `OTEL_SDK_DISABLED=true`.
 */
function tracing(env: Env): TracingSettings | undefined {
  const signalUrl = nonEmpty(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const baseUrl = nonEmpty(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (boolean(env, 'OTEL_SDK_DISABLED', false) || (signalUrl === undefined && baseUrl === undefined)) return undefined;
  // As the OTLP exporter specification says: the signal's URL as given, else `v1/traces` under the base URL.
  const url = signalUrl === undefined
    ? httpUrl('OTEL_EXPORTER_OTLP_ENDPOINT', baseUrl!.endsWith('/') ? `${baseUrl}v1/traces` : `${baseUrl}/v1/traces`)
    : httpUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', signalUrl);
  return {
    url,
    headers: { ...keyValues(env, 'OTEL_EXPORTER_OTLP_HEADERS'), ...keyValues(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS') },
    serviceName: nonEmpty(env, 'OTEL_SERVICE_NAME') ?? 'graphql-auth-directives-api',
    resourceAttributes: keyValues(env, 'OTEL_RESOURCE_ATTRIBUTES'),
    sampler: oneOf(env, 'OTEL_TRACES_SAMPLER', SAMPLERS, 'parentbased_always_on'),
    samplerRatio: ratio(env, 'OTEL_TRACES_SAMPLER_ARG', 1),
  };
}

function keySetTimings(env: Env): KeySetTimings {
  const timings = {
    timeoutMs: integer(env, 'JWKS_TIMEOUT_MS', 5_000, ...TIMING_BOUNDS.timeoutMs),
    cooldownMs: integer(env, 'JWKS_COOLDOWN_MS', 30_000, ...TIMING_BOUNDS.cooldownMs),
    maxAgeMs: integer(env, 'JWKS_MAX_AGE_MS', KEY_SET_MAX_AGE_MS, ...TIMING_BOUNDS.maxAgeMs),
    staleMaxMs: integer(env, 'JWKS_STALE_MAX_MS', KEY_SET_STALE_MAX_MS, ...TIMING_BOUNDS.staleMaxMs),
    retryAfterFailureMs: integer(env, 'JWKS_RETRY_AFTER_FAILURE_MS', 1_000, ...TIMING_BOUNDS.retryAfterFailureMs),
  };
  if (timings.staleMaxMs < timings.maxAgeMs) {
    throw new ConfigError('JWKS_STALE_MAX_MS', `must be at least JWKS_MAX_AGE_MS (${timings.maxAgeMs}), got "${timings.staleMaxMs}"`);
  }
  return timings;
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

/** The single-issuer shorthand, which `AUTH_ISSUERS` replaces. */
const SHORTHAND = ['AUTH0_DOMAIN', 'AUTH0_ISSUER_BASE_URL', 'AUTH0_AUDIENCE', 'PERMISSIONS_CLAIM'] as const;

function issuers(env: Env, production: boolean, defaults: IssuerDefaults): Config['issuers'] {
  const list = notBlank(env, 'AUTH_ISSUERS');
  const devIssuers = integer(env, 'DEV_ISSUERS', 1, 1, 2) as 1 | 2;
  const configured = list === undefined ? shorthandIssuer(env, production, defaults) : issuerList(env, list, defaults);
  if (!Array.isArray(configured)) return { ...configured, count: devIssuers };
  if (nonEmpty(env, 'DEV_ISSUERS') !== undefined) {
    throw new ConfigError('DEV_ISSUERS', 'applies to the embedded development issuers only; remove it while issuers are configured');
  }
  return configured;
}

function shorthandIssuer(env: Env, production: boolean, defaults: IssuerDefaults): IssuerConfig[] | Omit<EmbeddedIssuers, 'count'> {
  // Set but empty is a mistake (a template copied without its values), never "use development mode".
  const domain = notBlank(env, 'AUTH0_DOMAIN');
  const base = notBlank(env, 'AUTH0_ISSUER_BASE_URL');
  const audience = notBlank(env, 'AUTH0_AUDIENCE');
  const claim = permissionsClaim(nonEmpty(env, 'PERMISSIONS_CLAIM') ?? DEFAULT_PERMISSIONS_CLAIM, (problem) => new ConfigError('PERMISSIONS_CLAIM', problem));
  if (!domain && !base) {
    if (production) {
      throw new ConfigError('AUTH0_DOMAIN', 'and AUTH0_AUDIENCE (or AUTH_ISSUERS) must be set when NODE_ENV=production');
    }
    return { embedded: true, settings: { ...defaults, audience: audience ?? DEFAULT_AUDIENCE, permissionsClaim: claim } };
  }
  if (!audience) throw new ConfigError('AUTH0_AUDIENCE', 'must be set to the API identifier of your Auth0 API');
  const settings = { ...defaults, audience, permissionsClaim: claim };
  if (base) {
    const url = issuerUrl(base, (problem) => new ConfigError('AUTH0_ISSUER_BASE_URL', problem));
    return [{ ...settings, ...locationsUnder(url), issuer: url }];
  }
  if (!DOMAIN.test(domain!)) {
    throw new ConfigError('AUTH0_DOMAIN', `must be a host name such as tenant.eu.auth0.com, got "${domain}"`);
  }
  const url = `https://${domain!.toLowerCase()}/`;
  return [{ ...settings, ...locationsUnder(url), issuer: url }];
}

function issuerList(env: Env, text: string, defaults: IssuerDefaults): IssuerConfig[] {
  const both = SHORTHAND.filter((name) => env[name] !== undefined);
  if (both.length > 0) {
    throw new ConfigError('AUTH_ISSUERS', `and ${both.join(', ')} are both set: list every issuer in AUTH_ISSUERS, or remove it and keep the single-issuer variables`);
  }
  return parseIssuerList(text, defaults, (problem) => new ConfigError('AUTH_ISSUERS', problem));
}

/** The project root's `.env`, wherever the process was started from: `src/` and `dist/` both sit one level below the root. */
export const DEFAULT_ENV_FILE = fileURLToPath(new URL('../.env', import.meta.url));

/**
 * Reads the `.env` file named by `ENV_FILE` (default: the project root's), when present; real
 * environment variables win over it. The only place in the code base that touches `process.env`.
 */
export function loadConfigFromProcess(): Config & { envFile: string | null } {
  const path = nonEmpty(process.env, 'ENV_FILE') ?? DEFAULT_ENV_FILE;
  try {
    process.loadEnvFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError('ENV_FILE', `${path} cannot be read: ${String(error)}`);
    return { ...loadConfig(process.env), envFile: null };
  }
  return { ...loadConfig(process.env), envFile: path };
}

/** For entry points: the configuration, or its one-line error on stderr and exit code 1. */
export function loadConfigOrExit(): Config & { envFile: string | null } {
  try {
    return loadConfigFromProcess();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
