import type { HTTPGraphQLRequest } from '@apollo/server';
import { InMemoryLRUCache, type KeyValueCache } from '@apollo/utils.keyvaluecache';
import { GraphQLError, type DocumentNode } from 'graphql';
import type { Logger } from 'pino';
import type { OperationGate } from './operation-gate.js';
import type { TrustedStore } from './trusted-store.js';

/** The gate on `/graphql` over HTTP: the request as Apollo should see it, or the error that refuses it. */
export type HttpGate = (request: HTTPGraphQLRequest, log: Logger) => HTTPGraphQLRequest | GraphQLError;

/**
 * Asks the gate before Apollo sees the request, so that a refusal comes before the token is
 * verified or anything is parsed. A listed id becomes its stored text, in the body of a POST or
 * the query string of a GET, and Apollo's persisted-query extension is consumed here: Apollo's own
 * automatic persisted queries stay off, since their cache would tell anyone which hashes have
 * been run before. A body that is not an object (a batch, say) is left to Apollo, which refuses it.
 */
export function httpGate(gate: OperationGate): HttpGate {
  return (request, log) => {
    if (request.method === 'GET') {
      const search = new URLSearchParams(request.search);
      const extensions = parseExtensions(search.get('extensions'));
      const documentId = search.get('documentId') ?? undefined;
      const gated = gate({ query: search.get('query') ?? undefined, documentId, extensions }, log);
      if (gated instanceof GraphQLError) return gated;
      if (documentId === undefined && extensions?.['persistedQuery'] === undefined) return request;
      search.delete('documentId');
      if (gated.query !== undefined) search.set('query', gated.query);
      if (extensions?.['persistedQuery'] !== undefined) search.set('extensions', JSON.stringify(withoutPersistedQuery(extensions)));
      return { ...request, search: `?${search}` };
    }
    const body = request.body as Record<string, unknown> | null;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return request;
    const extensions = body['extensions'] as Record<string, unknown> | null | undefined;
    const gated = gate({ query: body['query'] as string | undefined, documentId: body['documentId'], extensions }, log);
    if (gated instanceof GraphQLError) return gated;
    if (body['documentId'] === undefined && extensions?.['persistedQuery'] === undefined) return request;
    const { documentId, ...rest } = body;
    return {
      ...request,
      body: { ...rest, query: gated.query, ...(extensions?.['persistedQuery'] !== undefined ? { extensions: withoutPersistedQuery(extensions) } : {}) },
    };
  };
}

function withoutPersistedQuery(extensions: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const rest = { ...extensions };
  delete rest['persistedQuery'];
  return rest;
}

/** GET's `extensions` parameter; malformed JSON is left for Apollo to refuse. */
function parseExtensions(text: string | null): Record<string, unknown> | undefined {
  if (text === null) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Apollo's store of parsed and validated documents, keyed `<schema hash>:<query hash>`, with the
 * trusted documents answered from the start-up store, so a listed operation is never parsed or
 * validated again and never evicted. Other operations (in `log` mode) use Apollo's usual cache.
 */
export function trustedDocumentStore(store: TrustedStore): KeyValueCache<DocumentNode> {
  const others = new InMemoryLRUCache<DocumentNode>();
  const trustedOf = (key: string) => store.byHash.get(key.slice(key.lastIndexOf(':') + 1))?.document;
  return {
    get: async (key) => trustedOf(key) ?? others.get(key),
    set: async (key, value, options) => (trustedOf(key) ? undefined : others.set(key, value, options)),
    delete: (key) => others.delete(key),
  };
}
