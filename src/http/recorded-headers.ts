import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeader, ServerResponse } from 'node:http';

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;
export type HeaderList = ReadonlyArray<readonly [string, OutgoingHttpHeader]>;

/**
 * Runs a header-writing middleware (helmet, cors) once, at start-up, on a stand-in request and
 * response, and returns the headers it wrote. Where its headers depend on its options and on
 * nothing the request carries beyond `method` and `headers` given here, each response can get
 * the same list, without the middleware's per-request work (`cors` alone took about 4 % of a
 * `/graphql` request's samples under `npm run bench -- --cpu-prof`).
 */
export function recordHeaders(middleware: Middleware, request: { method: string; headers: IncomingHttpHeaders }): HeaderList {
  const written = new Map<string, OutgoingHttpHeader>();
  const response = {
    setHeader: (name: string, value: OutgoingHttpHeader) => written.set(name.toLowerCase(), value),
    getHeader: (name: string) => written.get(name.toLowerCase()),
    removeHeader: (name: string) => written.delete(name.toLowerCase()),
  };
  let passed = false;
  middleware(request as IncomingMessage, response as unknown as ServerResponse, () => (passed = true));
  if (!passed) throw new Error('a recorded middleware must pass the request on');
  return [...written];
}

export function writeHeaders(res: ServerResponse, headers: HeaderList): void {
  for (const [name, value] of headers) res.setHeader(name, value);
}
