import type { IncomingHttpHeaders } from 'node:http';

/**
 * RFC 3986 §3.2.2–3.2.3 authority without user information: an IP literal or a registered name
 * (unreserved, percent-encoded and sub-delimiter characters), then an optional port. Node accepts
 * `/`, `?`, `#` and `@` inside `Host`, and a URL built from such a value points elsewhere: a DPoP
 * proof's `htu` built from `Host: attacker.example/collect?` named the attacker's URL.
 */
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})+)(?::\d{1,5})?$/;

/**
 * True when the request's `Host`, if it has one, is a plain authority. A request without one
 * (HTTP/1.0) passes: nothing is built from a `Host` that is absent.
 */
export function hasValidHost(headers: IncomingHttpHeaders): boolean {
  const { host } = headers;
  return host === undefined || AUTHORITY.test(host);
}
