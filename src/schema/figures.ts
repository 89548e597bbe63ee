/**
 * Reported figures: district-wide counts and amounts as a report gave them, and the admin write
 * `recordReportedFigure` (rules in src/services/figures.ts). Targets, which link the figure that
 * measures them, are in ./targets.ts.
 */
import { decodeOptionalNodeId } from '../services/errors.ts';
import { FIGURE_TEXT_MAX_LENGTH, recordReportedFigure } from '../services/figures.ts';
import { YEAR_MAX, YEAR_MIN } from '../services/input-checks.ts';
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
}));

// ---------------------------------------------------------------------------------------------
// Writes (admin only: they change what the district reports).

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
      description: `年度 / The year the figure belongs to, ${YEAR_MIN}–${YEAR_MAX}.`,
    }),
    projectId: t.id({
      description: '项目 / Global id of the project the figure is about, if one.',
    }),
    note: t.string({ description: '备注 / Note; at most 4000 characters.' }),
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
}));
