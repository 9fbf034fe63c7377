import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import type { TraceParent } from '../observability/hooks.js';

/**
 * What authentication reads from a request; a node `IncomingMessage` or Express `Request` with
 * `log` attached. Defined here, where the headers are read, so that the DPoP checks can read them
 * too without importing the context builder that imports them.
 */
export interface AuthRequest {
  method: string;
  /** Path and query, as `IncomingMessage.url`. */
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: readonly string[];
  log: Logger;
  /** Set when tracing samples this request. */
  trace?: TraceParent | undefined;
}

/**
 * Credentials this API will not read, rather than quietly ignore (RFC 6750 §3.1 `invalid_request`):
 *
 * - more than one `Authorization` header: Node keeps the first, and a proxy or log that reads the
 *   last would disagree about who made the request;
 * - an `access_token` in the query string (RFC 6750 §2.3): URLs reach logs, histories and
 *   `Referer` headers, and running such a request as anonymous hides the client's mistake.
 *
 * Returns the problem, for the log, or undefined when there is none.
 */
export function credentialsProblemOf({ url, rawHeaders }: Pick<AuthRequest, 'url' | 'rawHeaders'>): string | undefined {
  if (rawHeaderValues(rawHeaders, 'authorization').length > 1) return 'credentials in more than one header';
  if (hasAccessTokenParameter(url)) return 'access_token in the query string';
  return undefined;
}

/**
 * Every value sent under `lowerCaseName`, however it was spelled, from node's `rawHeaders`: node
 * keeps only the first of some repeated headers in `headers`, and joins others.
 */
export function rawHeaderValues(rawHeaders: readonly string[], lowerCaseName: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    // The length first: this runs on every request, and lower-casing each name allocates.
    const name = rawHeaders[i]!;
    if (name.length === lowerCaseName.length && name.toLowerCase() === lowerCaseName) values.push(rawHeaders[i + 1]!);
  }
  return values;
}

function hasAccessTokenParameter(url: string): boolean {
  // Parsing a URL costs more than the rest of this check, and most requests have no query at all.
  if (!url.includes('?')) return false;
  // Any base will do: only the query is read.
  return new URL(url, 'http://localhost').searchParams.has('access_token');
}
