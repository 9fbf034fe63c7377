import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { AccessDeniedError, ErrorCode, ErrorMessage } from '../errors.js';

export interface FormatErrorOptions {
  /** Outside production: a `FORBIDDEN` error says which permissions were required and which were missing. */
  explainDenials?: boolean;
}

/**
 * Masks errors nobody threw on purpose (Apollo gives them INTERNAL_SERVER_ERROR): their messages
 * can carry internals or data, so the client gets a fixed text (the log gets the real error, from
 * `logging-plugin.ts`). Deliberate errors (auth, validation, bad input) pass unchanged, except that
 * denials may explain themselves during development. In production they do not, as the list of
 * permissions a field needs tells an attacker which token to go after.
 */
export function createFormatError({ explainDenials = false }: FormatErrorOptions = {}) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (explainDenials && original instanceof AccessDeniedError && original.code === ErrorCode.FORBIDDEN) {
      const authorization = { required: [...original.required], missing: [...original.missing] };
      return { ...formatted, extensions: { ...formatted.extensions, authorization } };
    }
    if (formatted.extensions?.['code'] !== ErrorCode.INTERNAL_SERVER_ERROR) return formatted;
    return { ...formatted, message: ErrorMessage.INTERNAL_SERVER_ERROR };
  };
}
