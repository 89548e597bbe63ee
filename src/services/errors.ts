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
      problems.length === 1
        ? problems[0]!.message
        : `${problems.length} input fields are invalid: ${problems.map((p) => p.message).join('; ')}`;
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

/** Largest row key: every table's `id` is a PostgreSQL `integer`. */
export const MAX_ROW_KEY = 2_147_483_647;
/** Largest log position: `ProjectStageEvent.sequence` is a PostgreSQL `bigint`. */
export const MAX_SEQUENCE = 9_223_372_036_854_775_807n;

/** A row key as global ids carry it: 1 to MAX_ROW_KEY in plain digits (no sign, fraction or exponent). */
const ROW_KEY = /^[1-9]\d{0,9}$/;

/**
 * The type and row key a Relay global id names, or null when it names no row: not base64, no
 * type name, or a key that is not a whole number from 1 to MAX_ROW_KEY (`Project:1.5`,
 * `Project:-1`, `Project:1e3`, a 20-digit key). Every node type of the schema is keyed by an
 * integer `id`, so this is the one reading of a global id, for `node`, `nodes`, id filters and
 * mutation inputs alike.
 */
export function parseGlobalId(globalId: string): { typename: string; key: number } | null {
  let decoded: { typename: string; id: string };
  try {
    decoded = decodeGlobalID(globalId);
  } catch {
    return null;
  }
  if (!ROW_KEY.test(decoded.id)) return null;
  const key = Number(decoded.id);
  return key <= MAX_ROW_KEY ? { typename: decoded.typename, key } : null;
}

/**
 * Decodes a Relay global id that must name a `typename` row. An id of another type, or not the
 * global id of a row at all (see `parseGlobalId`), names nothing of that type: NotFoundError.
 */
export function decodeNodeId(globalId: string, typename: string, what = typename): number {
  const parsed = parseGlobalId(globalId);
  if (!parsed || parsed.typename !== typename) {
    throw new NotFoundError(`${quoteInput(globalId)} is not the id of any ${what}`, globalId);
  }
  return parsed.key;
}

/** `decodeNodeId` for an optional id: null and undefined pass through (clear / keep). */
export function decodeOptionalNodeId(
  globalId: string | number | null | undefined,
  typename: string,
  what = typename,
): number | null | undefined {
  return globalId == null ? globalId : decodeNodeId(String(globalId), typename, what);
}

/** A value a client sent, quoted for a message: JSON-escaped (NUL, lone surrogates) and cut at 100 characters. */
export function quoteInput(value: string): string {
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
}
