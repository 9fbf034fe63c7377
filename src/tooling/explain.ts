import { parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { JWTPayload } from 'jose';
import { permissionsReader, principalFrom } from '../auth/principal.js';
import { analyzeOperation, type OperationAnalysis } from '../directives/operation-analysis.js';

export interface ExplainOptions {
  /** A schema with the access directives, such as `buildSchema()`. */
  schema: GraphQLSchema;
  /** The claim that grants permissions, as configured by `PERMISSIONS_CLAIM` or an issuer's `permissionsClaim`. */
  permissionsClaim?: string;
  operationName?: string;
  variables?: Record<string, unknown>;
}

/**
 * Tells which selected fields a token with `claims` (null: no token) would be denied, and which
 * are left to policies at run time, by the same analysis reject mode uses. Nothing is executed.
 */
export function explain(document: DocumentNode | string, claims: JWTPayload | null, options: ExplainOptions): OperationAnalysis {
  const { schema, permissionsClaim, operationName, variables } = options;
  const ast = typeof document === 'string' ? parse(document) : document;
  const [invalid] = validate(schema, ast);
  if (invalid) throw invalid;
  return analyzeOperation(schema, ast, claims ? principalFrom(claims, permissionsReader(permissionsClaim)) : null, { operationName, variables });
}

/** The analysis in sentences, one a field, for `npm run explain`. */
export function formatExplanation({ denials, runtime }: OperationAnalysis): string {
  const lines = [
    ...denials.map(({ path, field, code, alternatives }) => {
      const failed = alternatives.map(({ required, missing }) => `${required.join(' AND ')} (missing ${missing.join(', ')})`);
      return `${path}: ${code} by ${field}${failed.length > 0 ? `; every alternative failed: ${failed.join(' OR ')}` : ''}`;
    }),
    ...runtime.map(({ path, field, policies }) => `${path}: decided at run time by ${policies.map((name) => `policy:${name}`).join(' AND ')} on ${field}`),
  ];
  return lines.length > 0 ? `${lines.join('\n')}\n` : 'Nothing selected would be denied.\n';
}
