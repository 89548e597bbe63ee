/**
 * How an error leaves the hub, the same on every transport (HTTP, SSE, graphql-ws): Yoga's
 * masking (an unexpected error becomes "Unexpected error." with code INTERNAL_SERVER_ERROR, its
 * details only in the log) and two rules of the hub's own:
 * - an unreachable database is not an internal error but a state a client can act on:
 *   `DATABASE_UNAVAILABLE`, HTTP 503 with `Retry-After`;
 * - with introspection off, "Did you mean …?" suggestions are cut from messages, since they
 *   would reveal the schema one name at a time.
 */
import { GraphQLError } from 'graphql';
import { type Plugin, maskError as yogaMaskError } from 'graphql-yoga';

/** Seconds a client is asked to wait before trying again while the database is unavailable. */
export const DATABASE_RETRY_AFTER_S = 5;

/** Socket, pg and Prisma codes that mean the database cannot be reached now (not a bad query). */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'P1001',
  'P1002',
  'P1017',
]);
/** PostgreSQL SQLSTATEs of the same: connection exceptions (08…), shutdown or start-up (57P01-03), too many connections. */
const UNREACHABLE_SQLSTATE = /^(08...|57P0[123]|53300)$/;
/** Driver adapter error kinds (Prisma's driver-adapter-utils) of the same. */
const UNREACHABLE_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
]);
/** node-postgres reports a dropped connection only in its message. */
const UNREACHABLE_MESSAGE =
  /^(Connection terminated|Connection ended unexpectedly|timeout exceeded when trying to connect|Client has encountered a connection error)/;

/** Whether an error, or one it wraps, says the database cannot be reached right now. */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && typeof current === 'object' && depth < 8; depth++) {
    const e = current as {
      code?: unknown;
      kind?: unknown;
      message?: unknown;
      cause?: unknown;
      originalError?: unknown;
    };
    if (
      typeof e.code === 'string' &&
      (UNREACHABLE_CODES.has(e.code) || UNREACHABLE_SQLSTATE.test(e.code))
    )
      return true;
    if (typeof e.kind === 'string' && UNREACHABLE_KINDS.has(e.kind)) return true;
    if (typeof e.message === 'string' && UNREACHABLE_MESSAGE.test(e.message)) return true;
    current = e.originalError ?? e.cause;
  }
  return false;
}

/** The error a client gets while the database is unavailable. */
export function databaseUnavailableError(from?: GraphQLError): GraphQLError {
  return new GraphQLError('The database is unavailable; try again in a few seconds', {
    nodes: from?.nodes,
    path: from?.path,
    extensions: {
      code: 'DATABASE_UNAVAILABLE',
      http: { status: 503, headers: { 'Retry-After': String(DATABASE_RETRY_AFTER_S) } },
    },
  });
}

const SUGGESTION = /\s*Did you mean [^?]*\?/g;

/** The same error without "Did you mean …?" in its message. */
function withoutSuggestions(error: Error): Error {
  if (!(error instanceof GraphQLError)) return error;
  const message = error.message.replace(SUGGESTION, '');
  if (message === error.message) return error;
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: error.extensions,
  });
}

/**
 * Cuts suggestions from validation errors, which Yoga answers without passing them through
 * `maskError` (the errors of execution, variables included, go through the masker below).
 */
export function useHiddenSuggestions(): Plugin {
  return {
    onValidate() {
      return ({ valid, result, setResult }) => {
        if (!valid) setResult(result.map((error) => withoutSuggestions(error) as GraphQLError));
      };
    },
  };
}

export interface MaskOptions {
  /** Cut field, argument, type and enum-value suggestions from messages (introspection off). */
  hideSuggestions: boolean;
}

/**
 * Yoga's `maskedErrors.maskError` for the hub; graphql-ws errors raised outside envelop's
 * execution (see app.ts) go through it too.
 */
export function createErrorMasker({
  hideSuggestions,
}: MaskOptions): (error: unknown, message: string, isDev?: boolean) => Error {
  return (error, message, isDev) => {
    const masked = isDatabaseUnavailable(error)
      ? databaseUnavailableError(error instanceof GraphQLError ? error : undefined)
      : yogaMaskError(error, message, isDev);
    return hideSuggestions ? withoutSuggestions(masked) : masked;
  };
}
