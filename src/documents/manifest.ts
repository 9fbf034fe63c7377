import { readFileSync } from 'node:fs';

/** One operation a client was built with, as a manifest lists it. */
export interface ManifestOperation {
  /** What clients send as `documentId`: Apollo's `id`, or codegen's hash. */
  id: string;
  /** The operation's name when the manifest gives one; start-up errors name it. */
  name: string | undefined;
  body: string;
}

/** A manifest that cannot be read stops start-up with one line naming the file and the problem. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
}

const APOLLO_FORMAT = 'apollo-persisted-query-manifest';

/**
 * Reads either manifest format: Apollo's persisted query manifest
 * (`{"format":"apollo-persisted-query-manifest","version":1,"operations":[{id,name,type,body}]}`),
 * as `@apollo/generate-persisted-query-manifest` and Apollo Router use, or GraphQL Code
 * Generator's client-preset `persisted-documents.json`, a map from hash to document.
 */
export function readManifest(file: string): ManifestOperation[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ManifestError(`Trusted documents ${file} cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isRecord(parsed)) throw new ManifestError(`Trusted documents ${file} must be a JSON object`);
  const operations = parsed['format'] === APOLLO_FORMAT ? apolloOperations(file, parsed) : codegenOperations(file, parsed);
  if (operations.length === 0) throw new ManifestError(`Trusted documents ${file} list no operation`);
  return operations;
}

function apolloOperations(file: string, manifest: Record<string, unknown>): ManifestOperation[] {
  if (manifest['version'] !== 1) throw new ManifestError(`Trusted documents ${file}: only version 1 of ${APOLLO_FORMAT} is known`);
  const operations = manifest['operations'];
  if (!Array.isArray(operations)) throw new ManifestError(`Trusted documents ${file}: "operations" must be an array`);
  return operations.map((operation: unknown, index) => {
    if (!isRecord(operation) || typeof operation['id'] !== 'string' || typeof operation['body'] !== 'string') {
      throw new ManifestError(`Trusted documents ${file}: operation ${index} needs a string "id" and "body"`);
    }
    const name = operation['name'];
    return { id: operation['id'], name: typeof name === 'string' ? name : undefined, body: operation['body'] };
  });
}

function codegenOperations(file: string, manifest: Record<string, unknown>): ManifestOperation[] {
  return Object.entries(manifest).map(([id, body]) => {
    if (typeof body !== 'string') throw new ManifestError(`Trusted documents ${file}: the document of "${id}" must be a string`);
    return { id, name: undefined, body };
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
