import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';

/**
 * The `extensions.code` of every error this API returns on purpose.
 * Clients branch on these; they are part of the contract and never change meaning.
 */
export enum ErrorCode {
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  AUTH_UNAVAILABLE = 'AUTH_UNAVAILABLE',
  BAD_REQUEST = 'BAD_REQUEST',
  /** Values that do not fit the operation (Apollo Server's own code for them). */
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  NOT_FOUND = 'NOT_FOUND',
  METHOD_NOT_ALLOWED = 'METHOD_NOT_ALLOWED',
  PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE',
  /** The caller's rate-limit quota is used up until the window in `Retry-After` ends. */
  RATE_LIMITED = 'RATE_LIMITED',
  /** `RATE_LIMIT_ON_STORE_FAILURE=closed` and the shared counters (Redis) cannot be reached. */
  RATE_LIMIT_UNAVAILABLE = 'RATE_LIMIT_UNAVAILABLE',
  /** A `documentId` or persisted-query hash that the trusted documents do not list (Apollo Router's code). */
  PERSISTED_QUERY_NOT_IN_LIST = 'PERSISTED_QUERY_NOT_IN_LIST',
  /** A free-form query whose text is not one of the trusted documents, in `enforce` mode (Apollo Router's code). */
  QUERY_NOT_IN_SAFELIST = 'QUERY_NOT_IN_SAFELIST',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
}

/** The one mapping from error code to HTTP status, shared by GraphQL, REST and the Express error handler. */
export const httpStatusOf: Readonly<Record<ErrorCode, number>> = {
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.AUTH_UNAVAILABLE]: 503,
  [ErrorCode.BAD_REQUEST]: 400,
  [ErrorCode.BAD_USER_INPUT]: 400,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.METHOD_NOT_ALLOWED]: 405,
  [ErrorCode.PAYLOAD_TOO_LARGE]: 413,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.RATE_LIMIT_UNAVAILABLE]: 503,
  [ErrorCode.PERSISTED_QUERY_NOT_IN_LIST]: 400,
  [ErrorCode.QUERY_NOT_IN_SAFELIST]: 400,
  [ErrorCode.INTERNAL_SERVER_ERROR]: 500,
};

/**
 * Error texts, word for word from the seed API where it has them, because its SPA clients display
 * them. Named apart from the schema's `Message` type, which carries the messages themselves.
 */
export const ErrorMessage = {
  REQUIRES_AUTHENTICATION: 'Requires authentication',
  BAD_CREDENTIALS: 'Bad credentials',
  PERMISSION_DENIED: 'Permission denied',
  UNABLE_TO_VERIFY: 'Unable to verify credentials',
  NOT_FOUND: 'Not Found',
  METHOD_NOT_ALLOWED: 'Method Not Allowed',
  RATE_LIMITED: 'Too Many Requests',
  RATE_LIMIT_UNAVAILABLE: 'Service Unavailable',
  INTERNAL_SERVER_ERROR: 'Internal Server Error',
  PERSISTED_QUERY_NOT_IN_LIST: 'Persisted query not found in the persisted query list',
  QUERY_NOT_IN_SAFELIST: 'The operation body was not found in the persisted query safelist',
} as const;

/**
 * Why authentication failed before any resolver ran; decides status, message and challenge.
 * `bad_request`: credentials sent more than once or in the URL, answered 400 as RFC 6750 §3.1 asks.
 */
export type AuthFailure = 'invalid_token' | 'invalid_request' | 'bad_request' | 'unavailable' | 'invalid_dpop_proof' | 'use_dpop_nonce';

/** How the access token was presented: `Authorization: Bearer` or `Authorization: DPoP` (RFC 9449 §7.1). */
export type AuthScheme = 'bearer' | 'dpop';

/** What the challenges of a failed request say, once DPoP is accepted (RFC 9449 §7.1). */
export interface ChallengeOptions {
  /** The scheme the request used; the challenge of that scheme carries the error. */
  scheme: AuthScheme;
  /** The proof algorithms accepted, advertised in the DPoP challenge's `algs`. */
  dpopAlgorithms: readonly string[];
  /** False under `DPOP_REQUIRED`: no Bearer challenge is offered, and a Bearer request's error goes on the DPoP one. */
  bearerAccepted: boolean;
  /** With `use_dpop_nonce`: the nonce to use, sent as `DPoP-Nonce` (RFC 9449 §9). */
  nonce?: string;
}

/** Each failure's status code, message, and the `error` its challenge carries (RFC 6750 §3.1, RFC 9449 §7.1); no `error`, no challenge. */
const authFailures: Readonly<Record<AuthFailure, { code: ErrorCode; message: string; error?: string }>> = {
  invalid_token: { code: ErrorCode.UNAUTHENTICATED, message: ErrorMessage.BAD_CREDENTIALS, error: 'invalid_token' },
  invalid_request: { code: ErrorCode.UNAUTHENTICATED, message: ErrorMessage.BAD_CREDENTIALS, error: 'invalid_request' },
  bad_request: { code: ErrorCode.BAD_REQUEST, message: ErrorMessage.BAD_CREDENTIALS, error: 'invalid_request' },
  unavailable: { code: ErrorCode.AUTH_UNAVAILABLE, message: ErrorMessage.UNABLE_TO_VERIFY },
  // RFC 9449 §7.1 and §9 answer both with 401, like a bad token: the client fixes its own request.
  invalid_dpop_proof: { code: ErrorCode.UNAUTHENTICATED, message: ErrorMessage.BAD_CREDENTIALS, error: 'invalid_dpop_proof' },
  use_dpop_nonce: { code: ErrorCode.UNAUTHENTICATED, message: ErrorMessage.BAD_CREDENTIALS, error: 'use_dpop_nonce' },
};

/**
 * A request-level authentication error. Apollo Server honours `extensions.http`, so throwing this
 * from the context function rejects the whole request with its status and challenge, and no data.
 */
export function authFailureError(failure: AuthFailure, challengeOptions: ChallengeOptions): GraphQLError {
  const { code, message, error } = authFailures[failure];
  const headers = new HeaderMap();
  if (error) headers.set('www-authenticate', authChallenge(challengeOptions, error));
  if (challengeOptions.nonce !== undefined) headers.set('dpop-nonce', challengeOptions.nonce);
  if (failure === 'unavailable') headers.set('retry-after', '5');
  return new GraphQLError(message, { extensions: { code, http: { status: httpStatusOf[code], headers } } });
}

/** The challenge options under the DPoP settings for a request made with `scheme`; an anonymous one is asked as a Bearer one would be. */
export function challengeOptionsOf(dpop: { algorithms: readonly string[]; required: boolean }, scheme: AuthScheme = 'bearer'): ChallengeOptions {
  return { scheme, dpopAlgorithms: dpop.algorithms, bearerAccepted: !dpop.required };
}

/**
 * The one builder of `WWW-Authenticate` (RFC 6750 §3, RFC 9449 §7.1), for every answer that has
 * one: a Bearer challenge while Bearer is accepted, then a DPoP challenge with its `algs`; the
 * `error`, if any, on the scheme the request used.
 */
export function authChallenge(options: ChallengeOptions, error?: string): string {
  const onBearer = options.scheme === 'bearer' && options.bearerAccepted;
  const errorParam = (here: boolean) => (error && here ? `, error="${error}"` : '');
  const dpop = `DPoP algs="${options.dpopAlgorithms.join(' ')}"${errorParam(!onBearer)}`;
  return options.bearerAccepted ? `Bearer realm="api"${errorParam(onBearer)}, ${dpop}` : dpop;
}

/**
 * A field-level denial: the field resolves to null with this error, the rest of the response stands.
 * It also records what was checked, for audit logs and explanations; only `code` is sent to clients.
 */
export class AccessDeniedError extends GraphQLError {
  constructor(
    readonly code: ErrorCode.UNAUTHENTICATED | ErrorCode.FORBIDDEN,
    /** The guarded field, as its schema coordinate `Type.field`. */
    readonly field: string,
    /** Permissions the field needs (empty for `@auth`), and those the principal lacks. */
    readonly required: readonly string[] = [],
    readonly missing: readonly string[] = [],
  ) {
    super(code === ErrorCode.FORBIDDEN ? ErrorMessage.PERMISSION_DENIED : ErrorMessage.REQUIRES_AUTHENTICATION, {
      extensions: { code },
    });
  }
}

/**
 * `AUTHZ_UNAUTHORIZED_MODE=reject`: the whole operation is refused before anything runs, 401 for
 * an anonymous caller and 403 otherwise. `denied` (the coordinates) is only given outside production.
 * `missingTokenChallenge` goes with a 401 over HTTP; a socket has no headers to carry it.
 */
export function operationDeniedError(
  code: ErrorCode.UNAUTHENTICATED | ErrorCode.FORBIDDEN,
  { denied, missingTokenChallenge }: { denied?: readonly string[] | undefined; missingTokenChallenge?: string | undefined } = {},
): GraphQLError {
  const headers = new HeaderMap();
  if (code === ErrorCode.UNAUTHENTICATED && missingTokenChallenge) headers.set('www-authenticate', missingTokenChallenge);
  return new GraphQLError(code === ErrorCode.FORBIDDEN ? ErrorMessage.PERMISSION_DENIED : ErrorMessage.REQUIRES_AUTHENTICATION, {
    extensions: { code, http: { status: httpStatusOf[code], headers }, ...(denied ? { denied } : {}) },
  });
}

/** An operation refused before it runs because its values do not fit; the message says which. */
export function badUserInputError(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, http: { status: httpStatusOf[ErrorCode.BAD_USER_INPUT] } } });
}

/** An operation refused because of a fault of this server; the log has the real error. */
export function internalServerError(): GraphQLError {
  const code = ErrorCode.INTERNAL_SERVER_ERROR;
  return new GraphQLError(ErrorMessage.INTERNAL_SERVER_ERROR, { extensions: { code, http: { status: httpStatusOf[code] } } });
}

/**
 * An operation the trusted documents do not allow, refused before anything is parsed or run. The
 * message never echoes the id or the text, and says nothing about what else the server has seen.
 */
export function untrustedOperationError(code: ErrorCode.PERSISTED_QUERY_NOT_IN_LIST | ErrorCode.QUERY_NOT_IN_SAFELIST): GraphQLError {
  return new GraphQLError(ErrorMessage[code], { extensions: { code } });
}

const errorCodes: ReadonlySet<unknown> = new Set(Object.values(ErrorCode));

/** Reads the code of a formatted or live GraphQL error, falling back to an internal error. */
export function errorCodeOf(error: { extensions?: Record<string, unknown> | undefined }): ErrorCode {
  const code = error.extensions?.['code'];
  return errorCodes.has(code) ? (code as ErrorCode) : ErrorCode.INTERNAL_SERVER_ERROR;
}
