import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express from 'express';
import type { Logger } from 'pino';
import { createContextBuilder, type RequestContext } from '../auth/context.js';
import { createVerifier, type Verifier } from '../auth/verifier.js';
import type { ResolvedConfig } from '../config.js';
import type { TokenMinter } from '../dev/dev-issuer.js';
import { buildSchema } from '../graphql/schema.js';
import { createFormatError } from '../graphql/format-error.js';
import { leanPipelinePlugins } from '../graphql/lean-pipeline.js';
import { errorHandler, notFound } from './error-handler.js';
import { devTokenRoute } from './dev-token-route.js';

export interface AppOptions {
  config: ResolvedConfig;
  logger: Logger;
  /** Present only in embedded development mode: serves `GET /dev/token` to loopback clients. */
  mintToken?: TokenMinter;
}

export interface App {
  /** The request listener to mount on an HTTP server. */
  handler: express.Express;
  verifier: Verifier;
  /** Stops Apollo Server; the caller closes the HTTP server first. */
  close(): Promise<void>;
}

/** Largest request body accepted; a GraphQL document for this API is a few hundred bytes. */
export const BODY_LIMIT = '100kb';

/** Assembles the whole application without listening, so tests can start it on a random port. */
export async function buildApp({ config, logger, mintToken }: AppOptions): Promise<App> {
  const verifier = createVerifier({ ...config.issuer, cacheSize: config.tokenCacheSize, keySet: config.keySet });
  // Fetch the keys ahead of the first request; an issuer that is down now must not stop start-up.
  verifier.keySet.refresh().catch((error: unknown) => logger.warn({ err: error }, 'key set not reachable yet'));
  const buildContext = createContextBuilder(verifier);

  const apollo = new ApolloServer<RequestContext>({
    schema: buildSchema(),
    introspection: config.introspection,
    // Stack traces go to the log, never to clients, in every mode.
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: config.production,
    formatError: createFormatError(logger),
    // `main` owns the process signals and drains the HTTP server before stopping Apollo.
    stopOnTerminationSignals: false,
    plugins: [
      config.production
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
      ...leanPipelinePlugins(),
    ],
  });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
  // Every response is `no-store`, so an ETag could never save a transfer; computing one hashes each body.
  app.set('etag', false);
  const corsPolicy = cors({ origin: config.clientOriginUrl, maxAge: 86_400 });
  app.use(
    '/graphql',
    corsPolicy,
    express.json({ limit: BODY_LIMIT }),
    expressMiddleware(apollo, { context: ({ req }) => buildContext(req) }),
  );
  if (mintToken) app.get('/dev/token', corsPolicy, devTokenRoute(mintToken));
  app.use(notFound);
  app.use(errorHandler(logger));

  return { handler: app, verifier, close: () => apollo.stop() };
}
