import { OAuth2Server } from 'oauth2-mock-server';
import type { IssuerConfig, PermissionsClaim } from '../config.js';

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

/**
 * A throwaway OAuth 2 issuer on loopback with a fresh RS256 key, laid out like an Auth0 tenant
 * (issuer with a trailing slash, keys at `.well-known/jwks.json`), so the API runs against it
 * through exactly the code path it uses in production. Permissions go where the API reads them
 * (`permissionsClaim`), so that a token grants what was asked in either setting.
 */
export async function startDevIssuer(audience: string, permissionsClaim: PermissionsClaim = 'permissions'): Promise<DevIssuer> {
  const server = new OAuth2Server(undefined, undefined, {
    endpoints: { jwks: '/.well-known/jwks.json' },
    shouldIssuerUrlBeSuffixedWithATralingSlash: true,
  });
  await server.issuer.keys.generate('RS256');
  await server.start(0, '127.0.0.1');
  // The library names the host `localhost`, which may resolve to ::1 where nothing listens.
  const issuer = `http://127.0.0.1:${server.address().port}/`;
  server.issuer.url = issuer;
  return {
    issuer: { issuer, jwksUri: new URL('.well-known/jwks.json', issuer), audience },
    mintToken: async (permissions, jkt) => ({
      expiresIn: TOKEN_LIFETIME_S,
      accessToken: await server.issuer.buildToken({
        expiresIn: TOKEN_LIFETIME_S,
        scopesOrTransform: (_header, payload) => {
          payload['sub'] = 'dev|local-user';
          payload['aud'] = audience;
          if (permissionsClaim === 'scope') payload['scope'] = permissions.join(' ');
          else payload['permissions'] = [...permissions];
          if (jkt !== undefined) payload['cnf'] = { jkt };
        },
      }),
    }),
  };
}
