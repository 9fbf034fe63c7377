import type { DocumentNode, GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { TrustedDocumentsConfig } from '../config.js';
import { ErrorCode, untrustedOperationError } from '../errors.js';
import { idKey, queryHash, type TrustedStore } from './trusted-store.js';

/** What a client sent to name its operation, over HTTP or WebSocket alike. */
export interface OperationRequest {
  query?: string | undefined;
  /** The GraphQL-over-HTTP `documentId`, bare or as `sha256:<hash>`. */
  documentId?: unknown;
  /** Apollo's `persistedQuery: { version: 1, sha256Hash }` lives here. */
  extensions?: Readonly<Record<string, unknown>> | null | undefined;
}

/** The text to run and, for a trusted document, its document parsed and validated at start. */
export interface GatedOperation {
  query: string | undefined;
  document: DocumentNode | undefined;
}

/**
 * The one decision on which operation runs, for `/graphql` over HTTP and over WebSocket alike:
 * the operation to run, or the error that refuses it before anything is parsed or executed.
 */
export type OperationGate = (request: OperationRequest, log: Logger) => GatedOperation | GraphQLError;

/** Without a manifest every operation passes as sent. */
export const openGate: OperationGate = ({ query }) => ({ query, document: undefined });

/**
 * The trusted documents' gate. An id that is listed runs its stored document. An id that is not
 * listed is refused, unless a text comes with it (Apollo's automatic persisted queries register
 * that way): the text is then judged as a free-form query. Nothing is ever added to the list, so
 * answers say nothing about which ids other clients have sent. A free-form query runs when it is
 * byte for byte a listed one; otherwise `enforce` refuses it, and `log` runs it and writes its hash.
 */
export function trustedDocumentsGate(store: TrustedStore, mode: TrustedDocumentsConfig['mode']): OperationGate {
  return (request, log) => {
    const id = idOf(request);
    if (id !== undefined) {
      const listed = store.byId.get(id);
      if (listed) return { query: listed.body, document: listed.document };
      if (!request.query) return untrustedOperationError(ErrorCode.PERSISTED_QUERY_NOT_IN_LIST);
    }
    const { query } = request;
    // No text and no id: the transport's own "missing query" error says it best.
    if (!query) return { query, document: undefined };
    const listed = store.byBody.get(query);
    if (listed) return { query, document: listed.document };
    if (mode === 'enforce') return untrustedOperationError(ErrorCode.QUERY_NOT_IN_SAFELIST);
    log.info({ audit: 'untrusted-operation', documentHash: queryHash(query) }, 'operation outside the trusted documents');
    return { query, document: undefined };
  };
}

/** The id a request names, from `documentId` or Apollo's extension; a malformed one names nothing that is listed. */
function idOf({ documentId, extensions }: OperationRequest): string | undefined {
  if (documentId !== undefined && documentId !== null) return typeof documentId === 'string' ? idKey(documentId) : '';
  const persisted = extensions?.['persistedQuery'];
  if (persisted === undefined || persisted === null) return undefined;
  const hash = (persisted as { sha256Hash?: unknown }).sha256Hash;
  return typeof hash === 'string' ? hash : '';
}
