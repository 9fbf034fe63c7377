import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { getOperationAST, GraphQLError, type ExecutionArgs, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ContextBuilder, RequestContext } from '../auth/context.js';
import type { KeySetChanges } from '../auth/key-set.js';
import { CLOCK_TOLERANCE_S } from '../auth/verifier.js';
import type { ResolvedConfig } from '../config.js';
import type { OperationGate, OperationRequest, OperationSchema } from '../documents/index.js';
import { ErrorCode } from '../errors.js';
import { logOperationErrors } from '../graphql/logging-plugin.js';
import type { OperationRules } from '../graphql/operation-rules.js';
import { rejection } from '../graphql/reject-unauthorized.js';
import type { SubscriptionCharge } from '../limits/rate-limits.js';
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
  /** The same rules and error answers as HTTP's. */
  rules: OperationRules;
  /** The key sets tokens are verified against: when one changes, every open socket's token is checked again. */
  keySets: KeySetChanges;
  /** The HTTP edge's own refusal of a request (its path, its `Host`), so an upgrade is matched as any request is. */
  edgeRefusal(request: IncomingMessage): { status: number; reason: string } | undefined;
  /** Which operations may run: the trusted documents' decision, the same as over HTTP. */
  gate: OperationGate;
  /** The schema an operation runs on: with per-caller introspection, the caller's view for introspection, as over HTTP. */
  schemaFor: OperationSchema;
  /** Told of sockets opening and closing, and of event streams starting and ending. */
  telemetry?: Telemetry;
  /** Charges a subscription to its caller's rate limit as it starts; the error to send when refused. */
  chargeSubscription?: SubscriptionCharge | undefined;
}

export interface Subscriptions {
  /** Closes every socket with 1001 and stops accepting new ones. */
  close(): Promise<void>;
}

interface Connection {
  id: string;
  log: Logger;
  /** What `connection_init` presented, kept to check it again when the keys change. */
  authorization?: unknown;
  context?: RequestContext;
  expiry?: NodeJS.Timeout;
  /** The ids of this socket's operations that are event streams, still running. */
  streams: Set<string>;
  /** When the socket last had no stream running; the idle timeout counts from it. */
  idleSince: number;
  idleCheck?: NodeJS.Timeout;
}

/**
 * GraphQL subscriptions over `graphql-ws` on the HTTP server's own port and path (`/graphql`),
 * as Apollo Server's documentation wires them. The token comes in `connection_init` as
 * `{ authorization: "Bearer <jwt>" }` and goes through the same context builder as HTTP, so the
 * same verifier and the same guards decide; the socket closes when the token expires.
 */
export function attachSubscriptions(
  server: Server,
  { schema, buildContext, config, logger, rules, keySets, edgeRefusal, gate, schemaFor, telemetry = NO_TELEMETRY, chargeSubscription }: SubscriptionOptions,
): Subscriptions {
  // A message is at most as large as an HTTP body: `ws` closes the socket with 1009 past it, before
  // buffering more (its default is 100 MiB, which an anonymous `connection_init` could fill).
  const sockets = new WebSocketServer({ noServer: true, maxPayload: config.subscriptionMaxMessageBytes });
  const connections = new WeakMap<WebSocket, Connection>();

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refusal = edgeRefusal(request) ?? refusalOf(request, config, sockets.clients.size);
    if (refusal) {
      logger.warn({ audit: 'websocket-refused', status: refusal.status, origin: request.headers.origin ?? null }, refusal.reason);
      socket.end(`HTTP/1.1 ${refusal.status} ${refusal.reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => {
      sockets.emit('connection', ws, request);
      // `ws` closes the socket itself on a protocol error (1009 for an oversized message); graphql-ws
      // would also print each such error with its stack on stderr, which any client could fill.
      ws.removeAllListeners('error');
      ws.on('error', (error: Error & { code?: string }) => connections.get(ws)?.log.info({ code: error.code }, 'subscription socket refused a message'));
    });
  });
  sockets.on('connection', (ws: WebSocket) => {
    const id = randomUUID();
    const log = logger.child({ connectionId: id });
    connections.set(ws, { id, log, streams: new Set(), idleSince: Date.now() });
    telemetry.wsConnection(1);
    log.info('subscription socket connected');
    ws.once('close', (code: number) => {
      telemetry.wsConnection(-1, code);
      const connection = connections.get(ws);
      clearTimeout(connection?.expiry);
      clearTimeout(connection?.idleCheck);
      log.info({ code }, 'subscription socket closed');
    });
  });

  /** Closes a socket that has had no subscription running for the idle timeout; it holds a connection for nothing. */
  const watchIdle = (ws: WebSocket, connection: Connection) => {
    const now = Date.now();
    if (connection.streams.size > 0) connection.idleSince = now;
    const idleFor = now - connection.idleSince;
    if (idleFor >= config.subscriptionIdleTimeoutMs) {
      connection.log.info({ idleTimeoutMs: config.subscriptionIdleTimeoutMs }, 'subscription socket idle; closed');
      ws.close(CloseCode.NORMAL, 'Idle timeout');
      return;
    }
    connection.idleCheck = setTimeout(watchIdle, config.subscriptionIdleTimeoutMs - idleFor, ws, connection);
  };

  // When a key set changes, a withdrawn key must stop a socket as it stops an HTTP request: each
  // token is checked again, by the same context builder, and a socket whose token fails is closed.
  const recheck = async (ws: WebSocket, connection: Connection) => {
    const outcome = await authenticateConnection(buildContext, connection.authorization, connection.log);
    if ('refuse' in outcome && ws.readyState === ws.OPEN) {
      connection.log.warn({ audit: 'websocket-denied', reason: outcome.refuse.reason }, 'subscription closed after a key change');
      ws.close(outcome.refuse.code, outcome.refuse.message);
    }
  };
  const stopWatchingKeys = keySets.onChange(() => {
    for (const ws of sockets.clients) {
      const connection = connections.get(ws);
      if (connection?.context?.principal) void recheck(ws, connection);
    }
  });

  const cleanup = useServer(
    {
      schema,
      connectionInitWaitTimeout: CONNECTION_INIT_TIMEOUT_MS,
      async onConnect({ connectionParams, extra: { socket } }) {
        const connection = connections.get(socket)!;
        connection.authorization = connectionParams?.['authorization'];
        const outcome = await authenticateConnection(buildContext, connection.authorization, connection.log);
        if ('refuse' in outcome) {
          connection.log.warn({ audit: 'websocket-denied', reason: outcome.refuse.reason }, 'subscription refused');
          socket.close(outcome.refuse.code, outcome.refuse.message);
          return false;
        }
        const { context } = outcome;
        connection.context = context;
        connection.idleSince = Date.now();
        watchIdle(socket, connection);
        if (context.principal) {
          const endsAtMs = (context.principal.expiresAt + CLOCK_TOLERANCE_S) * 1000;
          connection.expiry = setTimeout(() => socket.close(CloseCode.UNAUTHORIZED, 'Token expired'), Math.min(endsAtMs - Date.now(), MAX_TIMER_MS));
        }
        connection.log.info({ subject: context.principal?.subject ?? null }, 'subscription connection initialised');
        return true;
      },
      async onSubscribe({ subscriptions, extra: { socket, request } }, _id, payload) {
        const context = connections.get(socket)!.context!;
        // graphql-ws has entered this id already, so the count includes it.
        if (Object.keys(subscriptions).length > config.subscriptionMaxPerConnection) {
          return [new GraphQLError(`At most ${config.subscriptionMaxPerConnection} subscriptions may run on one connection`, { extensions: { code: ErrorCode.BAD_REQUEST } })];
        }
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
        const connection = connections.get(socket);
        if (!connection) return;
        if (connection.streams.delete(id)) telemetry.subscription(-1);
        if (connection.streams.size === 0) connection.idleSince = Date.now();
      },
      onNext({ extra: { socket } }, _id, _payload, _args, result: ExecutionResult) {
        if (!result.errors) return undefined;
        logOperationErrors(result.errors, connections.get(socket)!.context!);
        return { ...result, errors: result.errors.map(rules.formatSocketError) };
      },
      onError({ extra: { socket } }, _id, _payload, errors) {
        const context = connections.get(socket)?.context;
        if (context) logOperationErrors(errors, context);
        return errors.map(rules.formatSocketError);
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
      const checked = rules.prepare(schema, { query: gated.query ?? '', operationName: payload.operationName, variables: payload.variables });
      if ('errors' in checked) return checked.errors;
      document = checked.document;
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
  return {
    close: () => {
      stopWatchingKeys();
      return (closing ??= Promise.resolve(cleanup.dispose()));
    },
  };
}

function refusalOf(request: IncomingMessage, config: ResolvedConfig, open: number): { status: number; reason: string } | undefined {
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
