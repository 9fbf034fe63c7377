import type { IncomingMessage, ServerResponse } from 'node:http';
import { finished } from 'node:stream/promises';
import bodyParser from 'body-parser';

/** Largest request body accepted, in bytes (100 KiB); a GraphQL document for this API is a few hundred. */
export const BODY_LIMIT = 100 * 1024;

/** body-parser's JSON reader: every charset, content-encoding and media-type rule it has. */
const fullReader = bodyParser.json({ limit: BODY_LIMIT });

/** body-parser's `strict` mode: only an object or an array, after optional JSON whitespace. */
const STRICT_FIRST_CHAR = /^[\x20\x09\x0a\x0d]*[{[]/;

/**
 * Reads a request's JSON body, as `express.json({ limit: BODY_LIMIT })` would, for a route outside
 * Express: undefined when there is none or it is not JSON, an error with body-parser's `type`
 * (`error-handler.ts` maps those) when it is malformed, too large, cut short or aborted.
 *
 * What every real client sends, plain `application/json` without a content-encoding, is read by
 * `readUtf8` and `JSON.parse`; anything else goes through body-parser itself. `express.json()`
 * cost about 20 µs a request, measured before `/graphql` left Express, most of it media-type,
 * charset and stream set-up to decide a case that is almost always the same.
 */
export async function readJsonBody(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  const { 'content-type': type, 'content-encoding': encoding, 'content-length': length } = req.headers;
  if (encoding !== undefined || (type !== 'application/json' && type !== 'application/json; charset=utf-8')) {
    return new Promise((resolve, reject) => {
      fullReader(req, res, (error?: unknown) => (error ? reject(error) : resolve((req as { body?: unknown }).body)));
    });
  }
  if (length === undefined && req.headers['transfer-encoding'] === undefined) return undefined;
  let text: string;
  try {
    text = await readUtf8(req, length === undefined ? undefined : Number(length));
  } catch (error) {
    // As body-parser does: answer only once the client has sent everything, or it sees a reset.
    req.resume();
    await finished(req).catch(() => undefined);
    throw error;
  }
  if (text.length === 0) return {};
  if (!STRICT_FIRST_CHAR.test(text)) throw bodyError('Malformed JSON body', 'entity.parse.failed', 400);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw bodyError('Malformed JSON body', 'entity.parse.failed', 400);
  }
}

/**
 * The body as UTF-8 text, with raw-body's checks (the one body-parser reads with) and its error
 * `type`s: over the limit, by its declared length before any byte is read or while it arrives;
 * shorter or longer than declared; aborted. A byte-order mark is dropped, as raw-body's decoder does.
 *
 * raw-body itself cost about 9 µs more server CPU per `/graphql` request (an interleaved A/B,
 * bench/README.md, step 7): it adds five listeners and removes them again, and settles on a later
 * tick. These listeners stay until the request is collected, and ignore events once it is settled.
 */
function readUtf8(req: IncomingMessage, length: number | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    if (length !== undefined && length > BODY_LIMIT) return reject(bodyError('request entity too large', 'entity.too.large', 413));
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      received += chunk.length;
      if (received > BODY_LIMIT) fail(bodyError('request entity too large', 'entity.too.large', 413));
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (settled) return;
      if (length !== undefined && received !== length) return fail(bodyError('request size did not match content length', 'request.size.invalid', 400));
      settled = true;
      const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8');
      resolve(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    });
    req.on('aborted', () => fail(bodyError('request aborted', 'request.aborted', 400)));
    req.on('error', fail);
  });
}

function bodyError(message: string, type: string, status: number): Error {
  return Object.assign(new Error(message), { type, status });
}
