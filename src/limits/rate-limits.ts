import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { Logger } from 'pino';
import type { AuthRequest, ContextBuilder, RequestContext } from '../auth/context.js';
import type { Config } from '../config.js';
import type { QueryLimitOptions } from '../graphql/query-limits.js';
import { NO_TELEMETRY, type Telemetry } from '../observability/hooks.js';
import { createRedisClient, type RedisClient } from '../redis-connection.js';
import { callerIdentity, type Caller } from './caller-identity.js';
import { graphqlCharging, holdCharge, type RequestCharge } from './graphql-charging.js';
import { operationPoints } from './operation-points.js';
import { QuotaStoreUnavailableError, quotaCounter, type CounterStore, type QuotaCounter } from './quota-counter.js';
import { quotaUnavailableError, rateLimitedError, writeRateLimitHeaders, type Policy } from './rate-limit-answers.js';

/** What the rate limits report: the two counters of the observability hooks. */
export type RateLimitHooks = Pick<Telemetry, 'rateLimited' | 'rateLimitStoreFailure'>;

export interface RateLimitOptions {
  config: Pick<Config, 'rateLimits' | 'redisUrl'>;
  logger: Logger;
  schema: GraphQLSchema;
  queryLimits: QueryLimitOptions;
  hooks?: RateLimitHooks | undefined;
}

/** How long start-up waits for Redis before serving with it unreachable. */
const CONNECT_WAIT_MS = 2_000;

/** A node:http route, or an Express handler (whose `next` is passed through). */
type Route<Req, Res, Next> = (req: Req, res: Res, next: Next) => unknown;

/**
 * Where a charged route's request keeps its charge (its response, for the headers; its caller;
 * whether it has paid): a property rather than a WeakMap keyed by the request, whose entries cost
 * the garbage collector more than the counting itself.
 */
const CHARGE = Symbol('rate-limit charge');
type Chargeable = IncomingMessage & { [CHARGE]?: RequestCharge };

/**
 * Charges 1 point for a request of a charged route that is being answered without having been
 * charged: refused before its caller was known (a malformed body, an untrusted document, Apollo's
 * CSRF prevention) or before its cost was (syntax, validation, an unsupported method). Undefined,
 * at no cost, when nothing is owed; else the promise of the error to answer instead (429 over
 * quota, 503 with the store down and `closed`), or of undefined to send the refusal as it is.
 */
export type ChargeUnpaid = (req: IncomingMessage) => Promise<GraphQLError | undefined> | undefined;

/** Charges a subscription as it starts; the error to send for its id when refused. */
export type SubscriptionCharge = (context: RequestContext, upgrade: IncomingMessage, operation: OperationDefinitionNode | undefined) => Promise<GraphQLError | undefined>;

export interface RateLimits {
  /** Wraps a route whose requests are charged, so that their answers can carry the headers. */
  route<Req extends IncomingMessage, Res extends ServerResponse, Next = void>(route: Route<Req, Res, Next>): (req: Req, res: Res, next: Next) => void;
  /** A REST request costs 1 point, charged once its caller is known. */
  restContext(buildContext: ContextBuilder): ContextBuilder;
  /** A GraphQL request's caller, known here; its cost is charged by `plugins` after validation. */
  graphqlContext(buildContext: ContextBuilder): ContextBuilder;
  /** For the routes `route` wraps, called before any answer they send: the one rule for what a refusal costs. */
  chargeUnpaid: ChargeUnpaid;
  plugins: Array<ApolloServerPlugin<RequestContext>>;
  chargeSubscription: SubscriptionCharge | undefined;
  close(): Promise<void>;
}

const OFF: RateLimits = {
  route: (route) => route,
  restContext: (buildContext) => buildContext,
  graphqlContext: (buildContext) => buildContext,
  chargeUnpaid: () => undefined,
  plugins: [],
  chargeSubscription: undefined,
  close: async () => undefined,
};

/**
 * Per-caller quotas (`RATE_LIMIT`, `RATE_LIMIT_ANONYMOUS`), charged in points: 1 for a REST
 * request, a GraphQL operation's cost estimate (see `operation-points.ts`), a subscription's when it
 * starts. Every request of a charged route pays at least 1 point, exactly once: one whose
 * credentials fail, or that is refused before its token is even read, pays it from its client
 * address (never from a bucket an unverified token names), so neither bad tokens nor refused
 * requests skip the anonymous quota. Nothing at all when neither is set.
 */
export async function createRateLimits({ config, logger, schema, queryLimits, hooks = NO_TELEMETRY }: RateLimitOptions): Promise<RateLimits> {
  const settings = config.rateLimits;
  if (!settings.authenticated && !settings.anonymous) return OFF;
  const redis = config.redisUrl ? await connect(config.redisUrl) : undefined;
  const store: CounterStore = { redis, onStoreFailure: settings.onStoreFailure, storeFailed: storeFailureReporter(settings.onStoreFailure, logger, hooks, redis) };
  const counters: Partial<Record<Policy['name'], QuotaCounter>> = {
    ...(settings.authenticated ? { authenticated: quotaCounter('authenticated', settings.authenticated, store) } : {}),
    ...(settings.anonymous ? { anonymous: quotaCounter('anonymous', settings.anonymous, store) } : {}),
  };
  const callerOf = callerIdentity(settings);
  const pointsOf = operationPoints(schema, queryLimits);

  const settle = async (caller: Caller, points: number, res: ServerResponse | undefined): Promise<void> => {
    let count;
    try {
      count = await counters[caller.policy.name]!.charge(caller.key, points);
    } catch (error) {
      if (error instanceof QuotaStoreUnavailableError) throw quotaUnavailableError();
      throw error;
    }
    if (res) writeRateLimitHeaders(res, caller.policy, count);
    if (count.allowed) return;
    hooks.rateLimited(caller.policy.name);
    throw rateLimitedError(count);
  };

  /** Charges a request's held caller once, for the route, the plugin or a refusal alike. */
  const settleCharge = (charge: RequestCharge, points: number): Promise<void> => {
    charge.paid = true;
    return settle(charge.caller!, points, charge.res);
  };

  /** The request's charge; a request outside `route` (none in the app) gets one of its own. */
  const chargeOf = (req: IncomingMessage): RequestCharge => (req as Chargeable)[CHARGE] ?? { res: undefined, caller: undefined, paid: false };

  /** Builds the context; a request whose credentials fail pays 1 point from its address first. */
  const identify = async (buildContext: ContextBuilder, request: AuthRequest) => {
    const req = request as unknown as IncomingMessage;
    const charge = chargeOf(req);
    try {
      const context = await buildContext(request);
      charge.caller = callerOf(context.principal, req);
      // A caller no quota applies to owes nothing, not even for a refusal.
      if (!charge.caller) charge.paid = true;
      return { context, charge };
    } catch (error) {
      const caller = error instanceof GraphQLError ? callerOf(null, req) : undefined;
      charge.paid = true;
      if (caller) await settle(caller, 1, charge.res);
      throw error;
    }
  };

  /** `settle`, with the refusal (429, or 503 with the store down and `closed`) returned rather than thrown. */
  const refusalOf = async (caller: Caller, points: number, res: ServerResponse | undefined): Promise<GraphQLError | undefined> => {
    try {
      await settle(caller, points, res);
      return undefined;
    } catch (error) {
      if (error instanceof GraphQLError) return error;
      throw error;
    }
  };

  return {
    route: (route) => (req, res, next) => {
      (req as Chargeable)[CHARGE] = { res, caller: undefined, paid: false };
      route(req, res, next);
    },
    restContext: (buildContext) => async (request) => {
      const { context, charge } = await identify(buildContext, request);
      if (!charge.paid) await settleCharge(charge, 1);
      return context;
    },
    graphqlContext: (buildContext) => async (request) => {
      const { context, charge } = await identify(buildContext, request);
      if (!charge.paid) holdCharge(context, charge);
      return context;
    },
    chargeUnpaid: (req) => {
      const charge = (req as Chargeable)[CHARGE];
      if (!charge || charge.paid) return undefined;
      charge.paid = true;
      // Refused before its token was verified: its address pays, whatever the token says.
      const caller = charge.caller ?? callerOf(null, req);
      return caller && refusalOf(caller, 1, charge.res);
    },
    plugins: [graphqlCharging({ pointsOf, settle: settleCharge })],
    chargeSubscription: async (context, upgrade, operation) => {
      const caller = callerOf(context.principal, upgrade);
      return caller && refusalOf(caller, pointsOf(operation), undefined);
    },
    close: async () => redis?.destroy(),
  };
}

/**
 * Connects, waiting up to `CONNECT_WAIT_MS` so that the first requests are counted where every
 * replica counts them. A Redis that is down at start-up does not stop the API: the client keeps
 * trying in the background, and requests meanwhile meet `RATE_LIMIT_ON_STORE_FAILURE`.
 */
async function connect(url: URL): Promise<RedisClient> {
  const client = createRedisClient(url);
  // The outage is reported by the first charge it affects (`storeFailureReporter`); this listener
  // only keeps the client's errors from crashing the process.
  client.on('error', () => undefined);
  const connected = client.connect().then(() => undefined, () => undefined);
  const waited = new Promise<void>((resolve) => setTimeout(resolve, CONNECT_WAIT_MS).unref());
  await Promise.race([connected, waited]);
  return client;
}

/** Tells the hooks of every charge Redis missed, and the log once an outage, until Redis is back. */
function storeFailureReporter(mode: 'open' | 'closed', logger: Logger, hooks: RateLimitHooks, redis: RedisClient | undefined): () => void {
  let reported = false;
  redis?.on('ready', () => {
    if (reported) logger.info('rate limits counted in Redis again');
    reported = false;
  });
  return () => {
    hooks.rateLimitStoreFailure(mode);
    if (reported) return;
    reported = true;
    if (mode === 'open') logger.warn({ onStoreFailure: mode }, 'rate-limit store (Redis) unreachable: each replica counts alone');
    else logger.error({ onStoreFailure: mode }, 'rate-limit store (Redis) unreachable: charged requests refused');
  };
}
