import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWTPayload } from 'jose';
import type { GraphQLSchema } from 'graphql';
import { pino, type Logger } from 'pino';
import { DEFAULT_AUDIENCE, loadConfig, type ResolvedConfig } from '../../src/config.js';
import { buildApp, type App, type AppOptions } from '../../src/http/app.js';
import { KeySetServer, sign, type KeySetFault, type SigningKey } from '../../support/key-set-server.js';

/** The development audience, which the tests also use for the issuer they serve. */
export const AUDIENCE = DEFAULT_AUDIENCE;
export const ADMIN = 'read:admin-messages';
export const CLIENT_ORIGIN = 'http://127.0.0.1:4040';

export interface Harness {
  /** Base URL of the running app, e.g. http://127.0.0.1:41234 */
  url: string;
  app: App;
  idp: KeySetServer;
  key: SigningKey;
  config: ResolvedConfig;
  /** A valid token for this app, with `claims` merged over sensible defaults. */
  token(claims?: JWTPayload, key?: SigningKey): Promise<string>;
  /** POSTs a GraphQL query, with a bearer token when given. */
  graphql(query: string, token?: string, headers?: Record<string, string>): Promise<GraphQLResponse>;
  close(): Promise<void>;
}

export interface GraphQLResponse {
  status: number;
  headers: Headers;
  body: { data?: Record<string, unknown> | null; errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, unknown> }> };
}

/**
 * Starts a key-set server and the real app on random loopback ports. `env` goes through the real
 * configuration parser, on top of what wires the app to the test issuer. `fault` is in force
 * before the app starts, so its first key-set fetch already sees it.
 */
export async function startHarness(
  env: Record<string, string> = {},
  {
    fault = 'ok',
    logger = pino({ level: 'silent' }),
    schema,
    rateLimitHooks,
  }: { fault?: KeySetFault; logger?: Logger; schema?: GraphQLSchema; rateLimitHooks?: AppOptions['rateLimitHooks'] } = {},
): Promise<Harness> {
  const idp = await KeySetServer.start();
  idp.fault = fault;
  const key = await idp.publish('test-key-1');
  const config = loadConfig({
    AUTH0_ISSUER_BASE_URL: idp.issuer,
    AUTH0_AUDIENCE: AUDIENCE,
    CLIENT_ORIGIN_URL: CLIENT_ORIGIN,
    JWKS_TIMEOUT_MS: '500',
    JWKS_COOLDOWN_MS: '0',
    JWKS_RETRY_AFTER_FAILURE_MS: '0',
    ...env,
  }) as ResolvedConfig;
  const app = await buildApp({ config, logger, ...(schema ? { schema } : {}), ...(rateLimitHooks ? { rateLimitHooks } : {}) });
  const server = createServer(app.handler);
  const subscriptions = app.attachSubscriptions(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    app,
    idp,
    key,
    config,
    token: (claims = {}, signingKey = key) => {
      const now = Math.floor(Date.now() / 1000);
      return sign({ iss: idp.issuer, aud: AUDIENCE, sub: 'auth0|tester', iat: now, exp: now + 600, ...claims }, { key: signingKey });
    },
    async graphql(query, token, headers = {}) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
        body: JSON.stringify({ query }),
      });
      return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResponse['body'] };
    },
    async close() {
      await subscriptions.close();
      server.closeAllConnections();
      server.close();
      await app.close();
      await idp.close();
    },
  };
}
