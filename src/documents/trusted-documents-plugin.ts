import type { ApolloServerPlugin, HTTPGraphQLRequest } from '@apollo/server';
import { InMemoryLRUCache, type KeyValueCache } from '@apollo/utils.keyvaluecache';
import { GraphQLError, type DocumentNode } from 'graphql';
import type { RequestContext } from '../auth/context.js';
import type { OperationGate } from './operation-gate.js';
import type { TrustedStore } from './trusted-store.js';

/**
 * The gate on `/graphql` over HTTP, first of all of a request's hooks: Apollo reads the operation's
 * text only after every `requestDidStart`, so a listed id becomes its stored text here, and a
 * refusal thrown here is answered with its 400 before anything is parsed. The persisted-query
 * extension is consumed here too: Apollo's own automatic persisted queries stay off, since their
 * cache would tell anyone which hashes have been run before.
 */
export function trustedDocumentsPlugin(gate: OperationGate): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart({ request, contextValue }) {
      const gated = gate({ query: request.query, documentId: documentIdOf(request.http), extensions: request.extensions }, contextValue.log);
      if (gated instanceof GraphQLError) throw gated;
      request.query = gated.query;
      if (request.extensions?.['persistedQuery'] !== undefined) {
        const extensions = { ...request.extensions };
        delete extensions['persistedQuery'];
        request.extensions = extensions;
      }
    },
  };
}

/** `documentId` from a POST body or, for GET, the query string. */
function documentIdOf(http: HTTPGraphQLRequest | undefined): unknown {
  if (!http) return undefined;
  if (http.method === 'GET') return new URLSearchParams(http.search).get('documentId') ?? undefined;
  return typeof http.body === 'object' && http.body !== null ? (http.body as { documentId?: unknown }).documentId : undefined;
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
