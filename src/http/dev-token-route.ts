import type { RequestHandler } from 'express';
import type { TokenMinter } from '../dev/dev-issuer.js';
import { ErrorCode } from '../errors.js';
import { sendError } from './error-handler.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * `GET /dev/token?permissions=a,b`: a token from the embedded development issuer, for
 * `npm run token` and the example SPA. Loopback callers only, since it grants any permission.
 */
export function devTokenRoute(mintToken: TokenMinter): RequestHandler {
  return async (req, res) => {
    if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) {
      return sendError(res, ErrorCode.FORBIDDEN, 'Development tokens are only issued to loopback clients');
    }
    const list = typeof req.query['permissions'] === 'string' ? req.query['permissions'] : '';
    const permissions = list.split(',').map((p) => p.trim()).filter(Boolean);
    const { accessToken, expiresIn } = await mintToken(permissions);
    res.json({ access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn });
  };
}
