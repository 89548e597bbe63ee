/**
 * Funding won by the district: awards by source level and instrument, totals per level and year,
 * and the editor's write `recordFundingAward` (rules in src/services/funding.ts).
 */
import type { Prisma } from '../generated/prisma/client.ts';
import { decodeOptionalNodeId } from '../services/errors.ts';
import { type FundingTotal, fundingTotals, recordFundingAward } from '../services/funding.ts';
import { YEAR_MAX, YEAR_MIN } from '../services/input-checks.ts';
import { builder } from './builder.ts';
import { FundingInstrumentEnum, FundingSourceLevelEnum } from './enums.ts';
import { ConflictError, NotFoundError, ValidationError } from './errors.ts';
import { pageById, paging } from './paging.ts';
import { ProjectRef } from './project.ts';
import { DatePrecisionEnum } from './scalars.ts';

export const FundingAwardRef = builder.prismaNode('FundingAward', {
  description: '资金 / Money won: a single award, or a district-wide total as the report gave it.',
  id: { field: 'id' },
  // Select mode: each query reads only the columns and relations the operation asks for.
  select: { id: true },
  nullable: true, // node(id:) of a missing row is null, not an error
  fields: (t) => ({
    code: t.exposeString('code', { description: '代码 / Stable code.' }),
    sourceLevel: t.expose('sourceLevel', {
      type: FundingSourceLevelEnum,
      description: '来源层级 / Central, provincial, policy bank...',
    }),
    instrument: t.expose('instrument', {
      type: FundingInstrumentEnum,
      description: '资金形式 / Grant, loan...',
    }),
    programme: t.exposeString('programme', {
      nullable: true,
      description: '项目/专项 / Programme, in Chinese.',
    }),
    programmeEn: t.exposeString('programmeEn', {
      nullable: true,
      description: '专项英文 / Programme, in English.',
    }),
    amount: t.expose('amount', { type: 'Decimal', description: '金额 / Amount, CNY.' }),
    year: t.exposeInt('year', { description: '年度 / Year the award counts for.' }),
    awardedOn: t.expose('awardedOn', {
      type: 'Date',
      nullable: true,
      description: '获批日期 / When it was awarded.',
    }),
    asOf: t.expose('asOf', {
      type: 'Date',
      nullable: true,
      description: '截至 / As-of date of a reported total.',
    }),
    asOfPrecision: t.expose('asOfPrecision', {
      type: DatePrecisionEnum,
      description: '日期精度 / How exact the as-of date is.',
    }),
    reportedTotal: t.exposeBoolean('reportedTotal', {
      description: '报告汇总数 / A district-wide total as the report gave it, not a single award.',
    }),
    overlapNote: t.exposeString('overlapNote', {
      nullable: true,
      description: '重叠说明 / Why this amount must not be added to others (it may include them).',
    }),
    project: t.relation('project', {
      nullable: true,
      description: '项目 / The project funded, when known.',
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

export const FundingAwardConnection = builder.connectionObject(
  {
    type: FundingAwardRef,
    name: 'FundingAwardConnection',
    description: '资金列表 / A page of funding awards (Relay connection) with the total count.',
  },
  { name: 'FundingAwardEdge', description: '资金边 / A funding award with its cursor.' },
);

export const FundingAwardFilter = builder.inputType('FundingAwardFilter', {
  description: '资金筛选 / Filters on funding awards; all given conditions must hold.',
  fields: (t) => ({
    sourceLevel: t.field({
      type: [FundingSourceLevelEnum],
      description: '来源层级 / Source level is one of these.',
    }),
    year: t.int({ description: '年度 / Counts for this year.' }),
    // ProjectRef is defined in project.ts; input fields are read only when the schema is built.
    projectId: t.globalID({ for: ProjectRef, description: '项目 / Awarded to this project.' }),
    reportedTotal: t.boolean({
      description:
        '报告汇总数 / true: only district-wide totals as reported; false: only single awards.',
    }),
  }),
});

function fundingWhere(
  filter: typeof FundingAwardFilter.$inferInput | null | undefined,
): Prisma.FundingAwardWhereInput {
  if (!filter) return {};
  return {
    ...(filter.sourceLevel?.length && { sourceLevel: { in: filter.sourceLevel } }),
    ...(filter.year != null && { year: filter.year }),
    ...(filter.projectId && { projectId: Number(filter.projectId.id) }),
    ...(filter.reportedTotal != null && { reportedTotal: filter.reportedTotal }),
  };
}

export const FundingTotalRef = builder.objectRef<FundingTotal>('FundingTotal').implement({
  description:
    '资金合计 / Funding of one source level in one year, summed in the database. Levels are never added to one another ' +
    '(the 4.6亿 provincial-and-above funds may include the 2.5亿 central funds), so there is no grand total: ' +
    'show each level as reported and heed `mayOverlap`.',
  fields: (t) => ({
    year: t.exposeInt('year', { description: '年度 / Year.' }),
    sourceLevel: t.expose('sourceLevel', {
      type: FundingSourceLevelEnum,
      description: '来源层级 / Source level.',
    }),
    amount: t.expose('amount', {
      type: 'Decimal',
      description:
        '金额 / The amount to show, CNY: the district-wide total as reported when the report gave one, else the sum of single awards.',
    }),
    reportedAmount: t.expose('reportedAmount', {
      type: 'Decimal',
      nullable: true,
      description:
        '报告金额 / The district-wide total as reported, CNY; null when the report gave none.',
    }),
    awardedAmount: t.expose('awardedAmount', {
      type: 'Decimal',
      nullable: true,
      description:
        '单笔合计 / Sum of single awards recorded for this level, CNY; part of a reported total, never added to it. Null when none.',
    }),
    awardCount: t.exposeInt('awardCount', {
      description: '笔数 / Rows counted: reported totals and single awards.',
    }),
    mayOverlap: t.exposeBoolean('mayOverlap', {
      description:
        "可能重叠 / This amount may include another level's (or be included in it): never add them up.",
    }),
    overlapNote: t.exposeString('overlapNote', {
      nullable: true,
      description: '重叠说明 / Why the amounts must not be added, as recorded with the award.',
    }),
  }),
});

builder.queryFields((t) => ({
  fundingAwards: t.prismaConnection(
    {
      type: 'FundingAward',
      cursor: 'id',
      ...paging,
      description:
        '资金列表 / Funding awards and reported totals, by id; a Relay connection with totalCount.',
      args: { filter: t.arg({ type: FundingAwardFilter, description: '筛选 / Filter.' }) },
      totalCount: (_parent, args, ctx) =>
        ctx.prisma.fundingAward.count({ where: fundingWhere(args.filter) }),
      resolve: (query, _parent, args, ctx) =>
        ctx.prisma.fundingAward.findMany(pageById(query, fundingWhere(args.filter))),
    },
    FundingAwardConnection,
  ),
  fundingTotals: t.field({
    type: [FundingTotalRef],
    description:
      '资金合计 / Funding by source level and year, summed in the database, in year and level order. ' +
      'Deliberately no grand total: levels may overlap (see `mayOverlap`).',
    args: { year: t.arg.int({ description: '年度 / Only this year; all years when omitted.' }) },
    resolve: (_parent, args, ctx) => fundingTotals(ctx.prisma, { year: args.year }),
  }),
}));

// ---------------------------------------------------------------------------------------------
// Writes: recordFundingAward.

export const RecordFundingAwardInput = builder.inputType('RecordFundingAwardInput', {
  description:
    '记录资金 / A single funding award (not a district-wide total). Strings are trimmed; the amount is CNY, more than 0, ' +
    'at most 1e16, at most 2 decimals.',
  fields: (t) => ({
    code: t.string({
      description:
        '代码 / Unique code: 2–80 letters, digits, ".", "_" or "-". Generated (lz-<year>-award-…) when omitted.',
    }),
    sourceLevel: t.field({
      type: FundingSourceLevelEnum,
      required: true,
      description: '来源层级 / Central, provincial, policy bank...',
    }),
    instrument: t.field({
      type: FundingInstrumentEnum,
      defaultValue: 'UNSPECIFIED',
      description: '资金形式 / Grant, loan... (default UNSPECIFIED: the source does not say).',
    }),
    programme: t.string({
      description: '项目/专项 / Programme, in Chinese; at most 200 characters.',
    }),
    programmeEn: t.string({
      description: '专项英文 / Programme, in English; at most 200 characters.',
    }),
    amount: t.field({
      type: 'Decimal',
      required: true,
      description: '金额 / Amount, CNY yuan: more than 0, at most 1e16, at most 2 decimals.',
    }),
    year: t.int({
      required: true,
      description: `年度 / Year the award counts for, ${YEAR_MIN}–${YEAR_MAX} (may differ from the award date's year).`,
    }),
    awardedOn: t.field({
      type: 'Date',
      required: true,
      description: '获批日期 / The day it was awarded; not in the future (Liaozhong time).',
    }),
    projectId: t.id({
      description: '项目 / Global id of the project funded, when the award is for one.',
    }),
    note: t.string({ description: '备注 / Note; at most 4000 characters.' }),
  }),
});

export const RecordFundingAwardSuccess = builder
  .objectRef<{ awardId: number }>('RecordFundingAwardSuccess')
  .implement({
    description:
      "记录成功 / The award was recorded; the year's funding totals and dashboards include it now.",
    fields: (t) => ({
      award: t.prismaField({
        type: 'FundingAward',
        description: '资金 / The award as stored.',
        resolve: (query, payload, _args, ctx) =>
          ctx.prisma.fundingAward.findUniqueOrThrow({ ...query, where: { id: payload.awardId } }),
      }),
    }),
  });

builder.mutationFields((t) => ({
  recordFundingAward: t.field({
    type: RecordFundingAwardSuccess,
    description:
      "记录资金 / Record a single funding award. It joins its level's breakdown (`FundingTotal.awardedAmount`); a total the " +
      'report gave stays the amount shown. `dashboardUpdated` subscribers of its year hear the change.',
    args: {
      input: t.arg({
        type: RecordFundingAwardInput,
        required: true,
        description: '资金 / The award.',
      }),
    },
    errors: {
      types: [ValidationError, NotFoundError, ConflictError],
      directResult: true,
      union: {
        name: 'RecordFundingAwardResult',
        description: '记录结果 / The recorded award, or a typed error (nothing written).',
      },
    },
    resolve: async (_root, { input }, ctx) => {
      const award = await recordFundingAward(
        ctx,
        { ...input, projectId: decodeOptionalNodeId(input.projectId, 'Project') },
        ctx.viewer.actor,
      );
      return { awardId: award.id };
    },
  }),
}));
