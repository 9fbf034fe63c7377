import { MapperKind, mapSchema, pruneSchema } from '@graphql-tools/utils';
import {
  getNamedType,
  GraphQLSchema,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  isUnionType,
  type GraphQLInterfaceType,
  type GraphQLNamedType,
  type GraphQLObjectType,
} from 'graphql';
import type { Principal } from '../auth/principal.js';
import { accessRuleOf } from '../directives/access-rule.js';
import { grants } from '../directives/decide.js';

/**
 * The schema as a caller with `principal` (null: anonymous) could be granted it by the static
 * rules: each object field whose effective rule the token cannot satisfy is left out, and a field
 * guarded only by a policy stays, since the policy decides at run time. What is left stays a valid
 * schema: a type left without fields, or a union without members, goes, and so does every field
 * that returns it; an interface keeps a field only while every implementation left keeps it. The
 * `@knownPermissions` registry on the schema goes too, as it names every permission there is.
 * With no query field left, the query type goes as well, and the view is no schema at all: the
 * caller is refused (`callerViews`).
 */
export function callerSchema(schema: GraphQLSchema, principal: Principal | null): GraphQLSchema {
  const hidden = hiddenCoordinates(schema, principal);
  // Types left empty, and what returns them, are pruned by graphql-tools; `hidden` names them too,
  // because an interface must know which of its implementations are left.
  const view = mapSchema(schema, {
    [MapperKind.COMPOSITE_FIELD]: (field, fieldName, typeName) => (hidden.has(`${typeName}.${fieldName}`) ? null : field),
  });
  return new GraphQLSchema({ ...pruneSchema(view).toConfig(), astNode: undefined, extensionASTNodes: [] });
}

/** `Type` and `Type.field` coordinates to leave out, until leaving them out leaves nothing more empty. */
function hiddenCoordinates(schema: GraphQLSchema, principal: Principal | null): Set<string> {
  const types = Object.values(schema.getTypeMap()).filter((type) => !isIntrospectionType(type));
  const objects = types.filter(isObjectType);
  const interfaces = types.filter(isInterfaceType);
  const unions = types.filter(isUnionType);
  const hidden = new Set<string>();
  for (const type of objects) {
    for (const field of Object.keys(type.getFields())) {
      if (!grants(accessRuleOf(schema, type.name, field), principal)) hidden.add(`${type.name}.${field}`);
    }
  }
  let changed = true;
  const hide = (coordinate: string) => {
    if (hidden.has(coordinate)) return;
    hidden.add(coordinate);
    changed = true;
  };
  const hideEmpty = (type: GraphQLObjectType | GraphQLInterfaceType) => {
    const fields = Object.values(type.getFields());
    for (const field of fields) if (hidden.has(getNamedType(field.type).name)) hide(`${type.name}.${field.name}`);
    if (fields.every((field) => hidden.has(`${type.name}.${field.name}`))) hide(type.name);
  };
  while (changed) {
    changed = false;
    // Objects and unions first, so an interface only looks at the implementations that are left.
    for (const type of objects) hideEmpty(type);
    for (const union of unions) if (union.getTypes().every((member) => hidden.has(member.name))) hide(union.name);
    for (const type of interfaces) {
      const { objects: implementations, interfaces: extending } = schema.getImplementations(type);
      const left = [...implementations, ...extending].filter((implementation: GraphQLNamedType) => !hidden.has(implementation.name));
      for (const field of Object.keys(type.getFields())) {
        if (left.some((implementation) => hidden.has(`${implementation.name}.${field}`))) hide(`${type.name}.${field}`);
      }
      hideEmpty(type);
    }
  }
  return hidden;
}
