/**
 * The typed errors services throw. Plain classes, no GraphQL: src/schema/errors.ts registers
 * each as an object type implementing the contract's `Error`, and @pothos/plugin-errors turns a
 * thrown instance into a member of the mutation's result union. A service throws one of these
 * only before it has written anything (or inside a transaction that then rolls back).
 */
import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import type { ProjectStage } from '../generated/prisma/client.ts';

/** One input problem: which field and what is wrong. */
export interface FieldProblem {
  /** Path of the input field, e.g. `["input", "name"]`. */
  path: string[];
  message: string;
}

export class ValidationError extends Error {
  override name = 'ValidationError';
  constructor(
    message: string,
    readonly problems: FieldProblem[] = [],
  ) {
    super(message);
  }

  /** One error listing every problem, or nothing to throw when `problems` is empty. */
  static of(problems: FieldProblem[]): ValidationError | null {
    if (!problems.length) return null;
    const message =
      problems.length === 1 ? problems[0]!.message : `${problems.length} input fields are invalid: ${problems.map((p) => p.message).join('; ')}`;
    return new ValidationError(message, problems);
  }
}

export class NotFoundError extends Error {
  override name = 'NotFoundError';
  constructor(
    message: string,
    /** The id as the client gave it (a global id), so it can match it to its input. */
    readonly id: string,
  ) {
    super(message);
  }

  /** `typename` row `key` does not exist; `id` is its global id. */
  static node(typename: string, key: number, what = typename): NotFoundError {
    const id = encodeGlobalID(typename, key);
    return new NotFoundError(`${what} ${id} does not exist`, id);
  }
}

export class ConflictError extends Error {
  override name = 'ConflictError';
}

/** A stage change the pipeline rules do not allow (see src/services/stage-change.ts). */
export class InvalidTransitionError extends Error {
  override name = 'InvalidTransitionError';
  constructor(
    message: string,
    readonly fromStage: ProjectStage,
    readonly toStage: ProjectStage,
    /** Every stage the project may move to now (empty for a cancelled project). */
    readonly allowedStages: readonly ProjectStage[],
  ) {
    super(message);
  }
}

/**
 * Decodes a Relay global id that must name a `typename` row with an integer key. An id of
 * another type, or not a global id at all, names nothing of that type: NotFoundError.
 */
export function decodeNodeId(globalId: string, typename: string, what = typename): number {
  let decoded: { typename: string; id: string } | null = null;
  try {
    decoded = decodeGlobalID(globalId);
  } catch {
    decoded = null;
  }
  const key = decoded && decoded.typename === typename && /^[1-9]\d{0,9}$/.test(decoded.id) ? Number(decoded.id) : NaN;
  if (!Number.isSafeInteger(key) || key > 2_147_483_647) {
    throw new NotFoundError(`${JSON.stringify(globalId)} is not the id of any ${what}`, globalId);
  }
  return key;
}

/** `decodeNodeId` for an optional id: null and undefined pass through (clear / keep). */
export function decodeOptionalNodeId(globalId: string | number | null | undefined, typename: string, what = typename): number | null | undefined {
  return globalId == null ? globalId : decodeNodeId(String(globalId), typename, what);
}
