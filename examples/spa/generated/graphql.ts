/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type PublicMessageQueryVariables = Exact<{ [key: string]: never; }>;


export type PublicMessageQuery = { publicMessage: { text: string } };

export type ProtectedMessageQueryVariables = Exact<{ [key: string]: never; }>;


export type ProtectedMessageQuery = { protectedMessage: { text: string } | null };

export type AdminMessageQueryVariables = Exact<{ [key: string]: never; }>;


export type AdminMessageQuery = { adminMessage: { text: string } | null };


export const PublicMessageDocument = {"__meta__":{"hash":"sha256:1ab554f58a812f07c97d32152c3934a61a29e4dcbfa9030e598822d8a9788785"}} as unknown as DocumentNode<PublicMessageQuery, PublicMessageQueryVariables>;
export const ProtectedMessageDocument = {"__meta__":{"hash":"sha256:b6e97bbb7f20ff8d8984187d2d42cf1f82280c4fc98b6e6e611db3268bee3b58"}} as unknown as DocumentNode<ProtectedMessageQuery, ProtectedMessageQueryVariables>;
export const AdminMessageDocument = {"__meta__":{"hash":"sha256:7054e475ee567b4687c2b4948b8002e339cb31ec7bbe686830256deef09eb0e4"}} as unknown as DocumentNode<AdminMessageQuery, AdminMessageQueryVariables>;