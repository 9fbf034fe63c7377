import type { AccessRule } from './access-rule.js';

/** The committed review copy of the matrix at the project root; `npm test` fails when it is stale. */
export const ACCESS_SNAPSHOT_FILE = new URL('../../authz.snapshot.json', import.meta.url);

/** What a field needs, in words: `public`, `authenticated`, or its permissions joined by AND. */
export function describeAccess(rule: AccessRule): string {
  return rule.access === 'permissions' ? rule.permissions.join(' AND ') : rule.access;
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
  const count = (access: AccessRule['access']) => rules.filter((rule) => rule.access === access).length;
  const summary = `${rules.length} fields: ${count('public')} public, ${count('authenticated')} authenticated, ${count('permissions')} need permissions`;
  return `${lines.join('\n')}\n\n${summary}\n`;
}
