/**
 * `npm run explain -- --query '{ adminMessage { text } }' [--permissions a,b | --anonymous]
 * [--variables '{"x":1}'] [--operation Name] [--sub auth0|me]`: which selected fields a caller with
 * those permissions would be denied, and which alternatives of each rule failed, without a server
 * or a token. The same analysis refuses operations when AUTHZ_UNAUTHORIZED_MODE=reject.
 */
import { parseArgs } from 'node:util';
import { buildSchema } from '../src/graphql/schema.js';
import { explain, formatExplanation } from '../src/tooling/explain.js';

const { values } = parseArgs({
  options: {
    query: { type: 'string' },
    permissions: { type: 'string', default: '' },
    anonymous: { type: 'boolean', default: false },
    variables: { type: 'string', default: '{}' },
    operation: { type: 'string' },
    sub: { type: 'string', default: 'auth0|explain' },
  },
});
if (!values.query) {
  process.stderr.write('Usage: npm run explain -- --query \'{ … }\' [--permissions a,b | --anonymous] [--variables JSON] [--operation Name]\n');
  process.exit(2);
}
const claims = values.anonymous ? null : { sub: values.sub, permissions: values.permissions.split(',').filter(Boolean) };
try {
  const analysis = explain(values.query, claims, {
    schema: buildSchema(),
    variables: JSON.parse(values.variables) as Record<string, unknown>,
    ...(values.operation ? { operationName: values.operation } : {}),
  });
  process.stdout.write(formatExplanation(analysis));
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
