import type { ApolloServerPlugin } from '@apollo/server';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import { GraphQLError, type DocumentNode, type GraphQLSchema, type ParseOptions, type ValidationRule } from 'graphql';
import type { RequestContext } from '../auth/context.js';
import type { Principal } from '../auth/principal.js';
import type { Config } from '../config.js';
import { callerViews, operationSchema, perCallerIntrospectionPlugin, type OperationSchema } from './caller-introspection.js';
import { readManifest } from './manifest.js';
import { openGate, trustedDocumentsGate, type OperationGate } from './operation-gate.js';
import { httpGate, trustedDocumentStore, type HttpGate } from './http-gate.js';
import { createTrustedStore } from './trusted-store.js';

export { ManifestError, readManifest, type ManifestOperation } from './manifest.js';
export { TrustedDocumentError } from './trusted-store.js';
export type { OperationGate, OperationRequest } from './operation-gate.js';
export type { HttpGate } from './http-gate.js';
export type { OperationSchema } from './caller-introspection.js';

export interface DocumentsOptions {
  config: Pick<Config, 'trustedDocuments' | 'introspection'>;
  schema: GraphQLSchema;
  /** What every request is parsed and validated with, so listed operations are checked at start by the same rules. */
  limits: { parseOptions: ParseOptions; validationRules: readonly ValidationRule[] };
}

/** What clients may run and see, for `app.ts` to hand to Apollo, the WebSocket server and `/schema.graphql`. */
export interface Documents {
  /** Apollo's `introspection`: on for `per-caller` too, which the plugin narrows. */
  introspection: boolean;
  /** Apollo's `documentStore`; undefined keeps Apollo's default. */
  documentStore: KeyValueCache<DocumentNode> | undefined;
  plugins: ApolloServerPlugin<RequestContext>[];
  /** The decision both transports ask before they parse an operation: as is for WebSocket, and for HTTP ... */
  gate: OperationGate;
  /** ... in Apollo's request shape, for `/graphql` before Apollo; undefined without a manifest. */
  gateHttp: HttpGate | undefined;
  /** The schema an operation runs on for a caller: the full one, or with `per-caller`, the caller's view for introspection. */
  schemaFor: OperationSchema;
  /** With `per-caller` introspection, the SDL a caller may see (throws the refusal when it may see nothing); undefined otherwise. */
  sdlFor: ((principal: Principal | null) => string) | undefined;
}

/**
 * Trusted documents (`TRUSTED_DOCUMENTS`): the manifest read, and every operation in it parsed and
 * validated, before the server starts; a bad one throws `ManifestError` or `TrustedDocumentError`.
 * Per-caller introspection (`GRAPHQL_INTROSPECTION=per-caller`). Without either, nothing changes.
 */
export function createDocuments({ config, schema, limits }: DocumentsOptions): Documents {
  const trusted = config.trustedDocuments;
  const store = trusted ? createTrustedStore(readManifest(trusted.file), { schema, ...limits }) : undefined;
  const viewOf = config.introspection === 'per-caller' ? callerViews(schema) : undefined;
  const gate = store && trusted ? trustedDocumentsGate(store, trusted.mode) : openGate;
  const schemaFor = viewOf ? operationSchema(schema, viewOf) : () => schema;
  return {
    introspection: config.introspection !== false,
    documentStore: store ? trustedDocumentStore(store) : undefined,
    plugins: viewOf ? [perCallerIntrospectionPlugin(schema, schemaFor)] : [],
    schemaFor,
    gate,
    gateHttp: store ? httpGate(gate) : undefined,
    sdlFor: viewOf
      ? (principal) => {
          const view = viewOf(principal);
          if (view instanceof GraphQLError) throw view;
          return view.sdl;
        }
      : undefined,
  };
}
