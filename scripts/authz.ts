/**
 * `npm run authz [-- --json | --update]`: the access matrix of the built schema, every field of
 * every object type with what it needs after its type's and interfaces' rules are added. Prints a
 * table, or JSON with `--json`; `--update` rewrites `authz.snapshot.json`, which `npm test`
 * compares, so a change to who can reach what is accepted on purpose, in a reviewed diff.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ACCESS_SNAPSHOT_FILE, formatAccessJson, formatAccessTable } from '../src/tooling/access-matrix.js';
import { accessRules } from '../src/directives/access-rule.js';
import { buildSchema } from '../src/graphql/schema.js';

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, update: { type: 'boolean', default: false } } });
const rules = accessRules(buildSchema());

if (values.update) {
  writeFileSync(ACCESS_SNAPSHOT_FILE, formatAccessJson(rules));
  process.stdout.write(`Wrote ${ACCESS_SNAPSHOT_FILE.pathname} (${rules.length} fields)\n`);
} else {
  process.stdout.write(values.json ? formatAccessJson(rules) : formatAccessTable(rules));
}
