import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import express from 'express';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { createContextBuilder, type RequestContext } from '../auth/context.js';
import { createIssuerRegistry, dpopRequiredBy, type IssuerRegistry } from '../auth/issuer-registry.js';
import { NonceSource } from '../auth/dpop/nonce.js';
import { createReplayStore } from '../auth/dpop/create-replay-store.js';
import { createSenderConstraint } from '../auth/dpop/sender-constraint.js';
import type { ResolvedConfig } from '../config.js';
import type { TokenMinter } from '../dev/dev-issuer.js';
import { createDocuments } from '../documents/index.js';
import { authChallenge, challengeOptionsOf, ErrorCode } from '../errors.js';
import { disableUnusedDefaultPlugins } from '../graphql/lean-pipeline.js';
import { loggingPlugin, withContextFailureLog } from '../graphql/logging-plugin.js';
import { operationRules } from '../graphql/operation-rules.js';
import { queryLimits } from '../graphql/query-limits.js';
import { rejectUnauthorizedPlugin } from '../graphql/reject-unauthorized.js';
import { buildSchema } from '../graphql/schema.js';
import { createObservability } from '../observability/observability.js';
import { createRateLimits, type RateLimitHooks } from '../limits/rate-limits.js';
import { attachSubscriptions, type Subscriptions } from '../subscriptions/subscription-server.js';
import { corsPolicy } from './cors-policy.js';
import { devTokenRoute } from './dev-token-route.js';
import { errorHandler, notFound, sendError } from './error-handler.js';
import { graphqlRoute } from './graphql-route.js';
import { healthRoutes } from './health-routes.js';
import { hasValidHost } from './host-header.js';
import { requestLogging } from './request-logging.js';
import { restRoutes } from './rest.js';
import { schemaRoute } from './schema-route.js';
import { landingPageSecurityPolicy, securityHeaders } from './security-headers.js';

export interface AppOptions {
  config: ResolvedConfig;
  logger: Logger;
  /** Present only in embedded development mode: serves `GET /dev/token` to loopback clients, one minter per issuer. */
  minters?: readonly TokenMinter[];
  /** The executable schema; tests pass their own to exercise failures the real one cannot produce. */
  schema?: GraphQLSchema;
  /** Told of refused and uncounted rate-limit charges instead of the metrics; tests pass their own. */
  rateLimitHooks?: RateLimitHooks;
}

export interface App {
  /** The request listener to mount on an HTTP server. */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** Every trusted issuer, and the one `verify` the context builder calls. */
  verifier: IssuerRegistry;
  /** `GET /metrics` for the metrics listener `main` opens on `METRICS_PORT`; undefined when metrics are off. */
  metricsHandler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  /** Stops Apollo Server and exports the last spans; the caller closes the HTTP server first. */
  close(): Promise<void>;
  /** Serves GraphQL subscriptions over WebSockets on `server`'s `/graphql`; close them before the server. */
  attachSubscriptions(server: Server): Subscriptions;
}

export { BODY_LIMIT } from './json-body.js';

/** GraphQL over HTTP and over WebSocket. */
const GRAPHQL_PATH = '/graphql';

/** Assembles the whole application without listening, so tests can start it on a random port. */
export async function buildApp({ config, logger, minters, rateLimitHooks, schema: givenSchema }: AppOptions): Promise<App> {
  const observability = await createObservability({ metrics: config.metrics !== undefined, tracing: config.tracing });
  const { telemetry } = observability;
  // One schema and one context builder for GraphQL and REST alike, so both are decided the same way.
  const schema = givenSchema ?? buildSchema(undefined, { denyByDefault: config.denyByDefault, onWarning: (message) => logger.warn(message), telemetry });
  const verifier = await createIssuerRegistry(config.issuers, { cacheSize: config.tokenCacheSize, log: logger, telemetry });
  const replayStore = createReplayStore(config, logger);
  const senderConstraint = createSenderConstraint(config.dpop, {
    replayStore,
    telemetry,
    requiredBy: dpopRequiredBy(verifier),
    ...(config.dpop.nonce ? { nonces: new NonceSource() } : {}),
  });
  const buildContext = createContextBuilder(verifier, senderConstraint, telemetry);
  const graphqlContext = withContextFailureLog(buildContext);
  const limits = queryLimits();
  const rateLimits = await createRateLimits({ config, logger, schema, queryLimits: limits, hooks: rateLimitHooks ?? telemetry });
  const documents = createDocuments({ config, schema, limits });
  // What REST and reject mode answer an anonymous request with, from the same builder as every other challenge.
  const missingTokenChallenge = authChallenge(challengeOptionsOf(config.dpop));
  // One definition of the operation rules and error answers, for HTTP here and for WebSockets.
  const rules = operationRules({ limits, introspection: documents.introspection, production: config.production });
  let subscriptions: Subscriptions | undefined;

  const apollo = new ApolloServer<RequestContext>({
    schema,
    ...rules.apollo,
    // A cached document's hash would tell anyone whether it has been run before; trusted documents
    // answer hashes from a fixed list instead (src/documents/).
    persistedQueries: false,
    documentStore: documents.documentStore,
    // Stack traces go to the log, never to clients, in every mode.
    includeStacktraceInErrorResponses: false,
    // `main` owns the process signals and drains the HTTP server before stopping Apollo.
    stopOnTerminationSignals: false,
    plugins: [
      ...disableUnusedDefaultPlugins(),
      ...documents.plugins,
      ...rules.plugins,
      ...observability.apolloPlugins,
      ...rateLimits.plugins,
      loggingPlugin(logger),
      // Apollo's documented wiring for graphql-ws: stopping the server closes its sockets too.
      { serverWillStart: async () => ({ drainServer: async () => subscriptions?.close() }) },
      ...(config.unauthorizedMode === 'reject' ? [rejectUnauthorizedPlugin(schema, { listDenied: !config.production, missingTokenChallenge, telemetry })] : []),
      config.production
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
    ],
  });
  await apollo.start();

  const getOnlyCors = corsPolicy(config.clientOriginUrl, ['GET']);
  // The routes whose cost matters, on plain node:http; keys as `routeKeyOf` spells paths.
  const plainRoutes = new Map([
    ...restRoutes({ schema, buildContext: rateLimits.restContext(buildContext), cors: getOnlyCors, missingTokenChallenge, chargeUnpaid: rateLimits.chargeUnpaid }),
    [
      GRAPHQL_PATH,
      graphqlRoute({
        apollo,
        buildContext: rateLimits.graphqlContext(graphqlContext),
        gate: documents.gateHttp,
        cors: corsPolicy(config.clientOriginUrl, ['GET', 'POST']),
        chargeUnpaid: rateLimits.chargeUnpaid,
        landingPage: config.production ? undefined : landingPageSecurityPolicy(),
      }),
    ],
  ]);
  const hotRoutes = new Map([...plainRoutes].map(([path, route]) => [path, rateLimits.route(route)] as const));

  // Express keeps the routes whose cost does not matter, and answers every other path.
  const app = express();
  app.disable('x-powered-by');
  // Every response is `no-store`, so an ETag could never save a transfer; computing one hashes each body.
  app.set('etag', false);
  app.use(healthRoutes(verifier));
  if (minters) app.get('/dev/token', getOnlyCors, devTokenRoute(minters));
  // The SDL discloses what introspection does and more, so it follows the same switch.
  if (config.introspection) {
    const perCaller = documents.sdlFor && { sdlFor: documents.sdlFor, buildContext: rateLimits.restContext(buildContext), missingTokenChallenge };
    app.get('/schema.graphql', getOnlyCors, rateLimits.route(schemaRoute(schema, perCaller)));
  }
  app.use(notFound);
  app.use(errorHandler);

  // Steps every response gets, whichever route answers it: defined once, here.
  const logRequest = requestLogging(logger);
  const writeSecurityHeaders = securityHeaders();
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    logRequest(req, res);
    writeSecurityHeaders(res);
    // Before any route, authentication included: nothing may be built from a `Host` that is not one.
    if (!hasValidHost(req.headers)) return sendError(res, ErrorCode.BAD_REQUEST, 'Invalid Host header');
    (hotRoutes.get(routeKeyOf(req.url ?? '')) ?? app)(req, res);
  };
  // A WebSocket upgrade passes the same checks and the same path matching as any request.
  const edgeRefusal = (req: IncomingMessage) => {
    if (!hasValidHost(req.headers)) return { status: 400, reason: 'Bad Request' };
    return routeKeyOf(req.url ?? '') === GRAPHQL_PATH ? undefined : { status: 404, reason: 'Not Found' };
  };
  // The route table, as metric labels and span names: a path that is no route here is `unmatched`.
  const routes = new Set([...hotRoutes.keys(), '/healthz', '/readyz', ...(minters ? ['/dev/token'] : []), ...(config.introspection ? ['/schema.graphql'] : [])]);
  const routeOf = (url: string) => {
    const key = routeKeyOf(url);
    return routes.has(key) ? key : 'unmatched';
  };
  return {
    handler: observability.instrument(handler, routeOf),
    verifier,
    metricsHandler: observability.metricsHandler,
    close: async () => {
      await apollo.stop();
      await replayStore.close();
      await rateLimits.close();
      await observability.close();
    },
    attachSubscriptions: (server) =>
      (subscriptions = attachSubscriptions(server, {
        schema,
        buildContext,
        config,
        logger,
        rules,
        telemetry,
        keySets: verifier,
        edgeRefusal,
        gate: documents.gate,
        schemaFor: documents.schemaFor,
        chargeSubscription: rateLimits.chargeSubscription,
      })),
  };
}

/**
 * The path as Express matches routes by default: without the query, case-insensitive, one
 * trailing slash ignored. Paths that are not routes here fall through to Express's 404.
 */
function routeKeyOf(url: string): string {
  const query = url.indexOf('?');
  const path = (query === -1 ? url : url.slice(0, query)).toLowerCase();
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
