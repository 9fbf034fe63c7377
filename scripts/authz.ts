/**
 * `npm run authz [-- --json | --update]`: the access matrix of the built schema, every field of
 * every object type with what it needs after its type's and interfaces' rules are added. Prints a
 * table, or JSON with `--json`; `--update` rewrites `authz.snapshot.json`, which `npm test`
 * compares, so a change to who can reach what is accepted on purpose, in a reviewed diff. The
 * snapshot also holds the example SPA's operations, so a schema change that makes a client need
 * a new permission shows there too.
 *
 * `npm run authz -- --documents <manifest> [--json]`: for each operation of a trusted-documents
 * manifest (Apollo's or codegen's), the permission sets that let it run in full, and what a caller
 * loses without a token or without each of those permissions.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ACCESS_SNAPSHOT_FILE, accessSnapshot, formatAccessTable } from '../src/tooling/access-matrix.js';
import { accessRules } from '../src/directives/access-rule.js';
import { readManifest } from '../src/documents/index.js';
import { buildSchema } from '../src/graphql/schema.js';
import { formatOperationAccess, operationAccess } from '../src/tooling/operation-access.js';

const { values } = parseArgs({
  options: { json: { type: 'boolean', default: false }, update: { type: 'boolean', default: false }, documents: { type: 'string' } },
});
const schema = buildSchema();

try {
  if (values.documents) {
    const report = operationAccess(schema, readManifest(values.documents));
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatOperationAccess(report));
  } else if (values.update) {
    writeFileSync(ACCESS_SNAPSHOT_FILE, accessSnapshot(schema));
    process.stdout.write(`Wrote ${ACCESS_SNAPSHOT_FILE.pathname}\n`);
  } else {
    process.stdout.write(values.json ? accessSnapshot(schema) : formatAccessTable(accessRules(schema)));
  }
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
