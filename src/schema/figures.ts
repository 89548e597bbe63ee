/**
 * Reported figures and targets: district-wide counts and amounts, with progress; and the admin
 * writes `recordReportedFigure` and `setTarget` (rules in src/services/figures.ts, targets.ts).
 */
import { decodeNodeId, decodeOptionalNodeId } from '../services/errors.ts';
import { FIGURE_TEXT_MAX_LENGTH, recordReportedFigure } from '../services/figures.ts';
import { progressOf, setTarget, type TargetProgress } from '../services/targets.ts';
import { builder } from './builder.ts';
import { FigureQualifierEnum } from './enums.ts';
import { ConflictError, NotFoundError, ValidationError } from './errors.ts';
import { DatePrecisionEnum } from './scalars.ts';

export const ReportedFigureRef = builder.prismaNode('ReportedFigure', {
  description:
    '报告数字 / A district-wide count or amount as a report gave it (176 approvals, 17亿 invested...).',
  id: { field: 'id' },
  nullable: true, // node(id:) of a missing row is null, not an error
  fields: (t) => ({
    code: t.exposeString('code', { description: '代码 / Stable code.' }),
    label: t.exposeString('label', { description: '名称 / What is counted, in Chinese.' }),
    labelEn: t.exposeString('labelEn', { description: '英文名称 / What is counted, in English.' }),
    category: t.exposeString('category', {
      description: '类别 / Category (approval, construction, funding...).',
    }),
    value: t.expose('value', {
      type: 'Decimal',
      nullable: true,
      description: '数值 / The number; null for a textual figure.',
    }),
    textValue: t.exposeString('textValue', {
      nullable: true,
      description: '文字值 / A textual figure (e.g. the working rhythm).',
    }),
    unit: t.exposeString('unit', {
      description: '单位 / Unit: projects, CNY, percent, working_days...',
    }),
    qualifier: t.expose('qualifier', {
      type: FigureQualifierEnum,
      description: '限定 / Exact, at least, at most, approximate.',
    }),
    asOf: t.expose('asOf', { type: 'Date', description: '截至 / As-of date.' }),
    asOfPrecision: t.expose('asOfPrecision', {
      type: DatePrecisionEnum,
      description: '日期精度 / How exact the as-of date is.',
    }),
    approximate: t.exposeBoolean('approximate', {
      description: '日期近似 / The as-of date is approximate ("so far").',
    }),
    year: t.exposeInt('year', { description: '年度 / Year.' }),
    project: t.relation('project', {
      nullable: true,
      description: '项目 / The project the figure is about, if one.',
    }),
    note: t.exposeString('note', { nullable: true, description: '备注 / Note.' }),
    source: t.relation('source', { nullable: true, description: '来源 / Source document.' }),
    recordedAt: t.expose('recordedAt', {
      type: 'DateTime',
      description: '记录时间 / When it was recorded.',
    }),
    recordedBy: t.exposeString('recordedBy', { description: '记录人 / Who recorded it.' }),
  }),
});

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
  reportedFigures: t.prismaField({
    type: ['ReportedFigure'],
    description: '报告数字 / District-wide figures as reported, by id.',
    args: {
      year: t.arg.int({ description: '年度 / Only this year.' }),
      category: t.arg.string({
        description:
          '类别 / Only this category: approval, tender, land, registration, construction, completion, operation, investment, attraction, service, output.',
      }),
    },
    resolve: (query, _parent, args, ctx) =>
      ctx.prisma.reportedFigure.findMany({
        ...query,
        where: {
          ...(args.year != null && { year: args.year }),
          ...(args.category != null && { category: args.category }),
        },
        orderBy: { id: 'asc' },
      }),
  }),
  reportedFigure: t.prismaField({
    type: 'ReportedFigure',
    nullable: true,
    description:
      '报告数字 / One reported figure by its stable code, e.g. lz-2025-approvals-completed.',
    args: { code: t.arg.string({ required: true, description: "代码 / The figure's code." }) },
    resolve: (query, _parent, args, ctx) =>
      ctx.prisma.reportedFigure.findUnique({ ...query, where: { code: args.code } }),
  }),
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
// Writes (admin only: they change what the district reports): recordReportedFigure, setTarget.

export const RecordReportedFigureInput = builder.inputType('RecordReportedFigureInput', {
  description:
    '记录报告数字 / A district-wide count or amount as a report gave it: a number, a text or both. Strings are trimmed. ' +
    'A later report gives a new figure with a new code; link it to its target with setTarget.',
  fields: (t) => ({
    code: t.string({
      required: true,
      description:
        '代码 / Unique code: 2–80 letters, digits, ".", "_" or "-", e.g. lz-2025-09-approvals-completed.',
    }),
    label: t.string({
      required: true,
      description: '名称 / What is counted, in Chinese; at most 200 characters.',
    }),
    labelEn: t.string({
      required: true,
      description: '英文名称 / What is counted, in English; at most 200 characters.',
    }),
    category: t.string({
      required: true,
      description:
        '类别 / Category, lower_snake_case: approval, tender, land, registration, construction, completion, operation, investment, attraction, service, output…',
    }),
    value: t.field({
      type: 'Decimal',
      description: '数值 / The number: not negative, below 1e16, at most 4 decimals.',
    }),
    textValue: t.string({
      description: `文字值 / A textual figure, e.g. a working rhythm; at most ${FIGURE_TEXT_MAX_LENGTH} characters. Give value, textValue or both.`,
    }),
    unit: t.string({
      required: true,
      description:
        '单位 / Unit: projects, CNY, percent, working_days… (text for a textual figure); at most 64 characters.',
    }),
    qualifier: t.field({
      type: FigureQualifierEnum,
      defaultValue: 'EXACT',
      description: '限定 / Exact, at least, at most, approximate (default EXACT).',
    }),
    asOf: t.field({
      type: 'Date',
      required: true,
      description:
        '截至 / As-of day; not in the future; the first day of its month/quarter/year when asOfPrecision says so.',
    }),
    asOfPrecision: t.field({
      type: DatePrecisionEnum,
      defaultValue: 'DAY',
      description: '日期精度 / How exact asOf is (default DAY).',
    }),
    approximate: t.boolean({
      defaultValue: false,
      description: '日期近似 / The as-of date is approximate ("so far"); default false.',
    }),
    year: t.int({
      required: true,
      description: '年度 / The year the figure belongs to, 2000–2100.',
    }),
    projectId: t.id({
      description: '项目 / Global id of the project the figure is about, if one.',
    }),
    note: t.string({ description: '备注 / Note; at most 4000 characters.' }),
  }),
});

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
    year: t.int({ description: '年度 / Year, 2000–2100. Required to create.' }),
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

export const RecordReportedFigureSuccess = builder
  .objectRef<{ figureId: number }>('RecordReportedFigureSuccess')
  .implement({
    description: "记录成功 / The figure was recorded; the year's dashboards include it now.",
    fields: (t) => ({
      figure: t.prismaField({
        type: 'ReportedFigure',
        description: '报告数字 / The figure as stored.',
        resolve: (query, payload, _args, ctx) =>
          ctx.prisma.reportedFigure.findUniqueOrThrow({
            ...query,
            where: { id: payload.figureId },
          }),
      }),
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
  recordReportedFigure: t.field({
    type: RecordReportedFigureSuccess,
    authScopes: { admin: true },
    description:
      '记录报告数字 / Record a figure as a report gave it (admins only). `dashboardUpdated` subscribers of its year hear the change.',
    args: {
      input: t.arg({
        type: RecordReportedFigureInput,
        required: true,
        description: '报告数字 / The figure.',
      }),
    },
    errors: {
      types: [ValidationError, NotFoundError, ConflictError],
      directResult: true,
      union: {
        name: 'RecordReportedFigureResult',
        description: '记录结果 / The recorded figure, or a typed error (nothing written).',
      },
    },
    resolve: async (_root, { input }, ctx) => {
      const figure = await recordReportedFigure(
        ctx,
        { ...input, projectId: decodeOptionalNodeId(input.projectId, 'Project') },
        ctx.viewer.actor,
      );
      return { figureId: figure.id };
    },
  }),
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
