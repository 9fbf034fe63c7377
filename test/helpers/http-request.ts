import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';

/** One HTTP exchange as the tests look at it: status, headers, and the body parsed when it is JSON. */
export interface Exchange {
  status: number;
  headers: Headers;
  contentType: string;
  body: unknown;
}

export async function request(url: string, init: RequestInit = {}): Promise<Exchange> {
  const response = await fetch(url, init);
  const contentType = response.headers.get('content-type') ?? '';
  const text = await response.text();
  return { status: response.status, headers: response.headers, contentType, body: contentType.includes('json') ? JSON.parse(text) : text };
}

/** A bearer `Authorization` header, or none. */
export function bearer(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

/** What `rawRequest` gives back: the status, node's headers, and the body as text. */
export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One exchange through node's own client, which sends what fetch will not: repeated headers
 * (an array value, or raw name/value pairs), a body written in chunks, raw bytes.
 */
export function rawRequest(
  url: string,
  method: string,
  headers: OutgoingHttpHeaders | string[],
  chunks: ReadonlyArray<string | Buffer> = [],
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}
