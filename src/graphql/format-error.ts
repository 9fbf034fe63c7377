import type { GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { requestLogger } from '../http/request-logging.js';

/**
 * Masks errors nobody threw on purpose (Apollo gives them INTERNAL_SERVER_ERROR): their messages
 * can carry internals or data, so the client gets a fixed text and the log gets the real error.
 * Deliberate errors (auth, validation, bad input) pass unchanged.
 */
export function createFormatError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    if (formatted.extensions?.['code'] !== 'INTERNAL_SERVER_ERROR') return formatted;
    requestLogger(logger).error({ err: error }, 'resolver failed');
    return { ...formatted, message: 'Internal server error' };
  };
}
