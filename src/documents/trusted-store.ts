import { createHash } from 'node:crypto';
import { getOperationAST, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema, type ParseOptions, type ValidationRule } from 'graphql';
import type { ManifestOperation } from './manifest.js';

/** A manifest operation, parsed and validated against the schema once, at start. */
export interface TrustedDocument {
  body: string;
  document: DocumentNode;
}

export interface TrustedStore {
  /** By `idKey` of the manifest's id, and by the SHA-256 of the body, which Apollo's `sha256Hash` is. */
  byId: ReadonlyMap<string, TrustedDocument>;
  /** By the exact text, for a free-form query that is byte for byte a listed one. */
  byBody: ReadonlyMap<string, TrustedDocument>;
  /** By the SHA-256 of the body, which is how Apollo Server keys its parsed documents. */
  byHash: ReadonlyMap<string, TrustedDocument>;
}

/** The key of a document id: `sha256:<hash>` (the GraphQL-over-HTTP spelling, and codegen's) and `<hash>` are one id. */
export function idKey(id: string): string {
  return id.startsWith('sha256:') ? id.slice('sha256:'.length) : id;
}

/** Apollo Server's query hash: hex SHA-256 of the text, as clients compute `sha256Hash` too. */
export function queryHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A listed operation that does not fit the schema; start-up stops with its name and the error. */
export class TrustedDocumentError extends Error {
  override readonly name = 'TrustedDocumentError';
}

export interface StoreOptions {
  schema: GraphQLSchema;
  /** The same parse options and validation rules every request gets, so a listed operation passes them all at start. */
  parseOptions: ParseOptions;
  validationRules: readonly ValidationRule[];
}

/** Parses and validates every operation once; throws on the first that does not fit. */
export function createTrustedStore(operations: readonly ManifestOperation[], { schema, parseOptions, validationRules }: StoreOptions): TrustedStore {
  const rules = [...specifiedRules, ...validationRules];
  const byId = new Map<string, TrustedDocument>();
  const byBody = new Map<string, TrustedDocument>();
  const byHash = new Map<string, TrustedDocument>();
  for (const operation of operations) {
    const trusted = { body: operation.body, document: parseAndValidate(operation, schema, parseOptions, rules) };
    const hash = queryHash(operation.body);
    for (const id of [idKey(operation.id), hash]) byId.set(id, trusted);
    byBody.set(operation.body, trusted);
    byHash.set(hash, trusted);
  }
  return { byId, byBody, byHash };
}

function parseAndValidate(operation: ManifestOperation, schema: GraphQLSchema, parseOptions: ParseOptions, rules: readonly ValidationRule[]): DocumentNode {
  let document: DocumentNode;
  try {
    document = parse(operation.body, parseOptions);
  } catch (error) {
    throw new TrustedDocumentError(`Trusted document ${operation.name ?? operation.id} does not parse: ${(error as Error).message}`);
  }
  const name = operation.name ?? getOperationAST(document)?.name?.value ?? operation.id;
  const [invalid] = validate(schema, document, rules);
  if (invalid) throw new TrustedDocumentError(`Trusted document ${name} does not validate against the schema: ${invalid.message}`);
  return document;
}
