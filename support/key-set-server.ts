/**
 * The identity provider the tests and the bench trust: a real key-set endpoint on loopback, with
 * real RS256 keys, that can be told to misbehave. Shared by both, so it lives outside either.
 */
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type JWTHeaderParameters } from 'jose';
import { DEFAULT_AUDIENCE } from '../src/config.js';

/** How the key-set endpoint misbehaves; `ok` serves the published keys. */
export type KeySetFault =
  | 'ok'
  | 'hang'
  | 'status-500'
  | 'status-203-with-keys'
  | 'html'
  | 'empty-object'
  | 'null-keys'
  | 'redirect'
  | 'garbage';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function createSigningKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

export interface AccessTokenOptions {
  /** The API identifier, or identifiers, in `aud`; the project's default unless told. */
  audience?: string | string[];
  /** `iat`, in seconds since the epoch; now unless told. */
  issuedAt?: number;
  /** Seconds from `iat` to `exp`. */
  lifetimeS?: number;
}

/**
 * A real identity provider's key-set endpoint on 127.0.0.1: it serves the public halves of the
 * keys it publishes at `jwksPath`, counts fetches, and can be told to misbehave. Its OIDC
 * discovery document names that path, unless `discovery` replaces the document or removes it.
 */
export class KeySetServer {
  readonly published: SigningKey[] = [];
  fault: KeySetFault = 'ok';
  fetches = 0;
  jwksPath = '/.well-known/jwks.json';
  /** `undefined` serves the document describing this server; `null` answers 404; `redirect` points elsewhere for it; `hang` never answers. */
  discovery: Record<string, unknown> | null | 'redirect' | 'hang' | undefined;
  discoveryFetches = 0;
  /** Every answer waits this long first, like a slow provider. */
  delayMs = 0;
  #server: Server;
  #hanging = new Set<ServerResponse>();
  #port = 0;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<KeySetServer> {
    const server = createServer();
    const keySet = new KeySetServer(server);
    server.on('request', (req, res) => keySet.#handle(req.url ?? '', res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    keySet.#port = (server.address() as AddressInfo).port;
    return keySet;
  }

  /** Closes the port, so that connections are refused, as when the provider's host is down. */
  async refuseConnections(): Promise<void> {
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close');
  }

  /** Listens again on the same port after `refuseConnections`. */
  async acceptConnections(): Promise<void> {
    this.#server.listen(this.#port, '127.0.0.1');
    await once(this.#server, 'listening');
  }

  /** The issuer URL this provider stands for, Auth0-style with a trailing slash. */
  get issuer(): string {
    return `http://127.0.0.1:${this.#port}/`;
  }

  /**
   * The claims of an access token from this issuer, shaped like Auth0's: `iss`, `aud`, `sub`,
   * `iat` and `exp`; `claims` add to them or replace them, and one set to `undefined` is left out.
   */
  accessTokenClaims(claims: JWTPayload = {}, { audience = DEFAULT_AUDIENCE, issuedAt = Math.floor(Date.now() / 1000), lifetimeS = 600 }: AccessTokenOptions = {}): JWTPayload {
    return { iss: this.issuer, aud: audience, sub: 'auth0|tester', iat: issuedAt, exp: issuedAt + lifetimeS, ...claims };
  }

  /** An access token from this issuer with `accessTokenClaims`, signed with `key`. */
  accessToken(key: SigningKey, claims?: JWTPayload, options?: AccessTokenOptions): Promise<string> {
    return sign(this.accessTokenClaims(claims, options), { key });
  }

  async publish(kid: string): Promise<SigningKey> {
    const key = await createSigningKey(kid);
    this.published.push(key);
    return key;
  }

  async close(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    if (!this.#server.listening) return;
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close');
  }

  #handle(url: string, res: ServerResponse): void {
    if (url === '/.well-known/openid-configuration') return this.#discover(res);
    if (url === '/moved/openid-configuration') return this.#discover(res, true);
    if (url !== this.jwksPath) {
      res.writeHead(404).end();
      return;
    }
    this.fetches += 1;
    if (this.delayMs > 0) {
      const fault = this.fault;
      setTimeout(() => this.#answer(fault, res), this.delayMs);
      return;
    }
    this.#answer(this.fault, res);
  }

  #discover(res: ServerResponse, moved = false): void {
    this.discoveryFetches += 1;
    if (this.discovery === null) return void res.writeHead(404).end();
    if (this.discovery === 'hang') return void this.#hanging.add(res);
    if (this.discovery === 'redirect' && !moved) return void res.writeHead(302, { location: '/moved/openid-configuration' }).end();
    const document = (typeof this.discovery === 'object' && this.discovery) || { issuer: this.issuer, jwks_uri: new URL(this.jwksPath, this.issuer).href };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document));
  }

  #answer(fault: KeySetFault, res: ServerResponse): void {
    const json = (body: unknown) => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    switch (fault) {
      case 'ok':
        return json({ keys: this.published.map((k) => k.publicJwk) });
      case 'hang':
        this.#hanging.add(res);
        return;
      case 'status-500':
        return void res.writeHead(500).end('boom');
      case 'status-203-with-keys':
        return void res.writeHead(203, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: this.published.map((k) => k.publicJwk) }));
      case 'html':
        return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>down for maintenance</html>');
      case 'empty-object':
        return json({});
      case 'null-keys':
        return json({ keys: null });
      case 'redirect':
        return void res.writeHead(302, { location: 'http://127.0.0.1:9/jwks.json' }).end();
      case 'garbage':
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[{"kty":');
    }
  }
}

export interface SignOptions {
  key: SigningKey;
  /** Header fields to set or override (alg, kid, crit, jku, ...). */
  header?: Partial<JWTHeaderParameters>;
}

/** Signs `claims` as they are: no claim is added, so tests control `exp`, `aud`, `iss` exactly. */
export function sign(claims: JWTPayload, { key, header }: SignOptions): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid, ...header } as JWTHeaderParameters)
    .sign(key.privateKey);
}
