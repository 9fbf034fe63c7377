/**
 * `npm run export:router`: writes `federation/schema.graphql`, this API as a federation subgraph
 * whose access rules Apollo Router enforces with `@authenticated` and `@requiresScopes`.
 * `npm test` fails when the committed file no longer matches `schema.graphql`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { ROUTER_SCHEMA_FILE, toRouterSchema } from '../src/tooling/router-export.js';
import { buildSchema } from '../src/graphql/schema.js';

mkdirSync(new URL('.', ROUTER_SCHEMA_FILE), { recursive: true });
writeFileSync(ROUTER_SCHEMA_FILE, toRouterSchema(buildSchema()));
process.stdout.write(`Wrote ${ROUTER_SCHEMA_FILE.pathname}\n`);
