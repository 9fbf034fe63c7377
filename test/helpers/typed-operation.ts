import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import type { GraphQLResponse, Harness } from './harness.js';

export interface TypedResponse<TData> extends Omit<GraphQLResponse, 'body'> {
  data: TData | null | undefined;
  errors: NonNullable<GraphQLResponse['body']['errors']>;
}

/**
 * Sends one of the operations codegen typed from `test/operations/`, so that the test reads its
 * result with the types the schema gives it: a schema change that breaks the operation breaks the type check.
 */
export async function send<TData, TVariables>(h: Harness, document: TypedDocumentNode<TData, TVariables>, token?: string): Promise<TypedResponse<TData>> {
  const { status, headers, body } = await h.graphql(print(document), token);
  return { status, headers, data: body.data as TData | null | undefined, errors: body.errors ?? [] };
}
