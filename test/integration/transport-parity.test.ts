import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ADMIN, type Harness } from '../helpers/harness.js';
import { startLoggedHarness } from '../helpers/log-capture.js';
import { useHarness } from '../helpers/use-harness.js';
import { firstResult } from '../helpers/websocket.js';

interface Operation {
  query: string;
  variables?: Record<string, unknown>;
}

/** What a client learns from an answer: the data, and each error's message and code. */
type Answer = { data: unknown; errors: Array<[string, unknown]> };

function answerOf(body: { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> }): Answer {
  return { data: body.data ?? null, errors: (body.errors ?? []).map((e) => [e.message, e.extensions?.['code']]) };
}

async function overHttp(h: Harness, operation: Operation, token?: string): Promise<Answer & { status: number }> {
  const response = await fetch(`${h.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(operation),
  });
  return { status: response.status, ...answerOf((await response.json()) as Parameters<typeof answerOf>[0]) };
}

async function overSocket(h: Harness, operation: Operation, token?: string): Promise<Answer> {
  try {
    return answerOf(((await firstResult(h.url, operation, token)) ?? {}) as Parameters<typeof answerOf>[0]);
  } catch (errors) {
    return answerOf({ errors: errors as Array<{ message: string; extensions?: Record<string, unknown> }> });
  }
}

/** Documents an attacker sends to learn the schema or the server's internals. */
const HOSTILE: Array<[string, Operation]> = [
  ['introspection', { query: '{ __schema { types { name } } }' }],
  ['a single type', { query: '{ __type(name: "Query") { fields { name } } }' }],
  ['a misspelt field', { query: '{ adminMesage { text } }' }],
  ['a misspelt argument type', { query: 'query($x: Strin) { publicMessage { text } }' }],
  ['a mutation the schema lacks', { query: 'mutation { x }' }],
  ['a syntax error', { query: '{ publicMessage { text }' }],
  ['a variable of the wrong type', { query: 'query($on: Boolean!) { publicMessage { text @include(if: $on) } }', variables: { on: 'yes' } }],
];

describe('in production, HTTP and WebSocket answer hostile documents alike', () => {
  const harness = useHarness({ NODE_ENV: 'production', JWKS_TIMEOUT_MS: '5000' });

  for (const [name, operation] of HOSTILE) {
    it(name, async () => {
      const h = harness();
      const { status, ...http } = await overHttp(h, operation);
      const socket = await overSocket(h, operation);
      assert.deepEqual(socket, http);
      assert.equal(status, 400);
      assert.equal(http.data, null);
      assert.ok(http.errors.length > 0);
      for (const [message] of http.errors) {
        assert.doesNotMatch(message, /Did you mean|__schema.*types|Apollo/);
      }
    });
  }

  it('refuses introspection on both, with no type named', async () => {
    const h = harness();
    const socket = await overSocket(h, { query: '{ __schema { types { name } } }' });
    assert.equal(socket.data, null);
    assert.ok(socket.errors.length > 0);
    assert.ok(socket.errors.every(([, code]) => code === 'GRAPHQL_VALIDATION_FAILED'));
  });
});

describe('reject mode, when its analysis fails', () => {
  const CONDITIONAL = 'query($on: Boolean = true) { publicMessage { text } protectedMessage { text @include(if: $on) } adminMessage { text } }';

  it('refuses the operation with 400 BAD_USER_INPUT on both transports, logged at info without the values', async () => {
    const { h, logs } = await startLoggedHarness({ AUTHZ_UNAUTHORIZED_MODE: 'reject', JWKS_TIMEOUT_MS: '5000' });
    try {
      const token = await h.token({ permissions: [ADMIN] });
      const operation = { query: CONDITIONAL, variables: { on: null } };
      const { status, ...http } = await overHttp(h, operation, token);
      const socket = await overSocket(h, operation, token);
      assert.equal(status, 400);
      assert.equal(http.data, null);
      assert.deepEqual(http.errors.map(([, code]) => code), ['BAD_USER_INPUT']);
      assert.deepEqual(socket, http);
      assert.deepEqual(logs.lines.filter((line) => (line['level'] as number) >= 50), []);
      const refusals = logs.lines.filter((line) => line['msg'] === 'operation refused: invalid values');
      assert.deepEqual(refusals.map((line) => line['level']), [30, 30]);
    } finally {
      await h.close();
    }
  });
});
