import type { Logger } from 'pino';
import { isTrustedIssuerUrl, type IssuerConfig } from '../issuers-config.js';

/**
 * Takes the issuer and its key-set URL from the provider's OIDC discovery document (OpenID
 * Connect Discovery 1.0 §4), as express-oauth2-jwt-bearer does, so the exact `iss` spelling and a
 * moved key set are learned rather than guessed. Runs once, at start-up, off the request path.
 *
 * Where discovery is unavailable (no answer, or a document that does not describe this issuer)
 * the derived values stay in use; an issuer configured with its `jwksUri` is not looked up. The
 * log has one line per issuer saying which were used.
 */
export async function discoverIssuer<T extends Pick<IssuerConfig, 'issuer' | 'jwksUri' | 'discoveryUrl'>>(
  issuer: T,
  { timeoutMs, log }: { timeoutMs: number; log: Logger },
): Promise<T> {
  const { discoveryUrl } = issuer;
  if (!discoveryUrl) {
    log.info({ source: 'configured', issuer: issuer.issuer, jwksUri: issuer.jwksUri.href }, 'issuer metadata');
    return issuer;
  }
  try {
    const discovered = { ...issuer, ...(await fetchMetadata(discoveryUrl, issuer.issuer, timeoutMs)) };
    log.info({ source: 'discovery', issuer: discovered.issuer, jwksUri: discovered.jwksUri.href }, 'issuer metadata');
    return discovered;
  } catch (error) {
    log.warn(
      { source: 'derived', issuer: issuer.issuer, jwksUri: issuer.jwksUri.href, reason: (error as Error).message },
      'issuer metadata: discovery unavailable, using the URLs derived from the configuration',
    );
    return issuer;
  }
}

async function fetchMetadata(url: URL, expectedIssuer: string, timeoutMs: number): Promise<Pick<IssuerConfig, 'issuer' | 'jwksUri'>> {
  // `redirect: 'manual'`: like the key set, metadata is only trusted from the configured address.
  const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  if (response.status !== 200) throw new Error(`${url.href} answered HTTP ${response.status}`);
  const { issuer, jwks_uri: jwksUri } = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
  // §4.3: the document must name the issuer it was fetched for; only the trailing slash may differ.
  if (typeof issuer !== 'string' || withoutTrailingSlash(issuer) !== withoutTrailingSlash(expectedIssuer)) {
    throw new Error(`the document names another issuer: ${String(issuer)}`);
  }
  if (typeof jwksUri !== 'string' || !URL.canParse(jwksUri) || !isTrustedIssuerUrl(new URL(jwksUri))) {
    throw new Error('the document has no usable https jwks_uri');
  }
  return { issuer, jwksUri: new URL(jwksUri) };
}

function withoutTrailingSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}
