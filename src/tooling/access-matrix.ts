import type { AccessRule } from '../directives/access-rule.js';

/** The committed review copy of the matrix at the project root; `npm test` fails when it is stale. */
export const ACCESS_SNAPSHOT_FILE = new URL('../../authz.snapshot.json', import.meta.url);

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
 * The rules as JSON with one field a line, so that a change to who can reach a field is one line
 * of the snapshot's diff, with the field's name in it.
 */
export function formatAccessJson(rules: readonly AccessRule[]): string {
  return `[\n${rules.map((rule) => `  ${JSON.stringify(rule)}`).join(',\n')}\n]\n`;
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
