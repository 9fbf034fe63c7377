import type { RequestHandler } from 'express';
import type { TokenMinter } from '../dev/dev-issuer.js';
import { ErrorCode } from '../errors.js';
import { sendError } from './error-handler.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
/** An RFC 7638 SHA-256 thumbprint: 32 bytes in base64url. */
const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;

/**
 * `GET /dev/token?permissions=a,b[&jkt=thumbprint]`: a token from the embedded development issuer, for
 * `npm run token` and the example SPA. Loopback callers only, since it grants any permission.
 */
export function devTokenRoute(mintToken: TokenMinter): RequestHandler {
  return async (req, res) => {
    if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) {
      return sendError(res, ErrorCode.FORBIDDEN, 'Development tokens are only issued to loopback clients');
    }
    const list = typeof req.query['permissions'] === 'string' ? req.query['permissions'] : '';
    const permissions = list.split(',').map((p) => p.trim()).filter(Boolean);
    const jkt = req.query['jkt'];
    if (jkt !== undefined && (typeof jkt !== 'string' || !THUMBPRINT.test(jkt))) {
      return sendError(res, ErrorCode.BAD_REQUEST, 'jkt must be an RFC 7638 SHA-256 key thumbprint');
    }
    const { accessToken, expiresIn } = await mintToken(permissions, jkt);
    res.json({ access_token: accessToken, token_type: jkt === undefined ? 'Bearer' : 'DPoP', expires_in: expiresIn });
  };
}
