/**
 * Typed mutation errors. Each is a class thrown by services or resolvers and, through
 * @pothos/plugin-errors, returned as a member of the mutation's result union. All implement
 * the `Error` interface of the contract; anything else thrown stays a GraphQL error.
 */
import { builder } from './builder.ts';

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
}

export class NotFoundError extends Error {
  override name = 'NotFoundError';
  constructor(
    message: string,
    readonly id: string,
  ) {
    super(message);
  }
}

export class ConflictError extends Error {
  override name = 'ConflictError';
}

export const ErrorInterface = builder.interfaceRef<Error>('Error').implement({
  description: '错误 / Every typed mutation error implements it; query `message` for a readable reason.',
  fields: (t) => ({
    message: t.exposeString('message', { description: '说明 / What went wrong, readable by a person.' }),
  }),
});

const FieldProblemRef = builder.objectRef<FieldProblem>('FieldProblem').implement({
  description: '输入问题 / One invalid input field.',
  fields: (t) => ({
    path: t.exposeStringList('path', { description: '字段路径 / Path of the input field.' }),
    message: t.exposeString('message', { description: '说明 / What is wrong with it.' }),
  }),
});

builder.objectType(ValidationError, {
  name: 'ValidationError',
  description: '输入无效 / The input is invalid; nothing was written.',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ValidationError,
  fields: (t) => ({
    problems: t.field({
      type: [FieldProblemRef],
      description: '问题 / Each invalid field.',
      resolve: (error) => error.problems,
    }),
  }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  description: '未找到 / An id given does not name an existing object; nothing was written.',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof NotFoundError,
  fields: (t) => ({
    id: t.exposeString('id', { description: '标识 / The id that was not found.' }),
  }),
});

builder.objectType(ConflictError, {
  name: 'ConflictError',
  description: '冲突 / The write conflicts with existing data (e.g. a duplicate name or code); nothing was written.',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ConflictError,
});
