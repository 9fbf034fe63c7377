import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import jsonpointer from 'jsonpointer';
import { OAuth2Issuer } from 'oauth2-mock-server';
import { claimPointer } from '../auth/principal.js';
import type { EmbeddedIssuers, IssuerConfig, IssuerSettings } from '../config.js';

/**
 * Mints tokens that the API accepts; only ever present in embedded development mode. With `jkt`,
 * the token is DPoP-bound to the key of that thumbprint (`cnf.jkt`, RFC 9449 §6.1).
 */
export type TokenMinter = (permissions: readonly string[], jkt?: string) => Promise<{ accessToken: string; expiresIn: number }>;

export interface DevIssuer {
  issuer: IssuerConfig;
  mintToken: TokenMinter;
}

/** Lifetime of a development token, in seconds. */
const TOKEN_LIFETIME_S = 3600;

/** Where the second development issuer puts permissions: Keycloak's realm roles, to try a claim mapping on. */
const SECOND_ISSUER_CLAIM = '/realm_access/roles';

/** Claims that hold one space-separated string by convention (RFC 6749 §3.3, Entra ID's `scp`). */
const SPACE_SEPARATED = new Set(['/scope', '/scp']);

/**
 * `DEV_ISSUERS` development issuers, each on a port of its own with its own key; the second one
 * reads permissions from `realm_access.roles`, so that two issuers with two mappings can be tried
 * without an identity provider.
 */
export function startDevIssuers({ count, settings }: EmbeddedIssuers): Promise<DevIssuer[]> {
  const all = [settings, { ...settings, permissionsClaim: SECOND_ISSUER_CLAIM }].slice(0, count);
  return Promise.all(all.map((each, index) => startDevIssuer(each, `dev|local-user-${index + 1}`)));
}

/** Where the key set is served, as on an Auth0 tenant. */
const JWKS_PATH = '/.well-known/jwks.json';

/**
 * A throwaway issuer on loopback with a fresh RS256 key, laid out like an Auth0 tenant (issuer
 * with a trailing slash, keys at `.well-known/jwks.json`), so the API runs against it through
 * exactly the code path it uses in production. Permissions go where the API reads them for this
 * issuer (`permissionsClaim`), so that a token grants what was asked in any setting.
 *
 * Only the key set is served: tokens come from `/dev/token` alone, with its checks on the caller,
 * never from an OAuth 2 token endpoint that any local page could call (oauth2-mock-server's own
 * server answers `/token` with `Access-Control-Allow-Origin: *`).
 */
async function startDevIssuer(settings: IssuerSettings, subject: string): Promise<DevIssuer> {
  const signer = new OAuth2Issuer();
  await signer.keys.generate('RS256');
  const keySet = JSON.stringify({ keys: signer.keys.toJSON() });
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === JWKS_PATH) res.writeHead(200, { 'content-type': 'application/json' }).end(keySet);
    else res.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  // The development issuer lives and dies with the process; it must not keep it alive on its own.
  server.unref();
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  signer.url = issuer;
  const pointer = claimPointer(settings.permissionsClaim);
  return {
    issuer: { ...settings, issuer, jwksUri: new URL(JWKS_PATH.slice(1), issuer) },
    mintToken: async (permissions, jkt) => ({
      expiresIn: TOKEN_LIFETIME_S,
      accessToken: await signer.buildToken({
        expiresIn: TOKEN_LIFETIME_S,
        scopesOrTransform: (_header, payload) => {
          payload['sub'] = subject;
          payload['aud'] = settings.audience;
          jsonpointer.set(payload, pointer, SPACE_SEPARATED.has(pointer) ? permissions.join(' ') : [...permissions]);
          if (jkt !== undefined) payload['cnf'] = { jkt };
        },
      }),
    }),
  };
}
