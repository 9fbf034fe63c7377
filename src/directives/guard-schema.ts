import { MapperKind, mapSchema } from '@graphql-tools/utils';
import {
  defaultFieldResolver,
  getNamedType,
  getNullableType,
  isAbstractType,
  isListType,
  type GraphQLFieldResolver,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import type { RequestContext } from '../auth/context.js';
import type { AccessDeniedError } from '../errors.js';
import { NO_TELEMETRY, type Telemetry } from '../observability/hooks.js';
import type { Policy } from '../policies.js';
import { accessRuleOf, type AccessRule } from './access-rule.js';
import { decideStatically, decisionOf, grants } from './decide.js';
import { runPolicies } from './policy-check.js';

type Decision = AccessDeniedError | undefined;

/** Decides one request's access to one field of one object: a denial, or undefined to let it resolve. */
type Guard = (parent: unknown, args: Record<string, unknown>, context: RequestContext) => Decision | Promise<Decision>;

/**
 * The one guard of a field, built once from its effective rule when the schema is built: the
 * token's part is decided synchronously, policies afterwards and only when the token allows.
 * Undefined for a field nothing guards. Each decision is counted where it is made, here.
 */
function guardOf(rule: AccessRule, registry: Readonly<Record<string, Policy>>, telemetry: Telemetry): Guard | undefined {
  if (rule.access === 'public' && rule.policies.length === 0) return undefined;
  const named = rule.policies.map((name) => [name, registry[name]!] as const);
  const count = telemetry.authzDecisions(rule.field);
  const counted = (denial: Decision) => {
    count(decisionOf(denial));
    return denial;
  };
  return (parent, args, context) => {
    const denial = decideStatically(rule, context.principal);
    if (denial || named.length === 0) return counted(denial);
    return runPolicies(rule.field, named, { principal: context.principal, parent, args, context }, telemetry).then(counted);
  };
}

/**
 * Wraps the resolvers of every guarded object field (and `subscribe` on subscription fields, so a
 * denied subscription never starts its source, while `resolve` still guards each event). Guarding
 * resolvers rather than the operation means aliases, fragments, interfaces and unions all pass
 * through the same check.
 *
 * A list of an interface or union also leaves out each object whose own type's rule denies the
 * caller: otherwise its `__typename` alone would tell the caller that such objects exist, and how many.
 */
export function guardSchema(schema: GraphQLSchema, registry: Readonly<Record<string, Policy>>, telemetry: Telemetry = NO_TELEMETRY): GraphQLSchema {
  const subscriptionType = schema.getSubscriptionType()?.name;
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (fieldConfig, fieldName, typeName) => {
      const guard = guardOf(accessRuleOf(schema, typeName, fieldName), registry, telemetry);
      const hide = hiddenItems(schema, fieldConfig.type);
      if (!guard && !hide) return fieldConfig;
      const resolve = fieldConfig.resolve ?? defaultFieldResolver;
      const filtered = hide ? filterResolver(hide, resolve) : resolve;
      const guardsSubscribe = typeName === subscriptionType && guard && fieldConfig.subscribe;
      return {
        ...fieldConfig,
        resolve: guard ? guardResolver(guard, filtered) : filtered,
        subscribe: guardsSubscribe ? guardResolver(guard, fieldConfig.subscribe!) : fieldConfig.subscribe,
      };
    },
  });
}

function guardResolver(guard: Guard, resolve: GraphQLFieldResolver<unknown, RequestContext>): GraphQLFieldResolver<unknown, RequestContext> {
  return (source, args, context, info) => {
    const decision = guard(source, args, context);
    if (decision instanceof Promise) {
      return decision.then((denial) => {
        if (denial) throw denial;
        return resolve(source, args, context, info);
      });
    }
    if (decision) throw decision;
    return resolve(source, args, context, info);
  };
}

type Hide = (item: unknown, context: RequestContext) => boolean;

function filterResolver(hide: Hide, resolve: GraphQLFieldResolver<unknown, RequestContext>): GraphQLFieldResolver<unknown, RequestContext> {
  const keep = (value: unknown, context: RequestContext) => (Array.isArray(value) ? value.filter((item) => !hide(item, context)) : value);
  return (source, args, context, info) => {
    const value: unknown = resolve(source, args, context, info);
    return value instanceof Promise ? value.then((resolved) => keep(resolved, context)) : keep(value, context);
  };
}

/**
 * For a list of an interface or union, a test of whether the caller may not see an item: true when
 * the item's concrete type (its `__typename`, as this API's resolvers set it) has a rule of its own
 * that the token denies. Undefined when no possible type has such a rule.
 */
function hiddenItems(schema: GraphQLSchema, type: GraphQLOutputType): Hide | undefined {
  const named = getNamedType(type);
  if (!isListType(getNullableType(type)) || !isAbstractType(named)) return undefined;
  const original = schema.getType(named.name);
  if (!isAbstractType(original)) return undefined;
  const typeRules = new Map(
    schema
      .getPossibleTypes(original)
      .map((possible) => [possible.name, accessRuleOf(schema, possible.name)] as const)
      .filter(([, rule]) => rule.access !== 'public'),
  );
  if (typeRules.size === 0) return undefined;
  return (item, context) => {
    const rule = typeRules.get((item as { __typename?: string } | null)?.__typename ?? '');
    return rule !== undefined && !grants(rule, context.principal);
  };
}
