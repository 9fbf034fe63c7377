import { fileURLToPath } from 'node:url';
import type { GraphQLSchema } from 'graphql';
import { readManifest } from '../documents/index.js';
import { accessRules, type AccessRule } from '../directives/access-rule.js';
import { operationAccess, type OperationAccess } from './operation-access.js';

/** The committed review copy of the matrix at the project root; `npm test` fails when it is stale. */
export const ACCESS_SNAPSHOT_FILE = new URL('../../authz.snapshot.json', import.meta.url);

/** The example SPA's trusted documents (`npm run codegen`), whose access the snapshot records too. */
export const SPA_MANIFEST_FILE = new URL('../../examples/spa/generated/persisted-documents.json', import.meta.url);

/** The snapshot as it should be committed: every field's rule and every operation of the example SPA. */
export function accessSnapshot(schema: GraphQLSchema): string {
  return formatAccessJson(accessRules(schema), operationAccess(schema, readManifest(fileURLToPath(SPA_MANIFEST_FILE))));
}

/**
 * What a field needs, in words: `public`, `authenticated`, or its permissions as `a OR (b AND c)`,
 * followed by `AND policy:name` for each policy decided at run time.
 */
export function describeAccess(rule: AccessRule): string {
  const alternatives = rule.anyOf.map((alternative) => (rule.anyOf.length > 1 && alternative.length > 1 ? `(${alternative.join(' AND ')})` : alternative.join(' AND ')));
  const token = rule.access === 'permissions' ? alternatives.join(' OR ') : rule.access;
  const policies = rule.policies.map((name) => `policy:${name}`);
  if (policies.length === 0) return token;
  const needsParentheses = rule.anyOf.length > 1;
  return [...(rule.access === 'public' ? [] : [needsParentheses ? `(${token})` : token]), ...policies].join(' AND ');
}

/**
 * The rules, and the access of the client operations, as JSON with one field or operation a line,
 * so that a change to who can reach a field, or run a client's operation, is one line of the
 * snapshot's diff, with its name in it.
 */
export function formatAccessJson(rules: readonly AccessRule[], operations: readonly OperationAccess[]): string {
  const lines = (items: readonly unknown[]) => items.map((item) => `    ${JSON.stringify(item)}`).join(',\n');
  return `{\n  "fields": [\n${lines(rules)}\n  ],\n  "operations": [\n${lines(operations)}\n  ]\n}\n`;
}

/** The rules as an aligned table for reading in a terminal, with a count of each kind of access. */
export function formatAccessTable(rules: readonly AccessRule[]): string {
  const rows = [['FIELD', 'REQUIRES', 'FROM'], ...rules.map((rule) => [rule.field, describeAccess(rule), rule.from.join(', ')])];
  const widths = [0, 1].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map(([field, requires, from]) => `${field!.padEnd(widths[0]!)}  ${requires!.padEnd(widths[1]!)}  ${from}`.trimEnd());
  const count = (access: AccessRule['access']) => rules.filter((rule) => rule.access === access && rule.policies.length === 0).length;
  const withPolicies = rules.filter((rule) => rule.policies.length > 0).length;
  const summary = `${rules.length} fields: ${count('public')} public, ${count('authenticated')} authenticated, ${count('permissions')} need permissions, ${withPolicies} decided by policies`;
  return `${lines.join('\n')}\n\n${summary}\n`;
}
