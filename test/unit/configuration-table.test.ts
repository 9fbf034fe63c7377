import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

/**
 * The configuration table in docs/operations.md against src/config.ts, the one reader of the environment. The
 * variables are taken from config.ts's source: every name it reads from an environment object
 * (`env['X']`, `env.X`, `helper(env, 'X', ...)`, `process.env` alike) or names in a `ConfigError`.
 * So a setting added later fails this test until it has its row.
 */
const CONFIG_SOURCE = readFileSync(new URL('../../src/config.ts', import.meta.url), 'utf8');
const OPERATIONS = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');

function variablesReadByConfig(): string[] {
  const patterns = [
    /\benv\s*\[\s*['"`]([A-Z][A-Z0-9_]*)['"`]\s*\]/g,
    /\benv\s*\.\s*([A-Z][A-Z0-9_]*)\b/g,
    /\benv\s*,\s*['"`]([A-Z][A-Z0-9_]*)['"`]/g,
    /\bConfigError\(\s*['"`]([A-Z][A-Z0-9_]*)['"`]/g,
  ];
  const names = patterns.flatMap((pattern) => [...CONFIG_SOURCE.matchAll(pattern)].map(([, name]) => name!));
  return [...new Set(names)].sort();
}

function variablesInTable(): string[] {
  const section = OPERATIONS.split(/^## /m).find((part) => part.startsWith('Configuration\n'));
  assert.ok(section, 'docs/operations.md has a "## Configuration" section');
  const rows = [...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map(([, name]) => name!);
  assert.equal(new Set(rows).size, rows.length, `a variable has two rows: ${rows.join(', ')}`);
  return rows.sort();
}

describe('the configuration table in docs/operations.md', () => {
  it('has a row for every variable src/config.ts reads, and none it does not', () => {
    const read = variablesReadByConfig();
    assert.ok(read.includes('PORT') && read.includes('AUTH0_DOMAIN'), `the scan of config.ts found ${read.join(', ')}`);
    assert.deepEqual(variablesInTable(), read);
  });
});
