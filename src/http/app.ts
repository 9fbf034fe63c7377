import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { createContextBuilder, type RequestContext } from '../auth/context.js';
import { NonceSource } from '../auth/dpop/nonce.js';
import { createReplayStore } from '../auth/dpop/create-replay-store.js';
import { createSenderConstraint } from '../auth/dpop/sender-constraint.js';
import { createVerifier, type Verifier } from '../auth/verifier.js';
import type { ResolvedConfig } from '../config.js';
import type { TokenMinter } from '../dev/dev-issuer.js';
import { authChallenge } from '../errors.js';
import { createFormatError } from '../graphql/format-error.js';
import { leanPipelinePlugins } from '../graphql/lean-pipeline.js';
import { loggingPlugin } from '../graphql/logging-plugin.js';
import { queryLimits } from '../graphql/query-limits.js';
import { buildSchema } from '../graphql/schema.js';
import { corsPolicy } from './cors-policy.js';
import { devTokenRoute } from './dev-token-route.js';
import { errorHandler, notFound } from './error-handler.js';
import { healthRoutes } from './health-routes.js';
import { requestLogging } from './request-logging.js';
import { restRouter } from './rest.js';
import { schemaRoute } from './schema-route.js';
import { landingPageSecurityPolicy, securityHeaders } from './security-headers.js';

export interface AppOptions {
  config: ResolvedConfig;
  logger: Logger;
  /** Present only in embedded development mode: serves `GET /dev/token` to loopback clients. */
  mintToken?: TokenMinter;
  /** The executable schema; tests pass their own to exercise failures the real one cannot produce. */
  schema?: GraphQLSchema;
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
export async function buildApp({
  config,
  logger,
  mintToken,
  // One schema and one context builder for GraphQL and REST alike, so both are decided the same way.
  schema = buildSchema(undefined, { denyByDefault: config.denyByDefault }),
}: AppOptions): Promise<App> {
  const verifier = createVerifier({
    ...config.issuer,
    cacheSize: config.tokenCacheSize,
    keySet: config.keySet,
    permissionsClaim: config.permissionsClaim,
  });
  // Fetch the keys ahead of the first request; an issuer that is down now must not stop start-up.
  verifier.keySet.refresh().catch((error: unknown) => logger.warn({ err: error }, 'key set not reachable yet'));
  const replayStore = createReplayStore(config, logger);
  const buildContext = createContextBuilder(verifier, createSenderConstraint(config.dpop, {
    replayStore,
    ...(config.dpop.nonce ? { nonces: new NonceSource() } : {}),
  }));
  const limits = queryLimits();

  const apollo = new ApolloServer<RequestContext>({
    schema,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    introspection: config.introspection,
    // Stack traces go to the log, never to clients, in every mode.
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: config.production,
    formatError: createFormatError({ explainDenials: !config.production }),
    // `main` owns the process signals and drains the HTTP server before stopping Apollo.
    stopOnTerminationSignals: false,
    plugins: [
      ...leanPipelinePlugins(),
      ...limits.plugins,
      loggingPlugin(),
      config.production
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
    ],
  });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
  // Every response is `no-store`, so an ETag could never save a transfer; computing one hashes each body.
  app.set('etag', false);
  app.use(requestLogging(logger));
  app.use(securityHeaders());
  app.use(healthRoutes(verifier.keySet));
  const readOnlyCors = corsPolicy(config.clientOriginUrl, ['GET']);
  const missingTokenChallenge = authChallenge({ scheme: 'bearer', dpopAlgorithms: config.dpop.algorithms, bearerAccepted: !config.dpop.required });
  app.use('/api/messages', restRouter({ schema, buildContext, cors: readOnlyCors, missingTokenChallenge }));
  // `all`, not `use`: only `/graphql` itself is the endpoint, `/graphql/anything` is a 404.
  app.all(
    '/graphql',
    corsPolicy(config.clientOriginUrl, ['GET', 'POST']),
    ...(config.production ? [] : [landingPageSecurityPolicy()]),
    express.json({ limit: BODY_LIMIT }),
    expressMiddleware(apollo, { context: ({ req }) => buildContext(req) }),
  );
  if (mintToken) app.get('/dev/token', readOnlyCors, devTokenRoute(mintToken));
  // The SDL discloses what introspection does and more, so it follows the same switch.
  if (config.introspection) app.get('/schema.graphql', readOnlyCors, schemaRoute(schema));
  app.use(notFound);
  app.use(errorHandler(logger));

  return {
    handler: app,
    verifier,
    close: async () => {
      await apollo.stop();
      await replayStore.close();
    },
  };
}
