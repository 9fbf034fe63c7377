import type { GraphQLSchema } from 'graphql';
import { AccessDeniedError, ErrorCode } from '../errors.js';
import { guardFields, type Guard } from './guard-fields.js';

/** `@auth`: the field needs a verified access token, whatever it grants. */
export function requireAuthentication(coordinate: string): Guard {
  return ({ principal }) => (principal ? undefined : new AccessDeniedError(ErrorCode.UNAUTHENTICATED, coordinate));
}

export function authDirectiveTransformer(schema: GraphQLSchema, directiveName = 'auth'): GraphQLSchema {
  return guardFields(schema, directiveName, (_uses, coordinate) => requireAuthentication(coordinate));
}
