import type { IncomingMessage, ServerResponse } from 'node:http';
import { finished } from 'node:stream/promises';
import bodyParser from 'body-parser';
import getRawBody from 'raw-body';

/** Largest request body accepted; a GraphQL document for this API is a few hundred bytes. */
export const BODY_LIMIT = '100kb';

/** body-parser's JSON reader: every charset, content-encoding and media-type rule it has. */
const fullReader = bodyParser.json({ limit: BODY_LIMIT });

/** body-parser's `strict` mode: only an object or an array, after optional JSON whitespace. */
const STRICT_FIRST_CHAR = /^[\x20\x09\x0a\x0d]*[{[]/;

/**
 * Reads a request's JSON body, as `express.json({ limit: BODY_LIMIT })` would, for a route outside
 * Express: undefined when there is none or it is not JSON, an error with body-parser's `type`
 * (`error-handler.ts` maps those) when it is malformed, too large, cut short or aborted.
 *
 * What every real client sends, plain `application/json` without a content-encoding, is read with
 * raw-body (body-parser's own reader) and `JSON.parse`; anything else goes through body-parser
 * itself. `express.json()` cost about 20 µs a request, measured before `/graphql` left Express,
 * most of it media-type, charset and stream set-up to decide a case that is almost always the same.
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
    text = await getRawBody(req, { length, limit: BODY_LIMIT, encoding: 'utf-8' });
  } catch (error) {
    // As body-parser does: answer only once the client has sent everything, or it sees a reset.
    req.resume();
    await finished(req).catch(() => undefined);
    throw error;
  }
  if (text.length === 0) return {};
  if (!STRICT_FIRST_CHAR.test(text)) throw malformed();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw malformed();
  }
}

function malformed(): Error {
  return Object.assign(new SyntaxError('Malformed JSON body'), { type: 'entity.parse.failed', status: 400 });
}
