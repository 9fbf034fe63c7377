import { Router } from 'express';
import type { IssuerRegistry } from '../auth/issuer-registry.js';
import { ErrorCode, ErrorMessage, httpStatusOf } from '../errors.js';
import { sendJson } from './error-handler.js';

/**
 * Probes for orchestrators and load balancers. `/healthz`: the process serves HTTP (restart it
 * otherwise). `/readyz`: every issuer's tokens can be verified, because its keys are cached or a
 * fetch of its key set may be tried now; while not, the body names the issuers at fault, and this
 * instance should get only anonymous traffic or none.
 */
export function healthRoutes(issuers: Pick<IssuerRegistry, 'unready'>): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  router.get('/readyz', (_req, res) => {
    const unready = issuers.unready();
    if (unready.length > 0) {
      return sendJson(res, httpStatusOf[ErrorCode.AUTH_UNAVAILABLE], { message: ErrorMessage.UNABLE_TO_VERIFY, unavailableIssuers: unready });
    }
    res.json({ status: 'ready' });
  });
  return router;
}
