import { getDirective } from '@graphql-tools/utils';
import { isIntrospectionType, isObjectType, type GraphQLNamedType, type GraphQLObjectType, type GraphQLSchema } from 'graphql';

/** The schema directives that decide access, by the names `schema.graphql` declares them with. */
export const AccessDirective = {
  AUTH: 'auth',
  HAS_PERMISSION: 'hasPermission',
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
  /** Every one of these is needed (AND); empty unless `access` is `permissions`. */
  permissions: string[];
  /** The coordinates whose directives make up the rule; for a public field, those that say `@public`. */
  from: string[];
}

/**
 * Every use of `directiveName` that applies to `typeName.fieldName`: on the object type, on each
 * interface it implements and on that interface's field, then on the field itself. All of them
 * apply together, so an implementation or a field can add to a rule but never take one away, and a
 * concrete type's rule holds however it was reached (directly, through an interface or a union).
 */
export function directiveUses(schema: GraphQLSchema, typeName: string, fieldName: string, directiveName: string): DirectiveUse[] {
  const type = schema.getType(typeName);
  if (!isObjectType(type)) return [];
  const owners = [...type.getInterfaces(), type];
  const places = [
    ...owners.map((owner) => ({ at: owner.name, node: owner })),
    ...owners.flatMap((owner) => {
      const field = owner.getFields()[fieldName];
      return field ? [{ at: `${owner.name}.${fieldName}`, node: field }] : [];
    }),
  ];
  return places.flatMap(({ at, node }) => (getDirective(schema, node, directiveName) ?? []).map((args) => ({ at, args })));
}

/** The permissions named by `@hasPermission` uses, each once, in the order first named. */
export function permissionNames(uses: ReadonlyArray<Record<string, unknown>>): string[] {
  return [...new Set(uses.map((args) => String(args['name'])))];
}

/** The effective rule of `typeName.fieldName`. */
export function accessRuleOf(schema: GraphQLSchema, typeName: string, fieldName: string): AccessRule {
  const auth = directiveUses(schema, typeName, fieldName, AccessDirective.AUTH);
  const permissionUses = directiveUses(schema, typeName, fieldName, AccessDirective.HAS_PERMISSION);
  const permissions = permissionNames(permissionUses.map((use) => use.args));
  const declaredPublic = directiveUses(schema, typeName, fieldName, AccessDirective.PUBLIC);
  const access = permissions.length > 0 ? 'permissions' : auth.length > 0 ? 'authenticated' : 'public';
  const sources = access === 'public' ? declaredPublic : [...auth, ...permissionUses];
  return { field: `${typeName}.${fieldName}`, access, permissions, from: [...new Set(sources.map((use) => use.at))] };
}

/** The effective rule of every field of every object type, in schema order: the access matrix. */
export function accessRules(schema: GraphQLSchema): AccessRule[] {
  return Object.values(schema.getTypeMap())
    .filter((type: GraphQLNamedType): type is GraphQLObjectType => isObjectType(type) && !isIntrospectionType(type))
    .flatMap((type) => Object.keys(type.getFields()).map((field) => accessRuleOf(schema, type.name, field)));
}
