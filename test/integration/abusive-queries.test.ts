import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getIntrospectionQuery } from 'graphql';
import { QueryLimits } from '../../src/graphql/query-limits.js';
import { buildSchema } from '../../src/graphql/schema.js';
import type { Harness } from '../helpers/harness.js';
import { startLoggedHarness, type CapturedLogs } from '../helpers/log-capture.js';

/**
 * Documents built to exhaust the server. Each is refused with a 4xx before execution: no `data`
 * in the answer, and no audit line, though every one asks for adminMessage anonymously and would
 * be denied (and audited) if it ran.
 */
const repeat = (n: number, make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i)).join(' ');
/** `depth` levels of `field { ... }` around `leaf`; `field` may itself open braces, e.g. `a { b`. */
const nest = (depth: number, field: string, leaf: string) => {
  const opened = 1 + (field.match(/\{/g)?.length ?? 0);
  return `${`${field} { `.repeat(depth)}${leaf}${' }'.repeat(depth * opened)}`;
};

/** A few hundred bytes that list every type's fields and arguments: what an amplification attack repeats. */
const TYPE_DUMP = 'fragment T on __Type { name description fields { name description args { name description type { name } } type { name kind ofType { name kind } } } }';
const FULL_INTROSPECTION = getIntrospectionQuery({ descriptions: true, directiveIsRepeatable: true });

/** What each document is refused for, so a refusal for another reason (a typo here) fails the test. */
const abusive: Record<string, [query: string, reason: RegExp]> = {
  [`more than ${QueryLimits.aliases} aliases`]: [
    `{ adminMessage { text } ${repeat(QueryLimits.aliases + 1, (i) => `a${i}: publicMessage { text }`)} }`,
    /Aliases limit/i,
  ],
  'a 5,000-alias flood': [`{ adminMessage { text } ${repeat(5_000, (i) => `a${i}:__typename`)} }`, /Document contains more th(?:at|an) \d+ tokens/],
  [`more than ${QueryLimits.tokens} tokens`]: [
    `{ adminMessage { text } publicMessage { ${repeat(QueryLimits.tokens, () => 'text')} } }`,
    /Document contains more th(?:at|an) \d+ tokens/,
  ],
  [`more than ${QueryLimits.directives} directives`]: [
    `{ adminMessage { text } publicMessage { ${repeat(QueryLimits.directives + 1, () => 'text @include(if: true)')} } }`,
    /Directives limit/i,
  ],
  'deep introspection nesting': [
    `{ adminMessage { text } __schema { types { ${nest(QueryLimits.depth, 'fields { type', 'name')} } } }`,
    /depth limit/i,
  ],
  'deep ofType nesting': [
    `{ adminMessage { text } __type(name: "Query") { ${nest(QueryLimits.depth + 2, 'ofType', 'name')} } }`,
    /depth limit/i,
  ],
  'a fragment cycle': [
    '{ ...A } fragment A on Query { adminMessage { text } ...B } fragment B on Query { ...A }',
    /Cannot spread fragment "A" within itself/,
  ],
  'ten aliased __schema dumps through fragments': [
    `{ adminMessage { text } ${repeat(10, (i) => `s${i}: __schema { ...S }`)} } fragment S on __Schema { types { ...T } } ${TYPE_DUMP}`,
    /Aliases are not allowed in introspection, found "s0: __schema"/,
  ],
  'aliased type lists inside one __schema': [
    `{ adminMessage { text } __schema { ${repeat(10, (i) => `t${i}: types { ...T }`)} } } ${TYPE_DUMP}`,
    /Aliases are not allowed in introspection, found "t0: types"/,
  ],
  'introspection costlier than the standard query, without an alias': [
    FULL_INTROSPECTION.replace('__schema {', 'adminMessage { text } __type(name: "Query") { ...FullType } __schema {'),
    /Query Cost limit of 100000 exceeded/,
  ],
  'a syntax error': ['{ adminMessage { text } publicMessage {', /Syntax Error: Expected Name/],
  'a fragment that spreads itself': [
    '{ ...A } fragment A on Query { adminMessage { text } ...A }',
    /Cannot spread fragment "A" within itself/,
  ],
};

describe('abusive GraphQL', () => {
  let h: Harness;
  let logs: CapturedLogs;
  before(async () => {
    ({ h, logs } = await startLoggedHarness());
  });
  after(() => h.close());

  for (const [name, [query, reason]] of Object.entries(abusive)) {
    it(`refuses ${name} with a fast 400 and executes nothing`, async () => {
      const started = Date.now();
      const { status, body } = await h.graphql(query);
      assert.equal(status, 400, JSON.stringify(body).slice(0, 300));
      assert.ok(!('data' in body), 'nothing may execute');
      assert.match(body.errors?.map((e) => e.message).join('\n') ?? '', reason);
      assert.ok(Date.now() - started < 5_000);
      assert.deepEqual(logs.lines.filter((line) => line['audit']), []);
    });
  }

  it('still serves the largest legitimate document, the full introspection query', async () => {
    const { status, body } = await h.graphql(FULL_INTROSPECTION);
    assert.equal(status, 200);
    assert.ok(body.data?.['__schema']);
  });

  it('still serves a query at the alias limit', async () => {
    const { status } = await h.graphql(`{ ${repeat(QueryLimits.aliases, (i) => `a${i}: publicMessage { text }`)} }`);
    assert.equal(status, 200);
  });

  it('refuses a batched array of operations', async () => {
    const response = await fetch(`${h.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ adminMessage { text } }' }, { query: '{ publicMessage { text } }' }]),
    });
    assert.equal(response.status, 400);
    assert.ok(!('data' in ((await response.json()) as object)));
  });

  describe('CSRF prevention', () => {
    it('refuses a text/plain POST, which a cross-site form could send without preflight', async () => {
      const response = await fetch(`${h.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ query: '{ publicMessage { text } }' }),
      });
      assert.equal(response.status, 400);
      assert.match(await response.text(), /CSRF/);
    });

    it('refuses a plain GET query', async () => {
      const response = await fetch(`${h.url}/graphql?query=${encodeURIComponent('{ publicMessage { text } }')}`);
      assert.equal(response.status, 400);
      assert.match(await response.text(), /CSRF/);
    });

    it('serves the same GET once it carries a header that forces a preflight', async () => {
      const response = await fetch(`${h.url}/graphql?query=${encodeURIComponent('{ publicMessage { text } }')}`, {
        headers: { 'apollo-require-preflight': 'true' },
      });
      assert.equal(response.status, 200);
    });
  });

  it('suggests field names outside production, the counterpart of the production test that hides them', async () => {
    const { body } = await h.graphql('{ adminMesage { text } }');
    assert.match(JSON.stringify(body), /Did you mean/);
  });
});

describe('an internal error', () => {
  it('reaches the client as "Internal Server Error" without its message or a stack trace, and the log with both', async () => {
    const schema = buildSchema();
    schema.getQueryType()!.getFields()['publicMessage']!.resolve = () => {
      throw new Error('connect ECONNREFUSED db.internal:5432 password=hunter2');
    };
    const { h, logs } = await startLoggedHarness({}, { schema });
    try {
      const { status, headers, body } = await h.graphql('{ publicMessage { text } }');
      assert.equal(status, 200);
      assert.deepEqual(body.errors?.map((e) => [e.message, e.extensions?.['code']]), [['Internal Server Error', 'INTERNAL_SERVER_ERROR']]);
      assert.doesNotMatch(JSON.stringify(body), /hunter2|ECONNREFUSED|stacktrace|\.ts:\d+/);

      const logged = logs.lines.find((line) => line['msg'] === 'resolver failed');
      assert.match(JSON.stringify(logged), /hunter2/);
      assert.equal(logged?.['reqId'], headers.get('x-request-id'));
    } finally {
      await h.close();
    }
  });
});
