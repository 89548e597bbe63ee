/**
 * Pipeline analytics beyond movement (src/schema/analytics.ts): the district as of any day
 * (`Dashboard.asOf`, `Project.stageSinceEstimated`; the `asOf` arguments live on `dashboard` and
 * `projects`), how long stages take (`stageDurations`), approvals against the promised time
 * (`approvalBreaches`), and the working-day calendar they count with (`workingCalendarDays`,
 * `setWorkingCalendarDays`). Rules in src/services/as-of.ts, stage-durations.ts and
 * working-calendar.ts.
 */
import { GraphQLError } from 'graphql';
import type { WorkingCalendarDay } from '../generated/prisma/client.ts';
import { type AsOfBasis, dashboardBasis } from '../services/as-of.ts';
import { YEAR_MAX, YEAR_MIN } from '../services/input-checks.ts';
import {
  APPROVAL_FROM,
  APPROVAL_LIMIT_CODE_SUFFIX,
  APPROVAL_TO,
  type ApprovalBreach,
  type ApprovalBreaches,
  approvalBreaches,
  DEFAULT_APPROVAL_LIMIT,
  DEFAULT_STAGE_PAIRS,
  MAX_APPROVAL_LIMIT,
  MAX_BREACHES_PAGE,
  MAX_STAGE_PAIRS,
  type StageDuration,
  stageDurations,
} from '../services/stage-durations.ts';
import {
  MAX_CALENDAR_DAYS_PER_WRITE,
  setWorkingCalendarDays,
  workingCalendarDays,
} from '../services/working-calendar.ts';
import { readChecked } from './bad-input.ts';
import { AGGREGATE_READ, builder } from './builder.ts';
import { DashboardRef } from './dashboard.ts';
import { ProjectStageEnum } from './enums.ts';
import { ValidationError } from './errors.ts';
import { ParkRef } from './park.ts';
import { ProjectRef, SectorRef } from './project.ts';

export const AsOfBasisRef = builder.objectRef<AsOfBasis>('AsOfBasis').implement({
  description:
    '回溯依据 / What an answer rebuilt as of a past day rests on: the stage events counted, and how many of them are ' +
    'dated only to a month, quarter or year and so counted from the last day of that period.',
  fields: (t) => ({
    asOf: t.expose('asOf', { type: 'Date', description: '截至日 / The day rebuilt.' }),
    eventsCounted: t.exposeInt('eventsCounted', {
      description: '计入事件 / Stage events effective on or before the day, all counted.',
    }),
    estimatedCount: t.exposeInt('estimatedCount', {
      description:
        '估算数 / Of those, events dated only to a month, quarter or year, counted from the last day of that period.',
    }),
    uncertainCount: t.exposeInt('uncertainCount', {
      description:
        '未计入估算 / Events dated only to a period that holds the day and ends after it: they may have happened by ' +
        'then but are not counted.',
    }),
  }),
});

builder.objectField(DashboardRef, 'asOf', (t) =>
  t.field({
    type: AsOfBasisRef,
    nullable: true,
    description:
      '回溯依据 / For `dashboard(asOf:)`, the day rebuilt and the estimates used; null for the ordinary dashboard.',
    resolve: (dashboard) => dashboardBasis(dashboard),
  }),
);

builder.prismaObjectFields(ProjectRef, (t) => ({
  stageSinceEstimated: t.boolean({
    select: { stagePeriods: { where: { untilOn: null }, select: { estimated: true }, take: 1 } },
    description:
      '阶段起始日为估算 / `stageSince` comes from a change dated only to a month, quarter or year (its last day is ' +
      'used); in `projects(asOf:)`, the same for the stage on that day.',
    resolve: (project) => project.stagePeriods[0]?.estimated ?? false,
  }),
}));

// ---------------------------------------------------------------------------------------------
// Stage durations

export const StagePairInput = builder.inputType('StagePairInput', {
  description: '阶段对 / A move between two pipeline stages, the first before the second.',
  fields: (t) => ({
    from: t.field({ type: ProjectStageEnum, required: true, description: '起始阶段 / From.' }),
    to: t.field({ type: ProjectStageEnum, required: true, description: '到达阶段 / To.' }),
  }),
});

export const PipelineFilter = builder.inputType('PipelineFilter', {
  description: '项目筛选 / Which projects the log is read for; all given conditions must hold.',
  fields: (t) => ({
    parkId: t.globalID({ for: ParkRef, description: '园区 / In this park.' }),
    sectorId: t.globalID({ for: SectorRef, description: '行业 / In this sector.' }),
  }),
});

function pipelineFilterValues(filter: typeof PipelineFilter.$inferInput | null | undefined) {
  return {
    parkId: filter?.parkId ? Number(filter.parkId.id) : null,
    sectorId: filter?.sectorId ? Number(filter.sectorId.id) : null,
  };
}

export const StageDurationRef = builder.objectRef<StageDuration>('StageDuration').implement({
  description:
    '阶段用时 / How long one move between two pipeline stages took: projects that made it in the period, and the ' +
    'median and 90th-percentile time, in calendar and in working days (mainland China, with its adjusted weekend days).',
  fields: (t) => ({
    from: t.expose('from', { type: ProjectStageEnum, description: '起始阶段 / From.' }),
    to: t.expose('to', { type: ProjectStageEnum, description: '到达阶段 / To.' }),
    count: t.exposeInt('count', {
      description:
        '项目数 / Projects that reached `to` in the period, having been seen from `from` on before it.',
    }),
    estimatedCount: t.exposeInt('estimatedCount', {
      description:
        '估算数 / Of those, moves with an end dated only to a month, quarter or year (counted from its last day).',
    }),
    medianDays: t.exposeFloat('medianDays', {
      nullable: true,
      description:
        '中位天数 / Median calendar days from reaching `from` to reaching `to`; null without moves.',
    }),
    p90Days: t.exposeFloat('p90Days', {
      nullable: true,
      description:
        '90分位天数 / 90th percentile (continuous) of the calendar days; null without moves.',
    }),
    medianWorkingDays: t.exposeFloat('medianWorkingDays', {
      nullable: true,
      description:
        '中位工作日 / Median working days (the days after reaching `from`, up to and including reaching `to`); null without moves.',
    }),
    p90WorkingDays: t.exposeFloat('p90WorkingDays', {
      nullable: true,
      description:
        '90分位工作日 / 90th percentile (continuous) of the working days; null without moves.',
    }),
  }),
});

// ---------------------------------------------------------------------------------------------
// Approvals against the promise

export const ApprovalLimitSourceEnum = builder.enumType('ApprovalLimitSource', {
  description: '时限来源 / Where the approval time limit used came from.',
  values: {
    ARGUMENT: { description: '参数 / The `limitWorkingDays` argument.' },
    REPORTED_FIGURE: {
      description: `报告数字 / The latest reported figure whose code ends with \`${APPROVAL_LIMIT_CODE_SUFFIX}\`, in working_days.`,
    },
    DEFAULT: {
      description: `默认 / ${DEFAULT_APPROVAL_LIMIT} working days, the 2025 report's promise.`,
    },
  } as const,
});

export const ApprovalBreachRef = builder.objectRef<ApprovalBreach>('ApprovalBreach').implement({
  description: `审批超时 / A project whose approval (${APPROVAL_FROM} to ${APPROVAL_TO}) took, or has been waiting, longer than the limit.`,
  fields: (t) => ({
    project: t.prismaField({
      type: 'Project',
      description: '项目 / The project.',
      resolve: (query, breach, _args, ctx) =>
        ctx.prisma.project.findUniqueOrThrow({ ...query, where: { id: breach.projectId } }),
    }),
    startedOn: t.expose('startedOn', {
      type: 'Date',
      description: `起算日 / The day the project reached ${APPROVAL_FROM} (落地).`,
    }),
    approvedOn: t.expose('approvedOn', {
      type: 'Date',
      nullable: true,
      description: `审批日 / The day it reached ${APPROVAL_TO}; null while still waiting.`,
    }),
    workingDays: t.exposeInt('workingDays', {
      description:
        '工作日 / Working days from `startedOn` to `approvedOn`, or to today while waiting.',
    }),
    calendarDays: t.exposeInt('calendarDays', {
      description: '自然日 / The same in calendar days.',
    }),
    overBy: t.exposeInt('overBy', { description: '超出工作日 / Working days beyond the limit.' }),
    estimated: t.exposeBoolean('estimated', {
      description:
        '估算 / A day of the two is dated only to a month, quarter or year (its last day used).',
    }),
  }),
});

export const ApprovalBreachesRef = builder
  .objectRef<ApprovalBreaches>('ApprovalBreaches')
  .implement({
    description: '审批超时清单 / Approvals that broke the time limit, oldest start first.',
    fields: (t) => ({
      limitWorkingDays: t.exposeInt('limitWorkingDays', {
        description: '时限 / The limit used, in working days.',
      }),
      limitSource: t.field({
        type: ApprovalLimitSourceEnum,
        description: '时限来源 / Where the limit came from.',
        resolve: (b) => b.limitSource,
      }),
      totalCount: t.exposeInt('totalCount', { description: '总数 / Breaches in all pages.' }),
      items: t.field({
        type: [ApprovalBreachRef],
        description: '超时项目 / This page of breaches, oldest start first.',
        resolve: (b) => b.items,
      }),
    }),
  });

// ---------------------------------------------------------------------------------------------
// The working-day calendar

export const WorkingCalendarDayRef = builder
  .objectRef<WorkingCalendarDay>('WorkingCalendarDay')
  .implement({
    description:
      '工作日历例外 / A day on which the mainland working week departs from Monday to Friday: a public holiday or a ' +
      'weekend day worked in exchange (调休上班).',
    fields: (t) => ({
      day: t.expose('day', { type: 'Date', description: '日期 / The day.' }),
      working: t.exposeBoolean('working', {
        description: '上班 / True: a working day (adjusted weekend day); false: a holiday.',
      }),
      name: t.exposeString('name', { description: '名称 / The holiday it belongs to, e.g. 春节.' }),
      official: t.exposeBoolean('official', {
        description: "正式 / From the State Council's announcement; false: provisional.",
      }),
    }),
  });

export const CalendarDayInput = builder.inputType('CalendarDayInput', {
  description: '日历日 / One day of the working-day calendar to set.',
  fields: (t) => ({
    day: t.field({ type: 'Date', required: true, description: '日期 / The day.' }),
    working: t.boolean({
      required: true,
      description: '上班 / True: worked (an adjusted weekend day); false: a holiday.',
    }),
    name: t.string({ required: true, description: '名称 / The holiday, e.g. 春节.' }),
    official: t.boolean({
      description: "正式 / From the State Council's announcement (default true).",
    }),
  }),
});

export const SetWorkingCalendarDaysInput = builder.inputType('SetWorkingCalendarDaysInput', {
  description: '设定工作日历 / Days to set (each created or replaced).',
  fields: (t) => ({
    days: t.field({
      type: [CalendarDayInput],
      required: true,
      description: `日期 / 1 to ${MAX_CALENDAR_DAYS_PER_WRITE} days, each once.`,
    }),
  }),
});

const SetWorkingCalendarDaysSuccess = builder
  .objectRef<{ days: WorkingCalendarDay[] }>('SetWorkingCalendarDaysSuccess')
  .implement({
    description: '设定成功 / The days as stored now.',
    fields: (t) => ({
      days: t.field({
        type: [WorkingCalendarDayRef],
        description: '日期 / The days set.',
        resolve: (s) => s.days,
      }),
    }),
  });

// ---------------------------------------------------------------------------------------------
// Root fields

builder.queryFields((t) => ({
  stageDurations: t.field({
    type: [StageDurationRef],
    extensions: AGGREGATE_READ,
    description:
      '阶段用时 / For pairs of pipeline stages, the projects that made the move in a period (by the day they reached ' +
      'the second stage) and how long it took, median and 90th percentile, in calendar and working days. A stage counts ' +
      'as reached through an event into it or a later stage; a coarse date counts from the last day of its period; ' +
      'time SUSPENDED on the way counts.',
    args: {
      from: t.arg({ type: 'Date', required: true, description: '起 / First day of the period.' }),
      to: t.arg({ type: 'Date', required: true, description: '止 / Last day of the period.' }),
      pairs: t.arg({
        type: [StagePairInput],
        description: `阶段对 / The moves (at most ${MAX_STAGE_PAIRS}); default: each pipeline stage to the next (${DEFAULT_STAGE_PAIRS.length}).`,
      }),
      filter: t.arg({ type: PipelineFilter, description: '筛选 / Park and sector.' }),
    },
    resolve: (_root, args, ctx) =>
      readChecked(() =>
        stageDurations(ctx.prisma, {
          from: args.from,
          to: args.to,
          pairs: args.pairs,
          filter: pipelineFilterValues(args.filter),
        }),
      ),
  }),
  approvalBreaches: t.field({
    type: ApprovalBreachesRef,
    extensions: AGGREGATE_READ,
    description:
      `审批超时 / Projects whose approval (${APPROVAL_FROM} to ${APPROVAL_TO}, in working days) took longer than the ` +
      "district's limit, or that have waited longer than it (not SUSPENDED or CANCELLED), oldest start first.",
    args: {
      limitWorkingDays: t.arg.int({
        description: `时限 / Working days (0 to ${MAX_APPROVAL_LIMIT}); default: the reported limit, else ${DEFAULT_APPROVAL_LIMIT}.`,
      }),
      from: t.arg({ type: 'Date', description: '起 / Approvals completed on or after this day.' }),
      to: t.arg({ type: 'Date', description: '止 / Approvals completed on or before this day.' }),
      includePending: t.arg.boolean({
        defaultValue: true,
        description: '含未完成 / Also list projects still waiting past the limit (default true).',
      }),
      filter: t.arg({ type: PipelineFilter, description: '筛选 / Park and sector.' }),
      first: t.arg.int({
        defaultValue: 50,
        description: `条数 / Page size, 0 to ${MAX_BREACHES_PAGE} (default 50); the CSV export has them all.`,
      }),
      offset: t.arg.int({ defaultValue: 0, description: '偏移 / Breaches to skip.' }),
    },
    resolve: (_root, args, ctx) =>
      readChecked(() =>
        approvalBreaches(ctx.prisma, {
          ...args,
          filter: pipelineFilterValues(args.filter),
        }),
      ),
  }),
  workingCalendarDays: t.field({
    type: [WorkingCalendarDayRef],
    description:
      "工作日历 / The year's departures from the Monday-to-Friday week in mainland China: public holidays and " +
      'adjusted working weekend days, by day. Working-day counts use them.',
    args: {
      year: t.arg.int({
        required: true,
        description: `年度 / ${YEAR_MIN} to ${YEAR_MAX}.`,
      }),
    },
    resolve: (_root, args, ctx) => {
      if (args.year < YEAR_MIN || args.year > YEAR_MAX) {
        throw new GraphQLError(
          `\`year\` must be from ${YEAR_MIN} to ${YEAR_MAX}, got ${args.year}`,
          { extensions: { code: 'BAD_USER_INPUT' } },
        );
      }
      return workingCalendarDays(ctx.prisma, args.year);
    },
  }),
}));

builder.mutationFields((t) => ({
  setWorkingCalendarDays: t.field({
    type: SetWorkingCalendarDaysSuccess,
    authScopes: { admin: true },
    description:
      "设定工作日历 / Record days of the working-day calendar (admins only): a new year's State Council announcement, " +
      'or a correction. Working-day figures count with them at once.',
    args: {
      input: t.arg({
        type: SetWorkingCalendarDaysInput,
        required: true,
        description: '日期 / The days.',
      }),
    },
    errors: {
      types: [ValidationError],
      directResult: true,
      union: {
        name: 'SetWorkingCalendarDaysResult',
        description: '设定结果 / The days, or a typed error (nothing written).',
      },
    },
    resolve: async (_root, { input }, ctx) => ({
      days: await setWorkingCalendarDays(ctx, input.days, ctx.viewer.actor),
    }),
  }),
}));
