import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type HTTPGraphQLRequest } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { AuthRequest, ContextBuilder, RequestContext } from '../auth/context.js';
import type { HttpGate } from '../documents/index.js';
import type { ChargeUnpaid } from '../limits/rate-limits.js';
import { errorCodeOf, httpStatusOf } from '../errors.js';
import type { CorsStep } from './cors-policy.js';
import { answerError, sendJson, setErrorHeaders } from './error-handler.js';
import { readJsonBody } from './json-body.js';

export interface GraphQLRouteOptions {
  apollo: ApolloServer<RequestContext>;
  buildContext: ContextBuilder;
  /** The trusted documents' decision, before Apollo and before the token is verified; undefined lets every request through. */
  gate?: HttpGate | undefined;
  cors: CorsStep;
  /**
   * The rate limits' charge for a request answered before it was charged (`RateLimits.chargeUnpaid`):
   * asked before every answer; undefined when nothing is owed, else the promise of the error to send
   * instead (over quota), or of undefined to send the answer as it is.
   */
  chargeUnpaid?: ChargeUnpaid | undefined;
  /** Outside production: relaxes the security policy for Apollo's landing page. */
  landingPage?: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
}

/**
 * `/graphql` on plain `node:http`, through Apollo Server's integration API
 * (`executeHTTPGraphQLRequest`), as every `@as-integrations/*` package does: the request in
 * Apollo's shape, Apollo's answer written back. Apollo keeps every GraphQL rule (CSRF prevention,
 * methods, parsing, limits, plugins); this only moves bytes, without Express's per-request cost.
 * Per-request logic for this route belongs in an Apollo plugin or in the steps `app.ts` runs for
 * every route, not in an Express middleware, which never sees these requests.
 */
export function graphqlRoute({ apollo, buildContext, gate, cors, chargeUnpaid, landingPage }: GraphQLRouteOptions): (req: IncomingMessage, res: ServerResponse) => void {
  /** True when the request's answer was replaced by the rate limits' refusal. */
  const refusedByLimits = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const refusal = await chargeUnpaid?.(req);
    if (refusal) sendGraphQLErrors(res, refusal);
    return refusal !== undefined;
  };
  const respond = async (req: IncomingMessage, res: ServerResponse) => {
    let requestBody: unknown;
    try {
      requestBody = await readJsonBody(req, res);
    } catch (error) {
      if (!(await refusedByLimits(req, res))) answerError(error, req, res);
      return;
    }
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const received: HTTPGraphQLRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      headers: headerMapOf(req),
      search: query === -1 ? '' : url.slice(query),
      body: requestBody,
    };
    const httpGraphQLRequest = gate ? gate(received, req.log) : received;
    if (httpGraphQLRequest instanceof GraphQLError) {
      if (!(await refusedByLimits(req, res))) sendGraphQLErrors(res, httpGraphQLRequest);
      return;
    }
    // node:http sets `method` and `url` on every request its server emits.
    const context = () => buildContext(req as AuthRequest);
    const { status, headers, body } = await apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest, context });
    // Apollo's own refusals (CSRF prevention, methods, the body's shape, syntax, validation) were
    // not charged yet; a request that ran was, and this costs nothing.
    const unpaid = chargeUnpaid?.(req);
    if (unpaid) {
      const refusal = await unpaid;
      if (refusal) return sendGraphQLErrors(res, refusal);
    }
    for (const [name, value] of headers) res.setHeader(name, value);
    res.statusCode = status ?? 200;
    if (body.kind === 'complete') return send(res, body.string);
    for await (const chunk of body.asyncIterator) res.write(chunk);
    res.end();
  };
  return (req, res) => {
    cors(req, res, (error) => {
      if (error) return answerError(error, req, res);
      landingPage?.(req, res);
      respond(req, res).catch((failure: unknown) => (res.headersSent ? res.destroy() : answerError(failure, req, res)));
    });
  };
}

/**
 * A request refused outside Apollo (before it, or by the rate limits after it), in the shape Apollo
 * gives its own errors, so clients read both alike; with the error's own headers (`retry-after`).
 */
function sendGraphQLErrors(res: ServerResponse, error: GraphQLError): void {
  const code = errorCodeOf(error);
  setErrorHeaders(res, error);
  sendJson(res, httpStatusOf[code], { errors: [{ message: error.message, extensions: { code } }] });
}

function headerMapOf(req: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

/** Writes a whole body as Express's `res.send` does: a length, and text declared as UTF-8. */
function send(res: ServerResponse, text: string): void {
  const type = res.getHeader('content-type');
  if (typeof type === 'string' && !/;\s*charset=/i.test(type)) res.setHeader('content-type', `${type}; charset=utf-8`);
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}
