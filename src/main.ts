import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { ConfigError, loadConfigOrExit, type IssuerConfig, type ResolvedConfig } from './config.js';
import type { TokenMinter } from './dev/dev-issuer.js';
import { AccessRuleError } from './directives/lint-access-rules.js';
import { ManifestError, TrustedDocumentError } from './documents/index.js';
import { buildApp } from './http/app.js';
import { createLimitedServer } from './http/connection-limits.js';

/** In-flight requests get this long to finish after SIGTERM before the process exits anyway. */
const DRAIN_TIMEOUT_MS = 10_000;

/** Printed to stderr besides the log line, so that nobody mistakes a development server for a real one. */
const DEVELOPMENT_BANNER = box([
  'DEVELOPMENT MODE: tokens come from an embedded issuer that grants any',
  'permission to loopback callers. Listening on 127.0.0.1 only.',
  'To serve for real, set AUTH0_DOMAIN, AUTH0_AUDIENCE and NODE_ENV=production.',
]);

function box(lines: readonly string[]): string {
  const width = Math.max(...lines.map((line) => line.length));
  const rule = `  +${'-'.repeat(width + 4)}+`;
  return ['', rule, ...lines.map((line) => `  |  ${line.padEnd(width)}  |`), rule, ''].join('\n');
}

/** The one place that starts the server: listens on a port and handles signals. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = pino({ level: config.logLevel });
  logger.info({ mode: config.mode, envFile: config.envFile ?? 'none' }, 'configuration loaded');

  let issuers: IssuerConfig[];
  let minters: TokenMinter[] | undefined;
  if (Array.isArray(config.issuers)) {
    issuers = config.issuers;
  } else {
    // Imported only here, so production never loads the development issuer.
    const { startDevIssuers } = await import('./dev/dev-issuer.js');
    const dev = await startDevIssuers(config.issuers);
    issuers = dev.map((each) => each.issuer);
    minters = dev.map((each) => each.mintToken);
    process.stderr.write(`${DEVELOPMENT_BANNER}\n`);
    logger.warn(
      { issuers: issuers.map((each) => each.issuer), audience: config.issuers.settings.audience },
      'DEVELOPMENT MODE: no AUTH0_DOMAIN set, tokens come from embedded issuers on loopback (npm run token)',
    );
  }
  if (config.production && config.dpop.publicUrls.length === 0) {
    logger.warn(
      { variable: 'PUBLIC_URL' },
      'PUBLIC_URL is not set: DPoP proofs are checked against the URL the request\'s Host header names, which the client chooses; set PUBLIC_URL to the origins clients call',
    );
  }
  const resolved: ResolvedConfig = { ...config, issuers };
  const app = await buildApp({ config: resolved, logger, minters });

  const server = createLimitedServer(app.handler, config.http, config.subscriptionMaxConnections);
  const subscriptions = app.attachSubscriptions(server);
  // The embedded issuer hands out any permission, so its server must be unreachable from elsewhere.
  const host = minters ? '127.0.0.1' : undefined;
  server.listen(config.port, host, () => {
    const { address, port } = server.address() as AddressInfo;
    const trusted = app.verifier.issuers.map(({ config: each }) => each.issuer);
    logger.info({ address, port, graphql: `http://localhost:${port}/graphql`, issuers: trusted }, 'listening');
  });
  // Its own port, so that the API's port never serves metrics and a firewall can keep them inside.
  const metricsServer = app.metricsHandler && createServer(app.metricsHandler);
  if (metricsServer && config.metrics) {
    metricsServer.listen(config.metrics.port, config.metrics.host ?? host, () => {
      const { address, port } = metricsServer.address() as AddressInfo;
      logger.info({ address, port }, 'metrics listening');
    });
  }

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
    // WebSockets are told to reconnect elsewhere (1001) at once, rather than after the drain.
    const socketsClosed = subscriptions.close();
    setTimeout(() => process.exit(1), DRAIN_TIMEOUT_MS).unref();
    metricsServer?.close();
    server.close(async () => {
      await socketsClosed;
      // The development issuer needs no stop: it lives and dies with this process.
      await app.close();
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.on('SIGHUP', () => void app.verifier.reload(logger));
}

await main().catch((error: unknown) => {
  // A wrong access rule, issuers that turn out to be one once discovered, or a trusted document
  // that does not fit the schema, are reported like a wrong setting: the problems, without a stack trace.
  if (!(error instanceof AccessRuleError || error instanceof ConfigError || error instanceof ManifestError || error instanceof TrustedDocumentError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
