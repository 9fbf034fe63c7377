import type { GraphQLSchema } from 'graphql';
import { ErrorCode, fieldDenial } from '../errors.js';
import { guardFields, type Guard } from './guard-fields.js';

/** `@auth`: the field needs a verified access token, whatever it grants. */
export const requireAuthentication: Guard = ({ principal }) =>
  principal ? undefined : fieldDenial(ErrorCode.UNAUTHENTICATED);

export function authDirectiveTransformer(schema: GraphQLSchema, directiveName = 'auth'): GraphQLSchema {
  return guardFields(schema, directiveName, () => requireAuthentication);
}
