import type { GraphQLSchema } from 'graphql';
import { AccessDeniedError, ErrorCode } from '../errors.js';
import { permissionNames } from './access-rule.js';
import { guardFields, type Guard } from './guard-fields.js';

/** A guard that needs every one of `required` (AND), as granted by the token's permissions. */
export function requirePermissions(required: readonly string[], coordinate: string): Guard {
  return ({ principal }) => {
    if (!principal) return new AccessDeniedError(ErrorCode.UNAUTHENTICATED, coordinate, required, required);
    const missing = required.filter((permission) => !principal.permissions.has(permission));
    return missing.length === 0 ? undefined : new AccessDeniedError(ErrorCode.FORBIDDEN, coordinate, required, missing);
  };
}

/**
 * `@hasPermission(name)`: the field needs a token whose permissions include `name`; with several
 * uses (repeated, or inherited from its type and interfaces), every one of them.
 */
export function hasPermissionDirectiveTransformer(schema: GraphQLSchema, directiveName = 'hasPermission'): GraphQLSchema {
  return guardFields(schema, directiveName, (uses, coordinate) =>
    requirePermissions(permissionNames(uses), coordinate),
  );
}
