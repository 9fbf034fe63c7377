import {
  getNamedType,
  isAbstractType,
  isObjectType,
  Kind,
  parse,
  validate,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import type { JWTPayload } from 'jose';
import { principalFrom } from '../auth/principal.js';
import type { PermissionsClaim } from '../config.js';
import { AccessDeniedError } from '../errors.js';
import { accessRuleOf } from './access-rule.js';
import { requireAuthentication } from './auth.js';
import type { Guard } from './guard-fields.js';
import { requirePermissions } from './has-permission.js';

/** One selected field that would be denied, and why. */
export interface Explanation {
  /** Where it would be in the response, aliases included, e.g. `reports.owner`. */
  path: string;
  /** The field whose rule denies it, `Type.field`; through an interface or union, the concrete type. */
  field: string;
  code: AccessDeniedError['code'];
  required: readonly string[];
  missing: readonly string[];
}

export interface ExplainOptions {
  /** A schema with the access directives, such as `buildSchema()`. */
  schema: GraphQLSchema;
  /** The claim that grants permissions, as configured by `PERMISSIONS_CLAIM`. */
  permissionsClaim?: PermissionsClaim;
}

/**
 * Tells which selected fields a token with `claims` (null: no token) would be denied, without
 * executing anything. Each field is judged by the same guards the resolvers run. A field selected
 * on an interface or union is judged once for each concrete type it could be; below a denied
 * field nothing is judged, as nothing there would run. `@skip` and `@include` are not evaluated:
 * every selection counts, so the answer errs towards reporting a denial.
 */
export function explain(document: DocumentNode | string, claims: JWTPayload | null, { schema, permissionsClaim }: ExplainOptions): Explanation[] {
  const ast = typeof document === 'string' ? parse(document) : document;
  const [invalid] = validate(schema, ast);
  if (invalid) throw invalid;
  const context = { principal: claims ? principalFrom(claims, permissionsClaim) : null };
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of ast.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const guards = new Map<string, Guard | undefined>();
  const denials = new Map<string, Explanation>();

  function guardOf(type: GraphQLObjectType, fieldName: string): Guard | undefined {
    const coordinate = `${type.name}.${fieldName}`;
    if (!guards.has(coordinate)) {
      const rule = accessRuleOf(schema, type.name, fieldName);
      const guard =
        rule.access === 'permissions' ? requirePermissions(rule.permissions, coordinate)
        : rule.access === 'authenticated' ? requireAuthentication(coordinate)
        : undefined;
      guards.set(coordinate, guard);
    }
    return guards.get(coordinate);
  }

  function appliesTo(type: GraphQLObjectType, condition: string | undefined): boolean {
    if (condition === undefined) return true;
    const conditionType = schema.getType(condition);
    return conditionType === type || (isAbstractType(conditionType) && schema.isSubType(conditionType, type));
  }

  function visit(type: GraphQLObjectType, selectionSet: SelectionSetNode, path: readonly string[]): void {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (appliesTo(type, selection.typeCondition?.name.value)) visit(type, selection.selectionSet, path);
      } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value)!;
        if (appliesTo(type, fragment.typeCondition.name.value)) visit(type, fragment.selectionSet, path);
      } else if (!selection.name.value.startsWith('__')) {
        const fieldPath = [...path, selection.alias?.value ?? selection.name.value];
        const denial = guardOf(type, selection.name.value)?.(context);
        if (denial instanceof AccessDeniedError) {
          const { code, field, required, missing } = denial;
          denials.set(`${fieldPath.join('.')} ${field}`, { path: fieldPath.join('.'), field, code, required, missing });
        } else if (selection.selectionSet) {
          const returned = getNamedType(type.getFields()[selection.name.value]!.type) as GraphQLCompositeType;
          walk(returned, selection.selectionSet, fieldPath);
        }
      }
    }
  }

  function walk(type: GraphQLCompositeType, selectionSet: SelectionSetNode, path: readonly string[]): void {
    for (const concrete of isObjectType(type) ? [type] : schema.getPossibleTypes(type)) visit(concrete, selectionSet, path);
  }

  for (const definition of ast.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    walk(schema.getRootType(definition.operation)!, definition.selectionSet, []);
  }
  return [...denials.values()];
}
