import { once } from 'node:events';
import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';

/** `ws://…/graphql` of a server at `url` (`http://…`). */
export function graphqlSocketUrl(url: string, path = '/graphql'): string {
  return `${url.replace('http', 'ws')}${path}`;
}

/** A graphql-ws client that connects at once and never retries, recording each close code in `closes`. */
export function subscriptionClient(url: string, token?: string, closes: number[] = []): Client {
  return createClient({
    url: graphqlSocketUrl(url),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    // The closes under test are asserted through `closes`; graphql-ws would also print them.
    onNonLazyError: () => {},
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    on: { closed: (event) => closes.push((event as { code: number }).code) },
  });
}

/** The HTTP status of a WebSocket handshake (101 when accepted), and the socket. */
export async function openHandshake(url: string, headers: Record<string, string> = {}, path = '/graphql'): Promise<{ status: number; ws: WebSocket }> {
  const ws = new WebSocket(graphqlSocketUrl(url, path), 'graphql-transport-ws', { headers });
  const status = await Promise.race([
    once(ws, 'open').then(() => 101),
    once(ws, 'unexpected-response').then(([, response]) => (response as { statusCode: number }).statusCode),
  ]);
  return { status, ws };
}

/** The HTTP status of a WebSocket handshake, the socket closed at once. */
export async function handshake(url: string, headers: Record<string, string> = {}, path = '/graphql'): Promise<number> {
  const { status, ws } = await openHandshake(url, headers, path);
  ws.terminate();
  return status;
}

/**
 * Sends one operation on a fresh socket (with the token in `connection_init`, when given) and
 * resolves to its first result; an operation the server refuses rejects with its errors.
 */
export async function firstResult(url: string, operation: { query: string; variables?: Record<string, unknown> }, token?: string): Promise<FormattedExecutionResult<Record<string, unknown>, unknown> | undefined> {
  const client = createClient({
    url: graphqlSocketUrl(url),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
  });
  try {
    for await (const result of client.iterate(operation)) return result;
    return undefined;
  } finally {
    await client.dispose();
  }
}
