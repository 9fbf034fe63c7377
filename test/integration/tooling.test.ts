import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generate } from '@graphql-codegen/cli';
import { buildClientSchema, isIntrospectionType, lexicographicSortSchema, printType, type GraphQLSchema, type IntrospectionQuery } from 'graphql';
import { buildSchema } from '../../src/graphql/schema.js';
import { useHarness } from '../helpers/use-harness.js';

/** What GraphQL Code Generator would write to `file` with `plugin` for the schema at `url`; nothing is written. */
async function codegen(url: string, file: string, plugin: string, config: Record<string, unknown> = {}): Promise<string> {
  const [output] = await generate({ schema: url, generates: { [file]: { plugins: [plugin], config } }, silent: true }, false);
  assert.ok(output);
  return output.content;
}

/** Every named type, printed in a fixed order; the plugin sorts, and reorders directive locations. */
function printedTypes(schema: GraphQLSchema): string[] {
  return Object.values(lexicographicSortSchema(schema).getTypeMap())
    .filter((type) => !isIntrospectionType(type))
    .map((type) => printType(type));
}

describe('real tooling against the running server', () => {
  const harness = useHarness();

  it("GraphQL Code Generator's introspection plugin reads from /graphql the types we serve", async () => {
    const introspection = JSON.parse(await codegen(`${harness().url}/graphql`, 'schema.json', 'introspection')) as IntrospectionQuery;
    const client = buildClientSchema(introspection);
    assert.deepEqual(printedTypes(client), printedTypes(buildSchema()));
  });

  it('GraphQL Code Generator loads /schema.graphql as SDL, rules included', async () => {
    const sdl = await codegen(`${harness().url}/schema.graphql`, 'schema.graphql', 'schema-ast', { includeDirectives: true });
    assert.match(sdl, /directive @hasPermission\(name: String!\) repeatable on/);
    assert.match(sdl, /adminMessage: Message @hasPermission\(name: "read:admin-messages"\)/);
    assert.match(sdl, /type AdminStats implements Report @hasPermission\(name: "read:admin-stats"\)/);
  });
});
