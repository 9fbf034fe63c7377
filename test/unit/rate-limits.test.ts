import assert from 'node:assert/strict';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ApolloServer, type HTTPGraphQLHead } from '@apollo/server';
import { GraphQLError, parse, validate, type OperationDefinitionNode } from 'graphql';
import { createContextBuilder, type AuthRequest, type ContextBuilder } from '../../src/auth/context.js';
import { loadConfig } from '../../src/config.js';
import { queryLimits } from '../../src/graphql/query-limits.js';
import { buildSchema } from '../../src/graphql/schema.js';
import { createRateLimits, type RateLimits } from '../../src/limits/rate-limits.js';
import { captureLogs } from '../helpers/log-capture.js';
import { startClockedVerifier, type ClockedVerifier } from '../helpers/verifier-clock.js';

const schema = buildSchema();
const limits = queryLimits();
const CHEAP = '{ publicMessage { text } }';
const EXPENSIVE = '{ a: publicMessage { text } b: protectedMessage { text } c: adminMessage { text } d: publicMessage { text } }';

/** A request as node hands it over: the peer address proxy-addr reads, and what the context builder reads. */
function request(peer: string, authorization?: string): IncomingMessage & AuthRequest {
  const headers = authorization === undefined ? {} : { authorization };
  const req = new IncomingMessage(Object.defineProperty(new Socket(), 'remoteAddress', { value: peer }));
  return Object.assign(req, { method: 'POST', url: '/graphql', headers, rawHeaders: Object.entries(headers).flat(), log: captureLogs().logger });
}

/** Passes `req` through the wrapped route, as app.ts does, and hands back its response. */
function routed(rateLimits: RateLimits, req: IncomingMessage): ServerResponse {
  const res = new ServerResponse(req);
  let seen: unknown[] | undefined;
  rateLimits.route((...args: [IncomingMessage, ServerResponse, string]) => void (seen = args))(req, res, 'next');
  assert.deepEqual(seen, [req, res, 'next']);
  return res;
}

function refusal(error: unknown): [unknown, number | undefined, string | undefined] {
  assert.ok(error instanceof GraphQLError, String(error));
  const http = error.extensions['http'] as HTTPGraphQLHead;
  return [error.extensions['code'], http.status, http.headers.get('retry-after')];
}

let verifier: ClockedVerifier;
let buildContext: ContextBuilder;
before(async () => {
  verifier = await startClockedVerifier();
  buildContext = createContextBuilder(verifier.verifier);
});
after(() => verifier.close());

async function rateLimitsWith(env: Record<string, string>) {
  const logs = captureLogs();
  const limited: string[] = [];
  const hooks = { rateLimited: (name: string) => void limited.push(name), rateLimitStoreFailure: () => undefined };
  const rateLimits = await createRateLimits({ config: loadConfig(env), logger: logs.logger, schema, queryLimits: limits, hooks });
  return { rateLimits, limited, logs };
}

describe('createRateLimits', () => {
  it('changes nothing when no quota is set', async () => {
    const { rateLimits } = await rateLimitsWith({});
    const route = () => undefined;
    assert.equal(rateLimits.route(route), route);
    assert.equal(rateLimits.restContext(buildContext), buildContext);
    assert.equal(rateLimits.graphqlContext(buildContext), buildContext);
    assert.deepEqual([rateLimits.plugins, rateLimits.chargeSubscription, rateLimits.chargeUnpaid(request('198.51.100.1'))], [[], undefined, undefined]);
    await rateLimits.close();
  });

  it('REST: charges 1 point per request, writes the headers, then refuses with 429', async () => {
    const { rateLimits, limited } = await rateLimitsWith({ RATE_LIMIT_ANONYMOUS: '2/60' });
    const rest = rateLimits.restContext(buildContext);
    for (const left of [1, 0]) {
      const req = request('198.51.100.7');
      const res = routed(rateLimits, req);
      assert.equal((await rest(req)).principal, null);
      assert.equal(res.getHeader('ratelimit-policy'), '"anonymous";q=2;w=60');
      assert.equal(res.getHeader('ratelimit'), `"anonymous";r=${left};t=60`);
    }
    const res = routed(rateLimits, request('198.51.100.7'));
    await assert.rejects(rest(request('198.51.100.7')), (error) => refusal(error)[1] === 429);
    assert.equal(res.getHeader('ratelimit'), undefined, 'a request that did not pass the route has no response to write on');
    assert.deepEqual(limited, ['anonymous']);
    assert.ok(await rest(request('198.51.100.8')), 'another address has its own quota');
    await rateLimits.close();
  });

  it('charges a token holder under the authenticated quota, wherever it calls from', async () => {
    const { rateLimits, limited } = await rateLimitsWith({ RATE_LIMIT: '1/60' });
    const rest = rateLimits.restContext(buildContext);
    const token = await verifier.token();
    assert.equal((await rest(request('198.51.100.1', `Bearer ${token}`))).principal?.subject, 'auth0|one');
    await assert.rejects(rest(request('198.51.100.2', `Bearer ${token}`)), (error) => refusal(error)[0] === 'RATE_LIMITED');
    assert.deepEqual(limited, ['authenticated']);
    assert.equal((await rest(request('198.51.100.2'))).principal, null, 'no anonymous quota: anonymous requests are not counted');
  });

  it('charges failing credentials 1 point to their address, so bad tokens cannot skip the anonymous quota', async () => {
    const { rateLimits } = await rateLimitsWith({ RATE_LIMIT_ANONYMOUS: '1/60' });
    const rest = rateLimits.restContext(buildContext);
    const req = request('198.51.100.3', 'Bearer not-a-token');
    const res = routed(rateLimits, req);
    await assert.rejects(rest(req), (error) => refusal(error)[1] === 401);
    assert.equal(res.getHeader('ratelimit'), '"anonymous";r=0;t=60');
    await assert.rejects(rest(request('198.51.100.3', 'Bearer not-a-token')), (error) => refusal(error)[1] === 429);
    await assert.rejects(rest(request('198.51.100.3')), (error) => refusal(error)[1] === 429);
  });

  it('charges nothing for failing credentials without an anonymous quota, nor for an error that is no refusal', async () => {
    const { rateLimits } = await rateLimitsWith({ RATE_LIMIT: '1/60', RATE_LIMIT_ANONYMOUS: '1/60' });
    const broken = rateLimits.restContext(async () => {
      throw new Error('the context builder broke');
    });
    await assert.rejects(broken(request('198.51.100.4')), /the context builder broke/);
    assert.ok(await rateLimits.restContext(buildContext)(request('198.51.100.4')), 'the address was not charged');
    const authenticatedOnly = (await rateLimitsWith({ RATE_LIMIT: '1/60' })).rateLimits.restContext(buildContext);
    for (let i = 0; i < 2; i++) await assert.rejects(authenticatedOnly(request('198.51.100.4', 'Bearer x')), (error) => refusal(error)[1] === 401);
  });

  it('GraphQL: charges an operation its cost in points as it executes, and a refused one 1 point', async () => {
    const { rateLimits } = await rateLimitsWith({ RATE_LIMIT_ANONYMOUS: '6/60' });
    const apollo = new ApolloServer({ schema, validationRules: limits.validationRules, plugins: [...limits.plugins, ...rateLimits.plugins] });
    await apollo.start();
    const context = rateLimits.graphqlContext(buildContext);
    const run = async (query: string) => {
      const req = request('198.51.100.5');
      const res = routed(rateLimits, req);
      const response = await apollo.executeOperation({ query }, { contextValue: await context(req) });
      // What the route does before it answers: a request not charged yet pays 1.
      const refusal = await rateLimits.chargeUnpaid(req);
      assert.equal(rateLimits.chargeUnpaid(req), undefined, 'once only');
      return [refusal ? refusal.extensions['http'] && (refusal.extensions['http'] as HTTPGraphQLHead).status : response.http.status, res.getHeader('ratelimit')];
    };
    try {
      assert.deepEqual(await run(CHEAP), [undefined, '"anonymous";r=5;t=60']);
      assert.deepEqual(await run(EXPENSIVE), [undefined, '"anonymous";r=1;t=60']);
      assert.deepEqual(await run('{ nope }'), [400, '"anonymous";r=0;t=60']);
      assert.deepEqual(await run('{'), [429, '"anonymous";r=0;t=60']);
      assert.deepEqual(await run(CHEAP), [429, '"anonymous";r=0;t=60']);
    } finally {
      await apollo.stop();
    }
  });

  it('GraphQL: charges nothing for a caller no quota applies to', async () => {
    const { rateLimits } = await rateLimitsWith({ RATE_LIMIT: '1/60' });
    const apollo = new ApolloServer({ schema, validationRules: limits.validationRules, plugins: [...limits.plugins, ...rateLimits.plugins] });
    await apollo.start();
    try {
      for (let i = 0; i < 2; i++) {
        const req = request('198.51.100.5');
        const res = routed(rateLimits, req);
        const response = await apollo.executeOperation({ query: CHEAP }, { contextValue: await rateLimits.graphqlContext(buildContext)(req) });
        assert.deepEqual([response.http.status, res.getHeader('ratelimit')], [undefined, undefined]);
      }
    } finally {
      await apollo.stop();
    }
  });

  it('charges a refusal once, to the address, when no caller is known yet, and never a caller no quota applies to', async () => {
    const { rateLimits } = await rateLimitsWith({ RATE_LIMIT: '5/60', RATE_LIMIT_ANONYMOUS: '1/60' });
    const refusedEarly = request('198.51.100.10', `Bearer ${await verifier.token()}`);
    const res = routed(rateLimits, refusedEarly);
    assert.equal(await rateLimits.chargeUnpaid(refusedEarly), undefined);
    assert.equal(res.getHeader('ratelimit'), '"anonymous";r=0;t=60', 'the address paid, not the token');
    assert.equal(rateLimits.chargeUnpaid(refusedEarly), undefined);
    const again = request('198.51.100.10');
    routed(rateLimits, again);
    assert.equal(refusal(await rateLimits.chargeUnpaid(again))[1], 429);
    const badToken = request('198.51.100.11', 'Bearer x');
    routed(rateLimits, badToken);
    await assert.rejects(rateLimits.graphqlContext(buildContext)(badToken), (error) => refusal(error)[1] === 401);
    assert.equal(rateLimits.chargeUnpaid(badToken), undefined, 'failing credentials paid already');
    const authenticatedOnly = (await rateLimitsWith({ RATE_LIMIT: '1/60' })).rateLimits;
    const anonymous = request('198.51.100.12');
    routed(authenticatedOnly, anonymous);
    await authenticatedOnly.graphqlContext(buildContext)(anonymous);
    assert.equal(authenticatedOnly.chargeUnpaid(anonymous), undefined);
    const unknown = request('198.51.100.12');
    routed(authenticatedOnly, unknown);
    assert.equal(await authenticatedOnly.chargeUnpaid(unknown), undefined, 'no anonymous quota to charge');
  });

  it('subscriptions: charged their cost as they start; the refusal is returned, not thrown', async () => {
    const { rateLimits } = await rateLimitsWith({ RATE_LIMIT: '5/60' });
    const charge = rateLimits.chargeSubscription!;
    // Validated as the WebSocket server does, which is when the cost is estimated.
    const document = parse(EXPENSIVE);
    assert.deepEqual(validate(schema, document, limits.validationRules), []);
    const operation = document.definitions[0] as OperationDefinitionNode;
    const anonymous = await buildContext(request('198.51.100.6'));
    assert.equal(await charge(anonymous, request('198.51.100.6'), operation), undefined, 'no anonymous quota');
    const holder = await buildContext(request('198.51.100.6', `Bearer ${await verifier.token({ sub: 'auth0|subscriber' })}`));
    assert.equal(await charge(holder, request('198.51.100.6'), undefined), undefined, 'an unknown operation costs 1');
    assert.equal(await charge(holder, request('198.51.100.6'), operation), undefined, '4 points: 0 left');
    assert.deepEqual(refusal(await charge(holder, request('198.51.100.6'), undefined)), ['RATE_LIMITED', 429, '60']);
  });
});
