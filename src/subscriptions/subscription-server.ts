import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  getOperationAST,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ContextBuilder, RequestContext } from '../auth/context.js';
import { CLOCK_TOLERANCE_S } from '../auth/verifier.js';
import type { ResolvedConfig } from '../config.js';
import type { OperationGate, OperationRequest, OperationSchema } from '../documents/index.js';
import { createFormatError } from '../graphql/format-error.js';
import { logOperationErrors } from '../graphql/logging-plugin.js';
import type { queryLimits } from '../graphql/query-limits.js';
import { rejection } from '../graphql/reject-unauthorized.js';
import { NO_TELEMETRY, type Telemetry } from '../observability/hooks.js';
import { authenticateConnection, CloseCode } from './connection-auth.js';

/** A client that opens a socket must send `connection_init` within this long, or it is closed (4408). */
export const CONNECTION_INIT_TIMEOUT_MS = 5_000;

/** The longest delay `setTimeout` honours (about 24 days): a token valid for longer ends its connection then, and the client reconnects. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface SubscriptionOptions {
  schema: GraphQLSchema;
  buildContext: ContextBuilder;
  config: ResolvedConfig;
  logger: Logger;
  limits: ReturnType<typeof queryLimits>;
  /** Which operations may run: the trusted documents' decision, the same as over HTTP. */
  gate: OperationGate;
  /** The schema an operation runs on: with per-caller introspection, the caller's view for introspection, as over HTTP. */
  schemaFor: OperationSchema;
  /** Told of sockets opening and closing, and of event streams starting and ending. */
  telemetry?: Telemetry;
  /** Charges a subscription to its caller's rate limit as it starts; the error to send when refused. */
  chargeSubscription?: ((context: RequestContext, upgrade: IncomingMessage, operation: OperationDefinitionNode | undefined) => Promise<GraphQLError | undefined>) | undefined;
}

export interface Subscriptions {
  /** Closes every socket with 1001 and stops accepting new ones. */
  close(): Promise<void>;
}

interface Connection {
  id: string;
  log: Logger;
  context?: RequestContext;
  expiry?: NodeJS.Timeout;
  /** The ids of this socket's operations that are event streams, still running. */
  streams: Set<string>;
}

/**
 * GraphQL subscriptions over `graphql-ws` on the HTTP server's own port and path (`/graphql`),
 * as Apollo Server's documentation wires them. The token comes in `connection_init` as
 * `{ authorization: "Bearer <jwt>" }` and goes through the same context builder as HTTP, so the
 * same verifier and the same guards decide; the socket closes when the token expires.
 */
export function attachSubscriptions(
  server: Server,
  { schema, buildContext, config, logger, limits, gate, schemaFor, telemetry = NO_TELEMETRY, chargeSubscription }: SubscriptionOptions,
): Subscriptions {
  const sockets = new WebSocketServer({ noServer: true });
  const connections = new WeakMap<WebSocket, Connection>();
  const format = createFormatError({ explainDenials: !config.production });
  // The HTTP status a request error carries means nothing on a socket, so it is not sent there.
  const formatError = (error: GraphQLError): GraphQLFormattedError => {
    const formatted = format(error.toJSON(), error);
    if (!formatted.extensions || !('http' in formatted.extensions)) return formatted;
    const { http, ...extensions } = formatted.extensions;
    return { ...formatted, extensions };
  };
  const rules = [...specifiedRules, ...limits.validationRules];

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refusal = refusalOf(request, config, sockets.clients.size);
    if (refusal) {
      logger.warn({ audit: 'websocket-refused', status: refusal.status, origin: request.headers.origin ?? null }, refusal.reason);
      socket.end(`HTTP/1.1 ${refusal.status} ${refusal.reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => sockets.emit('connection', ws, request));
  });
  sockets.on('connection', (ws: WebSocket) => {
    const id = randomUUID();
    const log = logger.child({ connectionId: id });
    connections.set(ws, { id, log, streams: new Set() });
    telemetry.wsConnection(1);
    log.info('subscription socket connected');
    ws.once('close', (code: number) => {
      telemetry.wsConnection(-1, code);
      clearTimeout(connections.get(ws)?.expiry);
      log.info({ code }, 'subscription socket closed');
    });
  });

  const cleanup = useServer(
    {
      schema,
      connectionInitWaitTimeout: CONNECTION_INIT_TIMEOUT_MS,
      async onConnect({ connectionParams, extra: { socket } }) {
        const connection = connections.get(socket)!;
        const outcome = await authenticateConnection(buildContext, connectionParams?.['authorization'], connection.log);
        if ('refuse' in outcome) {
          connection.log.warn({ audit: 'websocket-denied', reason: outcome.refuse.reason }, 'subscription refused');
          socket.close(outcome.refuse.code, outcome.refuse.message);
          return false;
        }
        const { context } = outcome;
        connection.context = context;
        if (context.principal) {
          const endsAtMs = (context.principal.expiresAt + CLOCK_TOLERANCE_S) * 1000;
          connection.expiry = setTimeout(() => socket.close(CloseCode.UNAUTHORIZED, 'Token expired'), Math.min(endsAtMs - Date.now(), MAX_TIMER_MS));
        }
        connection.log.info({ subject: context.principal?.subject ?? null }, 'subscription connection initialised');
        return true;
      },
      async onSubscribe({ extra: { socket, request } }, _id, payload) {
        const context = connections.get(socket)!.context!;
        const prepared = prepare(context, payload);
        if (!chargeSubscription) return prepared;
        // Its cost when it starts, nothing per event; refused before it starts, 1 point.
        const operation = 'document' in prepared ? (getOperationAST(prepared.document, prepared.operationName) ?? undefined) : undefined;
        const refused = await chargeSubscription(context, request, operation);
        return refused ? [refused] : prepared;
      },
      onOperation({ extra: { socket } }, id, _payload, _args, result) {
        if (!(Symbol.asyncIterator in result)) return;
        connections.get(socket)!.streams.add(id);
        telemetry.subscription(1);
      },
      // graphql-ws completes every stream, an abruptly closed socket's too.
      onComplete({ extra: { socket } }, id) {
        if (connections.get(socket)?.streams.delete(id)) telemetry.subscription(-1);
      },
      onNext({ extra: { socket } }, _id, _payload, _args, result: ExecutionResult) {
        if (!result.errors) return undefined;
        logOperationErrors(result.errors, connections.get(socket)!.context!);
        return { ...result, errors: result.errors.map(formatError) };
      },
      onError({ extra: { socket } }, _id, _payload, errors) {
        const context = connections.get(socket)?.context;
        if (context) logOperationErrors(errors, context);
        return errors.map(formatError);
      },
    },
    sockets,
  );
  /** The execution arguments of a `subscribe` message, or the errors that refuse it before it starts. */
  function prepare(context: RequestContext, payload: OperationRequest & { operationName?: string | null; variables?: Record<string, unknown> | null }): ExecutionArgs | readonly GraphQLError[] {
    const gated = gate(payload, context.log);
    if (gated instanceof GraphQLError) return [gated];
    // A trusted document was parsed and validated at start.
    let document = gated.document;
    if (!document) {
      try {
        document = parse(gated.query ?? '', limits.parseOptions);
      } catch (error) {
        return [error instanceof GraphQLError ? error : new GraphQLError('Syntax error')];
      }
      const invalid = validate(schema, document, rules);
      if (invalid.length > 0) return invalid;
    }
    const variables = payload.variables ?? undefined;
    if (config.unauthorizedMode === 'reject') {
      const rejected = rejection(schema, document, context, { operationName: payload.operationName, variables }, { listDenied: !config.production, telemetry });
      if (rejected) return [rejected];
    }
    const executionSchema = schemaFor(context.principal, document, payload.operationName);
    if (executionSchema instanceof GraphQLError) return [executionSchema];
    return { schema: executionSchema, document, contextValue: context, operationName: payload.operationName ?? null, variableValues: variables ?? null };
  }

  let closing: Promise<void> | undefined;
  return { close: () => (closing ??= Promise.resolve(cleanup.dispose())) };
}

function refusalOf(request: IncomingMessage, config: ResolvedConfig, open: number): { status: number; reason: string } | undefined {
  if (new URL(request.url ?? '/', 'http://localhost').pathname !== '/graphql') return { status: 404, reason: 'Not Found' };
  // Cross-site WebSocket hijacking: a browser always sends its page's origin, other clients none.
  // Besides the client's origin, the API's own is allowed: the Sandbox page it serves subscribes from there.
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== config.clientOriginUrl && !isOwnOrigin(origin, request.headers.host)) return { status: 403, reason: 'Forbidden' };
  if (open >= config.subscriptionMaxConnections) return { status: 503, reason: 'Service Unavailable' };
  return undefined;
}

function isOwnOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}
