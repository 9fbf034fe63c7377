import type { RequestHandler } from 'express';
import type { TokenMinter } from '../dev/dev-issuer.js';
import { ErrorCode } from '../errors.js';
import { sendError } from './error-handler.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const LOOPBACK_HOST = /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i;
/** Any of these means a proxy relayed the request, so its loopback address says nothing about the caller. */
const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip', 'via'];

/** An RFC 7638 SHA-256 thumbprint: 32 bytes in base64url. */
const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;

/**
 * `GET /dev/token?permissions=a,b[&jkt=thumbprint][&issuer=2]`: a token from an embedded development
 * issuer (the first unless `issuer` names another, from 1), for `npm run token` and the example
 * SPA. Loopback callers only, since it grants any permission:
 * a proxy on the same host (deploy/nginx.conf) connects from loopback too, so a relayed request
 * or one addressed to a non-loopback host name (DNS rebinding included) is refused as well.
 */
export function devTokenRoute(minters: readonly TokenMinter[]): RequestHandler {
  return async (req, res) => {
    const relayed = PROXY_HEADERS.some((name) => req.headers[name] !== undefined);
    if (!LOOPBACK.has(req.socket.remoteAddress ?? '') || relayed || !LOOPBACK_HOST.test(req.headers.host ?? '')) {
      return sendError(res, ErrorCode.FORBIDDEN, 'Development tokens are only issued to loopback clients');
    }
    const list = typeof req.query['permissions'] === 'string' ? req.query['permissions'] : '';
    const permissions = list.split(',').map((p) => p.trim()).filter(Boolean);
    const jkt = req.query['jkt'];
    if (jkt !== undefined && (typeof jkt !== 'string' || !THUMBPRINT.test(jkt))) {
      return sendError(res, ErrorCode.BAD_REQUEST, 'jkt must be an RFC 7638 SHA-256 key thumbprint');
    }
    const issuer = req.query['issuer'] ?? '1';
    const mintToken = typeof issuer === 'string' && /^[1-9]$/.test(issuer) ? minters[Number(issuer) - 1] : undefined;
    if (!mintToken) {
      const hint = minters.length > 1 ? `1 to ${minters.length}` : '1 (start with DEV_ISSUERS=2 for a second)';
      return sendError(res, ErrorCode.BAD_REQUEST, `issuer must be ${hint}`);
    }
    const { accessToken, expiresIn } = await mintToken(permissions, jkt);
    res.json({ access_token: accessToken, token_type: jkt === undefined ? 'Bearer' : 'DPoP', expires_in: expiresIn });
  };
}
