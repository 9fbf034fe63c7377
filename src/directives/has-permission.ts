import type { GraphQLSchema } from 'graphql';
import { ErrorCode, fieldDenial } from '../errors.js';
import { guardFields, type Guard } from './guard-fields.js';

/** A guard that needs every one of `required` (AND), as granted by the token's permissions. */
export function requirePermissions(required: readonly string[]): Guard {
  return ({ principal }) => {
    if (!principal) return fieldDenial(ErrorCode.UNAUTHENTICATED);
    for (const permission of required) {
      if (!principal.permissions.has(permission)) return fieldDenial(ErrorCode.FORBIDDEN);
    }
    return undefined;
  };
}

/** `@hasPermission(name)`: the field needs a token whose permissions include `name`. */
export function hasPermissionDirectiveTransformer(schema: GraphQLSchema, directiveName = 'hasPermission'): GraphQLSchema {
  return guardFields(schema, directiveName, (uses) => requirePermissions(uses.map((use) => String(use['name']))));
}
