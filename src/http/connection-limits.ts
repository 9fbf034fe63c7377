import { createServer, type RequestListener, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { HttpLimits } from '../config.js';

/**
 * Node checks the headers and request timeouts only every `connectionsCheckingInterval`, 30 s by
 * default, so a slow client could hold a socket for that long past its deadline.
 */
const CONNECTIONS_CHECKING_INTERVAL_MS = 1_000;

/**
 * An HTTP server that a slow or idle client cannot hold open: headers and whole requests must
 * arrive in time (the client gets a 408 otherwise), idle keep-alive connections close, and
 * connections beyond the limit are closed at once, so the process keeps file descriptors for
 * the requests that matter (and `/healthz`). `webSocketLimit` is the most WebSockets the server
 * holds (`SUBSCRIPTION_MAX_CONNECTIONS`), on top of `limits.maxConnections`.
 */
export function createLimitedServer(listener: RequestListener, limits: HttpLimits, webSocketLimit = 0): Server {
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(CONNECTIONS_CHECKING_INTERVAL_MS, limits.headersTimeoutMs),
      keepAliveTimeout: limits.keepAliveTimeoutMs,
    },
    listener,
  );
  // Node's own limit bounds the total; HTTP's share is counted here, where a connection stops
  // counting as HTTP once it is upgraded (the WebSocket server refuses upgrades past its limit).
  // So sockets can never take the connections that HTTP requests, probes included, need, and
  // slow HTTP clients can never hold more than `maxConnections`.
  server.maxConnections = limits.maxConnections + webSocketLimit;
  const httpConnections = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    if (httpConnections.size >= limits.maxConnections) return void socket.destroy();
    httpConnections.add(socket);
    socket.once('close', () => httpConnections.delete(socket));
  });
  server.on('upgrade', (req) => httpConnections.delete(req.socket));
  return server;
}
