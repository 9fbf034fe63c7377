import { Router } from 'express';
import type { RemoteKeySet } from '../auth/key-set.js';
import { ErrorCode, ErrorMessage } from '../errors.js';
import { sendError } from './error-handler.js';

/**
 * Probes for orchestrators and load balancers. `/healthz`: the process serves HTTP (restart it
 * otherwise). `/readyz`: tokens can be verified, because keys are cached or a fetch of the key set
 * may be tried now; while not ready, send this instance only anonymous traffic or none.
 */
export function healthRoutes(keySet: Pick<RemoteKeySet, 'ready'>): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  router.get('/readyz', (_req, res) => {
    if (!keySet.ready) return sendError(res, ErrorCode.AUTH_UNAVAILABLE, ErrorMessage.UNABLE_TO_VERIFY);
    res.json({ status: 'ready' });
  });
  return router;
}
