/** A service's ValidationError as the GraphQL error of a bad argument, for the read fields. */
import { GraphQLError } from 'graphql';
import { checkAsOf } from '../services/as-of.ts';
import { ValidationError } from '../services/errors.ts';

/** A service's ValidationError as a BAD_USER_INPUT GraphQL error; anything else as it is. */
export function asBadInput(error: unknown): unknown {
  return error instanceof ValidationError
    ? new GraphQLError(error.message, { extensions: { code: 'BAD_USER_INPUT' } })
    : error;
}

/** Runs a read, turning a bad argument into a clear GraphQL error. */
export async function readChecked<T>(read: () => T | Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw asBadInput(error);
  }
}

/** An `asOf` day checked (years a dashboard can show), as a GraphQL error when out of range. */
export function checkedAsOf(asOf: Date): Date {
  try {
    return checkAsOf(asOf);
  } catch (error) {
    throw asBadInput(error);
  }
}
