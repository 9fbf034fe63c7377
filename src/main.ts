import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { loadConfigOrExit, type ResolvedConfig } from './config.js';
import type { DevIssuer } from './dev/dev-issuer.js';
import { buildApp } from './http/app.js';

/** In-flight requests get this long to finish after SIGTERM before the process exits anyway. */
const DRAIN_TIMEOUT_MS = 10_000;

/** The one place that reads the environment, listens on a port and handles signals. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = pino({ level: config.logLevel });

  let devIssuer: DevIssuer | undefined;
  if ('embedded' in config.issuer) {
    // Imported only here, so production never loads the development issuer.
    const { startDevIssuer } = await import('./dev/dev-issuer.js');
    devIssuer = await startDevIssuer(config.issuer.audience);
    logger.warn(
      { issuer: devIssuer.issuer.issuer, audience: devIssuer.issuer.audience },
      'DEVELOPMENT MODE: no AUTH0_DOMAIN set, tokens come from an embedded issuer on loopback (npm run token)',
    );
  }
  const resolved = { ...config, issuer: devIssuer?.issuer ?? config.issuer } as ResolvedConfig;
  const app = await buildApp({ config: resolved, logger, mintToken: devIssuer?.mintToken });

  const server = createServer(app.handler);
  server.listen(config.port, () => {
    const { port } = server.address() as AddressInfo;
    logger.info({ port, graphql: `http://localhost:${port}/graphql`, issuer: resolved.issuer.issuer }, 'listening');
  });

  let stopping = false;
  // While draining, each keep-alive connection is closed after its current response, rather than
  // idling until its timeout: a balancer then reconnects to another instance at once.
  const unfinished = new Set<ServerResponse>();
  server.on('request', (_req, res: ServerResponse) => {
    if (stopping) res.shouldKeepAlive = false;
    unfinished.add(res);
    res.on('close', () => unfinished.delete(res));
  });
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    for (const res of unfinished) res.shouldKeepAlive = false;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => process.exit(1), DRAIN_TIMEOUT_MS).unref();
    server.close(async () => {
      // The development issuer needs no stop: it lives and dies with this process.
      await app.close();
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

await main();
