import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { RequestContext } from '../../src/auth/context.js';
import { buildSchema } from '../../src/graphql/schema.js';
import type { Caller } from '../../src/limits/caller-identity.js';
import { graphqlCharging, holdCharge, type RequestCharge } from '../../src/limits/graphql-charging.js';
import { policyOf } from '../../src/limits/rate-limit-answers.js';
import { captureLogs } from '../helpers/log-capture.js';

const schema = buildSchema();
const caller: Caller = { policy: policyOf('anonymous', { points: 10, windowS: 60 }), key: '198.51.100.1' };

/** `settle` as the test decides it: allow, refuse with an answer, or fail. */
type Outcome = 'allow' | 'refuse' | 'fail';

/**
 * Runs `query` through Apollo with the plugin, the charge held on the context or not, and tells
 * which points `settle` was asked for and what the client got.
 */
async function charged(query: string, outcome: Outcome, { held = true, paid = false, logs = captureLogs() } = {}) {
  const settled: number[] = [];
  const charge: RequestCharge = { res: undefined, caller, paid };
  const plugin = graphqlCharging({
    pointsOf: (operation) => (operation ? 7 : 99),
    async settle(held, points) {
      assert.equal(held, charge);
      settled.push(points);
      if (outcome === 'fail') throw new Error('the counter broke');
      if (outcome === 'refuse') {
        const headers = new HeaderMap([['retry-after', '42']]);
        throw new GraphQLError('Too Many Requests', { extensions: { code: 'RATE_LIMITED', http: { status: 429, headers } } });
      }
    },
  });
  const apollo = new ApolloServer<RequestContext>({ schema, plugins: [plugin], logger: logs.logger });
  await apollo.start();
  try {
    const contextValue: RequestContext = { principal: null, log: captureLogs().logger };
    if (held) holdCharge(contextValue, charge);
    const response = await apollo.executeOperation({ query }, { contextValue });
    const body = response.body.kind === 'single' ? JSON.parse(JSON.stringify(response.body.singleResult)) : undefined;
    return { settled, status: response.http.status, retryAfter: response.http.headers.get('retry-after'), body };
  } finally {
    await apollo.stop();
  }
}

const REFUSED = { errors: [{ message: 'Too Many Requests', extensions: { code: 'RATE_LIMITED' } }] };

describe('graphqlCharging', () => {
  it('charges a valid operation its points once, before it executes', async () => {
    const answer = await charged('{ publicMessage { text } }', 'allow');
    assert.deepEqual([answer.settled, answer.status], [[7], undefined]);
    assert.deepEqual(answer.body, { data: { publicMessage: { text: 'This is a public message.' } } });
  });

  it('answers a refused operation in its place, with the refusal status, headers and error, and no data', async () => {
    const answer = await charged('{ publicMessage { text } }', 'refuse');
    assert.deepEqual([answer.settled, answer.status, answer.retryAfter, answer.body], [[7], 429, '42', REFUSED]);
  });

  it('leaves an operation refused before execution to the route, which charges it as its answer leaves', async () => {
    const answer = await charged('{ nope }', 'refuse');
    assert.deepEqual([answer.settled, answer.status], [[], 400]);
    assert.match(JSON.stringify(answer.body), /Cannot query field/);
    assert.deepEqual((await charged('{', 'refuse')).settled, []);
  });

  it('charges nothing for a request that has paid already', async () => {
    const answer = await charged('{ publicMessage { text } }', 'refuse', { paid: true });
    assert.deepEqual([answer.settled, answer.status], [[], undefined]);
  });

  it('charges nothing for a request whose caller no quota applies to', async () => {
    const answer = await charged('{ publicMessage { text } }', 'refuse', { held: false });
    assert.deepEqual([answer.settled, answer.status], [[], undefined]);
  });

  it('lets a failure that is no refusal through, rather than answering as if refused', async () => {
    const logs = captureLogs();
    await assert.rejects(charged('{ publicMessage { text } }', 'fail', { logs }), /Internal server error/);
    assert.match(logs.raw(), /Unexpected error processing request: Error: the counter broke/);
  });
});
