import { once } from 'node:events';
import { createClient, type Client } from 'graphql-ws';
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
