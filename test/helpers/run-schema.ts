import { graphql, type GraphQLSchema } from 'graphql';
import type { Principal } from '../../src/auth/principal.js';

/** A verified principal with `permissions`, valid for ever: what the verifier hands the directives. */
export function principal(...permissions: string[]): Principal {
  return { issuer: 'https://tenant.example.com/', subject: 'auth0|u', permissions: new Set(permissions), expiresAt: Infinity, notBefore: undefined };
}

export interface RunResult {
  /** The data as JSON would carry it (no null-prototype objects). */
  data: Record<string, unknown> | null;
  errors: Array<{ path: string | undefined; code: unknown; message: string }>;
}

/** Executes `source` in process against `schema`, as `who` (null: no token), with no HTTP in between. */
export async function run(schema: GraphQLSchema, source: string, who: Principal | null): Promise<RunResult> {
  const result = await graphql({ schema, source, contextValue: { principal: who } });
  const errors = (result.errors ?? []).map((e) => ({ path: e.path?.join('.'), code: e.extensions['code'], message: e.message }));
  return { data: JSON.parse(JSON.stringify(result.data ?? null)) as RunResult['data'], errors };
}

/** Each error as `path code`, for compact assertions. */
export function denials({ errors }: RunResult): string[] {
  return errors.map((e) => `${e.path} ${String(e.code)}`);
}
