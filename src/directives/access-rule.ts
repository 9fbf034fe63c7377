import { getDirective } from '@graphql-tools/utils';
import { isIntrospectionType, isObjectType, type GraphQLNamedType, type GraphQLObjectType, type GraphQLSchema } from 'graphql';

/** The schema directives that decide access, by the names `schema.graphql` declares them with: their one home. */
export const AccessDirective = {
  AUTH: 'auth',
  HAS_PERMISSION: 'hasPermission',
  REQUIRES_SCOPES: 'requiresScopes',
  POLICY: 'policy',
  PUBLIC: 'public',
  KNOWN_PERMISSIONS: 'knownPermissions',
} as const;

/** One use of a directive that applies to a field, and the schema coordinate that carries it. */
export interface DirectiveUse {
  /** `Type`, `Interface`, `Type.field` or `Interface.field`. */
  at: string;
  args: Record<string, unknown>;
}

/** Who may read one object field, once its type's and interfaces' rules are added to its own. */
export interface AccessRule {
  /** The field, as its schema coordinate `Type.field`. */
  field: string;
  access: 'public' | 'authenticated' | 'permissions';
  /**
   * The permissions as alternatives (OR), each a set that is needed whole (AND); empty unless
   * `access` is `permissions`. `@hasPermission(name: "a")` with `@requiresScopes(scopes: [["b"], ["c"]])`
   * is `[["a", "b"], ["a", "c"]]`.
   */
  anyOf: string[][];
  /** Policies from `src/policies.ts` that must each allow, decided at run time. */
  policies: string[];
  /** The coordinates whose directives make up the rule; for a public field, those that say `@public`. */
  from: string[];
}

/**
 * Every use of `directiveName` that applies to `typeName.fieldName`: on the object type, on each
 * interface it implements and on that interface's field, then on the field itself. All of them
 * apply together, so an implementation or a field can add to a rule but never take one away, and a
 * concrete type's rule holds however it was reached (directly, through an interface or a union).
 * Without `fieldName`, only the type-level uses: the rule every field of the type shares.
 */
function directiveUses(schema: GraphQLSchema, typeName: string, fieldName: string | undefined, directiveName: string): DirectiveUse[] {
  const type = schema.getType(typeName);
  if (!isObjectType(type)) return [];
  const owners = [...type.getInterfaces(), type];
  const places = [
    ...owners.map((owner) => ({ at: owner.name, node: owner })),
    ...owners.flatMap((owner) => {
      const field = fieldName === undefined ? undefined : owner.getFields()[fieldName];
      return field ? [{ at: `${owner.name}.${fieldName}`, node: field }] : [];
    }),
  ];
  return places.flatMap(({ at, node }) => (getDirective(schema, node, directiveName) ?? []).map((args) => ({ at, args })));
}

/**
 * ANDs permission sets into alternatives: every alternative of `left` with every one of `right`.
 * An alternative that needs everything another one needs and more is dropped, as it adds nothing.
 */
function and(left: readonly string[][], right: readonly string[][]): string[][] {
  const product = left.flatMap((a) => right.map((b) => [...new Set([...a, ...b])]));
  const distinct = product.filter((alt, index) => product.findIndex((other) => sameSet(other, alt)) === index);
  return distinct.filter((alt) => !distinct.some((other) => other !== alt && other.length < alt.length && other.every((p) => alt.includes(p))));
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((p) => b.includes(p));
}

/** The rule of `typeName.fieldName`, or with no `fieldName`, the rule of the type itself. */
export function accessRuleOf(schema: GraphQLSchema, typeName: string, fieldName?: string): AccessRule {
  const uses = (name: string) => directiveUses(schema, typeName, fieldName, name);
  const auth = uses(AccessDirective.AUTH);
  const permissionUses = uses(AccessDirective.HAS_PERMISSION);
  const scopeUses = uses(AccessDirective.REQUIRES_SCOPES);
  const policyUses = uses(AccessDirective.POLICY);
  let anyOf: string[][] = [[]];
  for (const { args } of permissionUses) anyOf = and(anyOf, [[String(args['name'])]]);
  for (const { args } of scopeUses) anyOf = and(anyOf, args['scopes'] as string[][]);
  const needsPermissions = permissionUses.length + scopeUses.length > 0;
  const access = needsPermissions ? 'permissions' : auth.length > 0 ? 'authenticated' : 'public';
  const policies = [...new Set(policyUses.map(({ args }) => String(args['name'])))];
  const sources = access === 'public' && policies.length === 0 ? uses(AccessDirective.PUBLIC) : [...auth, ...permissionUses, ...scopeUses, ...policyUses];
  return {
    field: fieldName === undefined ? typeName : `${typeName}.${fieldName}`,
    access,
    anyOf: needsPermissions ? anyOf : [],
    policies,
    from: [...new Set(sources.map((use) => use.at))],
  };
}

/** The effective rule of every field of every object type, in schema order: the access matrix. */
export function accessRules(schema: GraphQLSchema): AccessRule[] {
  return objectTypes(schema).flatMap((type) => Object.keys(type.getFields()).map((field) => accessRuleOf(schema, type.name, field)));
}

function objectTypes(schema: GraphQLSchema): GraphQLObjectType[] {
  return Object.values(schema.getTypeMap()).filter(
    (type: GraphQLNamedType): type is GraphQLObjectType => isObjectType(type) && !isIntrospectionType(type),
  );
}
