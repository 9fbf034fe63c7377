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
