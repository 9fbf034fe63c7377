import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type HTTPGraphQLRequest } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { AuthRequest, ContextBuilder, RequestContext } from '../auth/context.js';
import type { HttpGate } from '../documents/index.js';
import { errorCodeOf, httpStatusOf } from '../errors.js';
import type { CorsStep } from './cors-policy.js';
import { answerError, sendJson } from './error-handler.js';
import { readJsonBody } from './json-body.js';

export interface GraphQLRouteOptions {
  apollo: ApolloServer<RequestContext>;
  buildContext: ContextBuilder;
  /** The trusted documents' decision, before Apollo and before the token is verified; undefined lets every request through. */
  gate?: HttpGate | undefined;
  cors: CorsStep;
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
export function graphqlRoute({ apollo, buildContext, gate, cors, landingPage }: GraphQLRouteOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const respond = async (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const received: HTTPGraphQLRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      headers: headerMapOf(req),
      search: query === -1 ? '' : url.slice(query),
      body: await readJsonBody(req, res),
    };
    const httpGraphQLRequest = gate ? gate(received, req.log) : received;
    if (httpGraphQLRequest instanceof GraphQLError) return sendGraphQLErrors(res, httpGraphQLRequest);
    // node:http sets `method` and `url` on every request its server emits.
    const context = () => buildContext(req as AuthRequest);
    const { status, headers, body } = await apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest, context });
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

/** A request refused before Apollo, in the shape Apollo gives its own errors, so clients read both alike. */
function sendGraphQLErrors(res: ServerResponse, error: GraphQLError): void {
  const code = errorCodeOf(error);
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
