/**
 * Typed readers of one environment variable each, for `config.ts`, which alone calls them and
 * alone reads the environment: every reader names its variable in the `ConfigError` of a bad value,
 * so a mistake stops the server with one line saying which variable and why.
 */

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

export type Env = Readonly<Record<string, string | undefined>>;

export function httpUrl(name: string, value: string): URL {
  const url = parseUrl(name, value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(name, `must be an http:// or https:// URL, got "${value}"`);
  return url;
}

/** OpenTelemetry's `key1=value1,key2=value2` lists, each part percent-decoded (W3C Baggage's format). */
export function keyValues(env: Env, name: string): Record<string, string> {
  const value = nonEmpty(env, name);
  if (value === undefined) return {};
  const entries = value.split(',').map((pair) => {
    const equals = pair.indexOf('=');
    const key = pair.slice(0, equals).trim();
    if (equals === -1 || !key) throw new ConfigError(name, 'must be a list of key=value pairs separated by commas');
    try {
      return [decodeURIComponent(key), decodeURIComponent(pair.slice(equals + 1).trim())];
    } catch {
      throw new ConfigError(name, 'has a badly percent-encoded key or value');
    }
  });
  return Object.fromEntries(entries) as Record<string, string>;
}

export function ratio(env: Env, name: string, fallback: number): number {
  const value = nonEmpty(env, name);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || n > 1) throw new ConfigError(name, `must be a number from 0 to 1, got "${value}"`);
  return n;
}

export function list(env: Env, name: string, allowed: readonly string[], fallback: readonly string[]): string[] {
  const value = nonEmpty(env, name);
  if (value === undefined) return [...fallback];
  const items = value.split(',').map((item) => item.trim());
  const unknown = items.find((item) => !allowed.includes(item));
  if (unknown !== undefined) throw new ConfigError(name, `must list some of ${allowed.join(', ')}, got "${unknown}"`);
  return items;
}

/** A comma-separated list of origins, none when unset. */
export function origins(env: Env, name: string): string[] {
  const value = nonEmpty(env, name);
  if (value === undefined) return [];
  return [...new Set(value.split(',').map((item) => originOf(name, item.trim())))];
}

export function origin(env: Env, name: string, fallback: string): string {
  return originOf(name, nonEmpty(env, name) ?? fallback);
}

export function originOf(name: string, value: string): string {
  const url = parseUrl(name, value);
  if (!['http:', 'https:'].includes(url.protocol) || url.origin !== value.replace(/\/$/, '')) {
    throw new ConfigError(name, `must be an origin such as http://localhost:4040 (scheme, host, optional port), got "${value}"`);
  }
  return url.origin;
}

export function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = nonEmpty(env, name);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

export function boolean(env: Env, name: string, fallback: boolean): boolean {
  const value = nonEmpty(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new ConfigError(name, `must be true or false, got "${value}"`);
}

export function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = nonEmpty(env, name) ?? fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${value}"`);
  }
  return value as T;
}

export function parseUrl(name: string, value: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new ConfigError(name, `must be an absolute URL, got "${value}"`);
  }
}

export function nonEmpty(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

export function notBlank(env: Env, name: string): string | undefined {
  const value = env[name];
  if (value !== undefined && !value.trim()) throw new ConfigError(name, 'is set but empty; remove it or give it a value');
  return value?.trim();
}
