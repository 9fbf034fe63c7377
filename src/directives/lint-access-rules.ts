import { getDirective } from '@graphql-tools/utils';
import {
  getLocation,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  Kind,
  type ASTNode,
  type ConstDirectiveNode,
  type GraphQLSchema,
} from 'graphql';
import { AccessDirective, accessRuleOf } from './access-rule.js';

/**
 * A permission name is an RFC 6749 §3.3 scope token: printable ASCII without space, `"` or `\`.
 * Auth0 accepts the same, and such a name means the same in a `permissions` array and a `scope` string.
 */
const PERMISSION_NAME = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** The schema's access rules are wrong; the message lists each problem with the place that has it. */
export class AccessRuleError extends Error {
  override readonly name = 'AccessRuleError';
  constructor(readonly problems: readonly string[]) {
    super(`The schema's access rules are not valid:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
  }
}

export interface LintOptions {
  /** `AUTHZ_DEFAULT=deny`: every root field needs `@auth`, `@hasPermission` or an explicit `@public`. */
  denyByDefault?: boolean;
  /** The names of the registered policies, which `@policy` may name. */
  policies?: readonly string[];
}

/**
 * Checks the access directives before any request is served, so that a mistake stops start-up
 * instead of quietly granting or denying: permission names that are empty, malformed or missing
 * from `@knownPermissions`; a `@public` that would loosen an inherited rule; a `@policy` naming no
 * registered policy; and, in strict mode, root fields that say nothing about access. Returns the
 * warnings: registered policies that no field uses.
 */
export function lintAccessRules(schema: GraphQLSchema, { denyByDefault = false, policies = [] }: LintOptions = {}): string[] {
  const problems: string[] = [];
  const known = knownPermissions(schema, problems);
  const rootTypes = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]);
  const used = new Set<string>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!(isObjectType(type) || isInterfaceType(type)) || isIntrospectionType(type)) continue;
    for (const node of [type.astNode, ...type.extensionASTNodes]) checkPermissionNames(type.name, node?.directives, known, problems);
    for (const field of Object.values(type.getFields())) {
      const at = `${type.name}.${field.name}`;
      checkPermissionNames(at, field.astNode?.directives, known, problems);
      const isPublic = (getDirective(schema, field, AccessDirective.PUBLIC) ?? []).length > 0;
      if (!isObjectType(type)) continue;
      const rule = accessRuleOf(schema, type.name, field.name);
      for (const policy of rule.policies) used.add(policy);
      if (isPublic && (rule.access !== 'public' || rule.policies.length > 0)) {
        problems.push(`${at}${place(field.astNode)}: @public cannot loosen the rule from ${rule.from.join(', ')}`);
      }
      if (denyByDefault && rootTypes.has(type) && !isPublic && rule.access === 'public' && rule.policies.length === 0) {
        problems.push(`${at}${place(field.astNode)}: needs @auth, @hasPermission, @requiresScopes, @policy or @public, since AUTHZ_DEFAULT=deny`);
      }
    }
  }
  for (const name of used) {
    if (!policies.includes(name)) problems.push(`@${AccessDirective.POLICY}(name: "${name}") names no policy registered in src/policies.ts (${policies.join(', ') || 'none'})`);
  }
  if (problems.length > 0) throw new AccessRuleError(problems);
  return policies.filter((name) => !used.has(name)).map((name) => `policy "${name}" is registered in src/policies.ts but no field uses it`);
}

/** The names in `schema @knownPermissions(names: [...])`, or undefined when the schema has none. */
function knownPermissions(schema: GraphQLSchema, problems: string[]): ReadonlySet<string> | undefined {
  const uses = getDirective(schema, schema, AccessDirective.KNOWN_PERMISSIONS);
  if (!uses) return undefined;
  const names = uses.flatMap((use) => use['names'] as string[]);
  const at = `schema @${AccessDirective.KNOWN_PERMISSIONS}${place(schema.astNode)}`;
  for (const [index, name] of names.entries()) {
    if (!PERMISSION_NAME.test(name)) problems.push(`${at}: ${describeName(name)}`);
    if (names.indexOf(name) !== index) problems.push(`${at}: "${name}" is listed twice`);
  }
  return new Set(names);
}

function checkPermissionNames(
  at: string,
  directives: readonly ConstDirectiveNode[] | undefined,
  known: ReadonlySet<string> | undefined,
  problems: string[],
): void {
  for (const directive of directives ?? []) {
    const where = `${at}${place(directive)}`;
    const directiveName = directive.name.value;
    if (directiveName === AccessDirective.HAS_PERMISSION) {
      const value = directive.arguments?.find((arg) => arg.name.value === 'name')?.value;
      const name = value?.kind === Kind.STRING ? value.value : '';
      checkName(where, `@${directiveName}`, `@${directiveName}(name: "${name}")`, name, known, problems);
    } else if (directiveName === AccessDirective.REQUIRES_SCOPES) {
      const value = directive.arguments?.find((arg) => arg.name.value === 'scopes')?.value;
      const alternatives = value?.kind === Kind.LIST ? value.values : [];
      if (alternatives.length === 0) problems.push(`${where}: @${directiveName} needs at least one alternative`);
      for (const alternative of alternatives) {
        const names = alternative.kind === Kind.LIST ? alternative.values : [alternative];
        if (names.length === 0) problems.push(`${where}: @${directiveName} has an empty alternative, which would grant any token`);
        for (const node of names) {
          const name = node.kind === Kind.STRING ? node.value : '';
          checkName(where, `@${directiveName}`, `@${directiveName} "${name}"`, name, known, problems);
        }
      }
    }
  }
}

function checkName(where: string, directive: string, use: string, name: string, known: ReadonlySet<string> | undefined, problems: string[]): void {
  if (!PERMISSION_NAME.test(name)) problems.push(`${where}: ${directive} ${describeName(name)}`);
  else if (!known) problems.push(`${where}: ${use} but the schema declares no @knownPermissions`);
  else if (!known.has(name)) problems.push(`${where}: ${use} is not in @knownPermissions (${[...known].join(', ')})`);
}

function describeName(name: string): string {
  return name === '' ? 'has an empty permission name' : `has a malformed permission name "${name}" (spaces, quotes and backslashes are not allowed)`;
}

/** ` (schema.graphql:12:3)`, when the node came from a source with locations. */
function place(node: ASTNode | null | undefined): string {
  if (!node?.loc) return '';
  const { line, column } = getLocation(node.loc.source, node.loc.start);
  return ` (${node.loc.source.name}:${line}:${column})`;
}
