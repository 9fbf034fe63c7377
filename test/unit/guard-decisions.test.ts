import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Source } from 'graphql';
import type { RequestContext } from '../../src/auth/context.js';
import { accessRuleOf, type AccessRule } from '../../src/directives/access-rule.js';
import { decideStatically } from '../../src/directives/decide.js';
import { runPolicies } from '../../src/directives/policy-check.js';
import { ErrorCode } from '../../src/errors.js';
import { buildSchema, readSchemaSource } from '../../src/graphql/schema.js';
import { POLICY_TIMEOUT_MS, type Policy } from '../../src/policies.js';
import { principal } from '../helpers/run-schema.js';

/** The project's schema with `Query.messageCount`'s alternatives replaced by `scopes`. */
function withMessageCountScopes(scopes: string): AccessRule {
  const source = readSchemaSource();
  const from = 'messageCount: Int @requiresScopes(scopes: [["read:admin-messages"], ["read:admin-stats"]])';
  assert.ok(source.body.includes(from), 'schema.graphql no longer declares messageCount as expected');
  const edited = new Source(source.body.replace(from, `messageCount: Int @requiresScopes(scopes: ${scopes})`), source.name);
  return accessRuleOf(buildSchema(edited), 'Query', 'messageCount');
}

const A = 'read:admin-messages';
const S = 'read:admin-stats';

describe('the alternatives of an any-of rule', () => {
  it('keeps one copy of an alternative given twice, in any order', () => {
    assert.deepEqual(withMessageCountScopes(`[["${A}", "${S}"], ["${S}", "${A}"]]`).anyOf, [[A, S]]);
  });

  it('drops an alternative that a smaller one already grants', () => {
    assert.deepEqual(withMessageCountScopes(`[["${A}", "${S}"], ["${A}"]]`).anyOf, [[A]]);
  });

  it('keeps alternatives that merely overlap', () => {
    assert.deepEqual(withMessageCountScopes(`[["${A}"], ["${S}"]]`).anyOf, [[A], [S]]);
  });

  it('names a type rule by the type alone', () => {
    assert.equal(accessRuleOf(buildSchema(), 'AdminStats').field, 'AdminStats');
  });
});

describe('a static decision', () => {
  const rule = withMessageCountScopes(`[["${A}"], ["${S}", "${A}"]]`);
  const twoWays = withMessageCountScopes(`[["${A}"], ["${S}"]]`);

  it('tells an anonymous caller everything the rule could need', () => {
    const denial = decideStatically(twoWays, null);
    assert.deepEqual([denial?.code, denial?.required, denial?.missing], [ErrorCode.UNAUTHENTICATED, [A, S], [A, S]]);
  });

  it('tells a caller what each failed alternative lacks, once', () => {
    const denial = decideStatically(twoWays, principal('read:messages'));
    assert.deepEqual([denial?.code, denial?.missing], [ErrorCode.FORBIDDEN, [A, S]]);
  });

  it('allows a caller who holds one alternative whole', () => {
    assert.equal(decideStatically(rule, principal(A)), undefined);
  });
});

describe('policies', () => {
  function logged() {
    const lines: Array<[Record<string, unknown>, string]> = [];
    const log = { error: (fields: Record<string, unknown>, message: string) => lines.push([fields, message]) };
    return { lines, context: { principal: null, log } as unknown as RequestContext };
  }
  const input = (context: RequestContext) => ({ principal: principal(), parent: {}, args: {}, context });

  it('names the policy that denied, as required and missing', async () => {
    const { context } = logged();
    const denial = await runPolicies('Note.body', [['ownerOnly', () => false]], input(context));
    assert.deepEqual([denial?.code, denial?.field, denial?.required, denial?.missing], [ErrorCode.FORBIDDEN, 'Note.body', ['policy:ownerOnly'], ['policy:ownerOnly']]);
  });

  it('logs which policy threw, with its error', async () => {
    const { lines, context } = logged();
    const failure = new Error('database down');
    const throwing: Policy = () => {
      throw failure;
    };
    await runPolicies('Note.body', [['lookup', throwing]], input(context));
    assert.deepEqual(lines, [[{ err: failure, policy: 'lookup' }, 'policy failed; denied']]);
  });

  it('logs which policy timed out, and after how long', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { lines, context } = logged();
    const pending = runPolicies('Note.body', [['slow', () => new Promise<boolean>(() => {})]], input(context));
    await Promise.resolve();
    t.mock.timers.tick(POLICY_TIMEOUT_MS);
    assert.notEqual(await pending, undefined);
    assert.deepEqual(lines, [[{ policy: 'slow', timeoutMs: POLICY_TIMEOUT_MS }, 'policy timed out; denied']]);
  });

  it('races a thenable that is not a native promise against the timeout, as a query builder returns', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { lines, context } = logged();
    const builder = { then() {} } as unknown as PromiseLike<boolean>;
    const pending = runPolicies('Note.body', [['knexLike', () => builder]], input(context));
    await Promise.resolve();
    t.mock.timers.tick(POLICY_TIMEOUT_MS);
    assert.notEqual(await pending, undefined);
    assert.deepEqual(lines, [[{ policy: 'knexLike', timeoutMs: POLICY_TIMEOUT_MS }, 'policy timed out; denied']]);
  });

  it('takes the answer a thenable settles with', async () => {
    const { context } = logged();
    const allows = { then: (resolve: (value: boolean) => void) => resolve(true) } as unknown as PromiseLike<boolean>;
    assert.equal(await runPolicies('Note.body', [['thenable', () => allows]], input(context)), undefined);
  });
});
