/**
 * Targets: what the district set out to reach in a year, with progress against the reported
 * figure that measures each; and the admin write `setTarget` (rules in src/services/targets.ts).
 */
import { decodeNodeId } from '../services/errors.ts';
import { YEAR_MAX, YEAR_MIN } from '../services/input-checks.ts';
import { progressOf, setTarget, type TargetProgress } from '../services/targets.ts';
import { builder } from './builder.ts';
import { ConflictError, NotFoundError, ValidationError } from './errors.ts';
import { ReportedFigureRef } from './figures.ts';

/** Declared before it is implemented: Target and TargetProgress refer to each other. */
export const TargetProgressRef = builder.objectRef<TargetProgress>('TargetProgress');

export const TargetRef = builder.prismaNode('Target', {
  description: '目标 / A target, with the reported figure that measures progress against it.',
  id: { field: 'id' },
  nullable: true, // node(id:) of a missing row is null, not an error
  fields: (t) => ({
    code: t.exposeString('code', { description: '代码 / Stable code.' }),
    label: t.exposeString('label', { description: '名称 / The target, in Chinese.' }),
    labelEn: t.exposeString('labelEn', { description: '英文名称 / The target, in English.' }),
    year: t.exposeInt('year', { description: '年度 / Year.' }),
    value: t.expose('value', { type: 'Decimal', description: '目标值 / Target value.' }),
    unit: t.exposeString('unit', { description: '单位 / Unit.' }),
    dueBy: t.expose('dueBy', { type: 'Date', nullable: true, description: '期限 / Due by.' }),
    actual: t.relation('actual', {
      nullable: true,
      description: '实际 / The reported figure measuring progress.',
    }),
    progress: t.field({
      type: TargetProgressRef,
      description:
        '进度 / Progress: target, actual, the rate the hub computes and the rate the report gave.',
      select: { actual: true },
      resolve: (target) => progressOf(target),
    }),
    reportedRate: t.expose('reportedRate', {
      type: 'Decimal',
      nullable: true,
      description:
        '报告完成率 / The completion rate the report itself gave, in percent (e.g. 43.3).',
    }),
    note: t.exposeString('note', { nullable: true, description: '备注 / Note.' }),
    source: t.relation('source', { nullable: true, description: '来源 / Source document.' }),
  }),
});

TargetProgressRef.implement({
  description:
    '目标进度 / Progress against a target: the rate the hub computes (actual / target × 100) beside the rate the report ' +
    'gave, so a dashboard can show both and flag a mismatch (26 / 60 → 43.3, reported 43.3: no mismatch).',
  fields: (t) => ({
    target: t.field({
      type: TargetRef,
      description: '目标 / The target.',
      resolve: (p) => p.target,
    }),
    actual: t.field({
      type: ReportedFigureRef,
      nullable: true,
      description: '实际 / The reported figure linked as the actual; null when none is.',
      resolve: (p) => p.actual,
    }),
    unit: t.exposeString('unit', { description: '单位 / Unit of the target value.' }),
    targetValue: t.expose('targetValue', {
      type: 'Decimal',
      description: '目标值 / Target value.',
    }),
    actualValue: t.expose('actualValue', {
      type: 'Decimal',
      nullable: true,
      description:
        '实际值 / Value of the linked figure; null when no figure with a number is linked.',
    }),
    computedRate: t.expose('computedRate', {
      type: 'Decimal',
      nullable: true,
      description:
        '计算完成率 / actual / target × 100, computed by the hub, percent rounded half-up to one decimal; ' +
        'null without an actual, with a zero target, or when the units differ.',
    }),
    reportedRate: t.expose('reportedRate', {
      type: 'Decimal',
      nullable: true,
      description:
        '报告完成率 / The rate the report gave, percent, rounded to one decimal; null when it gave none.',
    }),
    rateMismatch: t.exposeBoolean('rateMismatch', {
      description:
        '完成率不符 / Both rates are known and differ (|computed − reported| ≥ 0.05 after rounding to one decimal).',
    }),
  }),
});

builder.queryFields((t) => ({
  targets: t.prismaField({
    type: ['Target'],
    description: '目标 / Targets with their progress, by id.',
    args: { year: t.arg.int({ description: '年度 / Only this year.' }) },
    resolve: (query, _parent, args, ctx) =>
      ctx.prisma.target.findMany({
        ...query,
        where: args.year != null ? { year: args.year } : {},
        orderBy: { id: 'asc' },
      }),
  }),
  target: t.prismaField({
    type: 'Target',
    nullable: true,
    description: '目标 / One target by its stable code, e.g. lz-2025-target-completions.',
    args: { code: t.arg.string({ required: true, description: "代码 / The target's code." }) },
    resolve: (query, _parent, args, ctx) =>
      ctx.prisma.target.findUnique({ ...query, where: { code: args.code } }),
  }),
}));

// ---------------------------------------------------------------------------------------------
// Writes (admin only: they change what the district reports).

export const SetTargetInput = builder.inputType('SetTargetInput', {
  description:
    '设定目标 / Create the target with this code, or update it. On update an omitted field is kept and null clears it; ' +
    'label, labelEn, year, value and unit cannot be cleared and are required to create. Strings are trimmed.',
  fields: (t) => ({
    code: t.string({
      required: true,
      description:
        "代码 / The target's unique code, e.g. lz-2025-target-completions: what is created or updated.",
    }),
    label: t.string({
      description: '名称 / The target, in Chinese; at most 200 characters. Required to create.',
    }),
    labelEn: t.string({
      description: '英文名称 / The target, in English; at most 200 characters. Required to create.',
    }),
    year: t.int({ description: `年度 / Year, ${YEAR_MIN}–${YEAR_MAX}. Required to create.` }),
    value: t.field({
      type: 'Decimal',
      description:
        '目标值 / Target value: not negative, below 1e16, at most 4 decimals. Required to create.',
    }),
    unit: t.string({
      description:
        '单位 / Unit, at most 64 characters; a linked figure must have the same. Required to create.',
    }),
    dueBy: t.field({ type: 'Date', description: '期限 / Due by; null clears.' }),
    actualFigureCode: t.string({
      description:
        '实际数字代码 / Code of the reported figure that measures progress (numeric, same unit); null unlinks. Or give actualFigureId.',
    }),
    actualFigureId: t.id({
      description:
        '实际数字 / Global id of the reported figure that measures progress (numeric, same unit); null unlinks. Or give actualFigureCode.',
    }),
    reportedRate: t.field({
      type: 'Decimal',
      description:
        '报告完成率 / The completion rate the report gave, percent: 0–1000, at most 2 decimals; null clears.',
    }),
    note: t.string({ description: '备注 / Note; at most 4000 characters; null clears.' }),
  }),
});

export const SetTargetSuccess = builder
  .objectRef<{ targetId: number; created: boolean }>('SetTargetSuccess')
  .implement({
    description: '设定成功 / The target was created or updated; its progress reflects the change.',
    fields: (t) => ({
      target: t.prismaField({
        type: 'Target',
        description: '目标 / The target as stored, with its progress.',
        resolve: (query, payload, _args, ctx) =>
          ctx.prisma.target.findUniqueOrThrow({ ...query, where: { id: payload.targetId } }),
      }),
      created: t.exposeBoolean('created', {
        description: '新建 / true: a new target; false: an existing one was updated.',
      }),
    }),
  });

builder.mutationFields((t) => ({
  setTarget: t.field({
    type: SetTargetSuccess,
    authScopes: { admin: true },
    description:
      '设定目标 / Create or update a target by its code, and link the reported figure that measures it (admins only). ' +
      '`dashboardUpdated` subscribers of its year hear the change.',
    args: {
      input: t.arg({ type: SetTargetInput, required: true, description: '目标 / The target.' }),
    },
    errors: {
      types: [ValidationError, NotFoundError, ConflictError],
      directResult: true,
      union: {
        name: 'SetTargetResult',
        description: '设定结果 / The target, or a typed error (nothing written).',
      },
    },
    resolve: async (_root, { input }, ctx) => {
      const { actualFigureId, ...rest } = input;
      const { target, created } = await setTarget(
        ctx,
        {
          ...rest,
          // Absent stays absent (keep the link); null unlinks.
          ...(actualFigureId !== undefined && {
            actualFigureId:
              actualFigureId === null
                ? null
                : decodeNodeId(String(actualFigureId), 'ReportedFigure', 'reported figure'),
          }),
        },
        ctx.viewer.actor,
      );
      return { targetId: target.id, created };
    },
  }),
}));
