/**
 * Typed mutation errors. Each is a class (src/services/errors.ts) thrown by services or resolvers and, through
 * @pothos/plugin-errors, returned as a member of the mutation's result union. All implement
 * the `Error` interface of the contract; anything else thrown stays a GraphQL error.
 */
import {
  ConflictError,
  type FieldProblem,
  InvalidTransitionError,
  NotFoundError,
  ValidationError,
} from '../services/errors.ts';
import { builder } from './builder.ts';
import { ProjectStageEnum } from './enums.ts';

export { ConflictError, type FieldProblem, InvalidTransitionError, NotFoundError, ValidationError };

export const ErrorInterface = builder.interfaceRef<Error>('Error').implement({
  description:
    '错误 / Every typed mutation error implements it; query `message` for a readable reason.',
  fields: (t) => ({
    message: t.exposeString('message', {
      description: '说明 / What went wrong, readable by a person.',
    }),
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
  description:
    '冲突 / The write conflicts with existing data (e.g. a duplicate name or code); nothing was written.',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ConflictError,
});

builder.objectType(InvalidTransitionError, {
  name: 'InvalidTransitionError',
  description:
    '无效的阶段变更 / The pipeline rules do not allow this stage change (same stage, out of a cancelled project, ' +
    'resuming to another stage than the one left); nothing was written. `allowedStages` lists what is allowed now.',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof InvalidTransitionError,
  fields: (t) => ({
    fromStage: t.field({
      type: ProjectStageEnum,
      description: "当前阶段 / The project's stage now.",
      resolve: (error) => error.fromStage,
    }),
    toStage: t.field({
      type: ProjectStageEnum,
      description: '目标阶段 / The stage asked for.',
      resolve: (error) => error.toStage,
    }),
    allowedStages: t.field({
      type: [ProjectStageEnum],
      description: '允许的阶段 / Every stage the project may move to now (empty once cancelled).',
      resolve: (error) => [...error.allowedStages],
    }),
  }),
});
