import { AccessDeniedError, ErrorCode } from '../errors.js';
import { NO_TELEMETRY, type PolicyResult, type Telemetry } from '../observability/hooks.js';
import { POLICY_TIMEOUT_MS, type Policy, type PolicyInput } from '../policies.js';

const TIMED_OUT = Symbol('timed out');

/**
 * Runs a field's policies one after another and denies at the first that does not allow. A policy
 * that throws, answers anything but `true`, or runs past `POLICY_TIMEOUT_MS` denies (fail closed),
 * and the failure is logged: a broken policy must cost the field, never the request. Each
 * evaluation is counted by its result, and traced.
 */
export async function runPolicies(
  field: string,
  named: ReadonlyArray<readonly [string, Policy]>,
  input: PolicyInput,
  telemetry: Telemetry = NO_TELEMETRY,
): Promise<AccessDeniedError | undefined> {
  for (const [name, policy] of named) {
    const result = await telemetry.span('authz.policy', input.context.trace, () => decide(name, policy, input), name);
    telemetry.policyEvaluation(name, result);
    if (result !== 'allow') {
      const code = input.principal ? ErrorCode.FORBIDDEN : ErrorCode.UNAUTHENTICATED;
      return new AccessDeniedError(code, field, [`policy:${name}`], [`policy:${name}`]);
    }
  }
  return undefined;
}

async function decide(name: string, policy: Policy, input: PolicyInput): Promise<PolicyResult> {
  try {
    const answer: unknown = policy(input);
    // A synchronous answer cannot run late, so only a thenable races the timeout (and sets a
    // timer): any thenable, as query builders such as Knex's are thenables but not promises.
    const settled = isThenable(answer) ? await withinTimeout(name, answer, input) : answer;
    if (settled === TIMED_OUT) return 'timeout';
    return settled === true ? 'allow' : 'deny';
  } catch (error) {
    input.context.log.error({ err: error, policy: name }, 'policy failed; denied');
    return 'error';
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

async function withinTimeout(name: string, answer: PromiseLike<unknown>, input: PolicyInput): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(resolve, POLICY_TIMEOUT_MS, TIMED_OUT);
  });
  try {
    const settled = await Promise.race([answer, timeout]);
    if (settled === TIMED_OUT) input.context.log.error({ policy: name, timeoutMs: POLICY_TIMEOUT_MS }, 'policy timed out; denied');
    return settled;
  } finally {
    clearTimeout(timer);
  }
}
