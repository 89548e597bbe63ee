/**
 * Pipeline analytics from the stage-event log (rules in src/services/analytics.ts): stage changes
 * per week or month (`stageChangeTrend`), projects that have not moved for longest
 * (`stalledProjects`), and on each project the day its stage began and how long ago that was.
 * The wall display's movement panel reads these; they are answered from the response cache
 * until the data changes, like every other read.
 */
import {
  DEFAULT_STALLED_DAYS,
  daysSince,
  MAX_STALLED_DAYS,
  MOVE_KINDS,
  STALLED_ORDER,
  type StageChangeTrend,
  type StageCount,
  stageChangeTrend,
  stalledProjectsWhere,
  TREND_DEFAULT_BUCKETS,
  TREND_MAX_BUCKETS,
  type TrendBucket,
} from '../services/analytics.ts';
import { rowAsOf } from '../services/as-of.ts';
import { asBadInput } from './bad-input.ts';
import { AGGREGATE_READ, builder } from './builder.ts';
import { ProjectStageEnum, StageEventKindEnum } from './enums.ts';
import { paging } from './paging.ts';
import { ProjectConnection, ProjectFilter, ProjectRef, toFilterValues } from './project.ts';

/** The `where` of a `stalledProjects` page and of its count. */
function stalledWhere(args: {
  minDays?: number | null;
  filter?: typeof ProjectFilter.$inferInput | null;
}) {
  try {
    return stalledProjectsWhere({ minDays: args.minDays, filter: toFilterValues(args.filter) });
  } catch (error) {
    throw asBadInput(error);
  }
}

export const TrendIntervalEnum = builder.enumType('TrendInterval', {
  description: "统计周期 / The length of a trend's buckets.",
  values: {
    WEEK: { description: '周 / Calendar weeks, Monday to Sunday.' },
    MONTH: { description: '月 / Calendar months.' },
    QUARTER: { description: '季 / Calendar quarters (January–March, ...).' },
  } as const,
});

export const StageCountRef = builder.objectRef<StageCount>('StageCount').implement({
  description: '阶段计数 / How many stage changes reached one stage.',
  fields: (t) => ({
    stage: t.expose('stage', {
      type: ProjectStageEnum,
      description: "达到阶段 / The stage reached (the events' `toStage`).",
    }),
    count: t.exposeInt('count', { description: '变更数 / How many changes reached it.' }),
  }),
});

export const StageChangeTrendBucketRef = builder
  .objectRef<TrendBucket>('StageChangeTrendBucket')
  .implement({
    description: '周期变更数 / The stage changes of one week or month.',
    fields: (t) => ({
      start: t.expose('start', {
        type: 'Date',
        description: "起 / First day: the week's Monday or the month's first day.",
      }),
      end: t.expose('end', {
        type: 'Date',
        description:
          "止 / Last day counted: the week's Sunday or the month's last day, or the trend's `to`.",
      }),
      count: t.exposeInt('count', {
        description: '变更数 / Stage changes that happened in the bucket.',
      }),
      estimatedCount: t.exposeInt('estimatedCount', {
        description:
          '估算数 / Of those, changes whose date is known less exactly than the bucket (a month in a weekly trend, a quarter ' +
          'or year), counted on the last day of their period.',
      }),
      byStage: t.field({
        type: [StageCountRef],
        description:
          '按达到阶段 / The changes by the stage they reached, in pipeline order; stages without changes are left out.',
        resolve: (bucket) => bucket.byStage,
      }),
    }),
  });

export const StageChangeTrendRef = builder
  .objectRef<StageChangeTrend>('StageChangeTrend')
  .implement({
    description:
      '阶段变更趋势 / Stage changes per week, month or quarter over a period, by stage reached, counted on the day each happened ' +
      '(`occurredOn`, not when it was recorded).',
    fields: (t) => ({
      interval: t.field({
        type: TrendIntervalEnum,
        description: "统计周期 / The buckets' length.",
        resolve: (trend) => trend.interval,
      }),
      from: t.expose('from', { type: 'Date', description: "起 / The first bucket's first day." }),
      to: t.expose('to', { type: 'Date', description: '止 / The last day counted.' }),
      kinds: t.field({
        type: [StageEventKindEnum],
        description: '变更类型 / The kinds of stage event counted.',
        resolve: (trend) => trend.kinds,
      }),
      total: t.exposeInt('total', { description: '合计 / Stage changes in the whole period.' }),
      estimatedCount: t.exposeInt('estimatedCount', {
        description:
          '估算数 / Of those, changes placed at the end of a coarser period (see the buckets).',
      }),
      buckets: t.field({
        type: [StageChangeTrendBucketRef],
        description:
          '各周期 / Every week or month of the period, oldest first, including those without changes.',
        resolve: (trend) => trend.buckets,
      }),
    }),
  });

builder.prismaObjectFields(ProjectRef, (t) => ({
  stageSince: t.expose('stageSince', {
    type: 'Date',
    nullable: true,
    description:
      '阶段起始日 / The day the project has certainly been at its current stage since: the day of its latest stage change, ' +
      "or the last day of that change's month, quarter or year when the log knows it only that exactly. Null without events.",
  }),
  daysAtStage: t.int({
    nullable: true,
    select: { stageSince: true },
    description:
      '停留天数 / Whole days from `stageSince` to today in the district (in `projects(asOf:)`, to that day): how long the project has not moved.',
    resolve: (project) =>
      project.stageSince ? daysSince(project.stageSince, rowAsOf(project)) : null,
  }),
}));

builder.queryFields((t) => ({
  stageChangeTrend: t.field({
    type: StageChangeTrendRef,
    extensions: AGGREGATE_READ,
    description:
      '阶段变更趋势 / Stage changes per week, month or quarter over a period, by stage reached. Without `from`, the last ' +
      `${TREND_DEFAULT_BUCKETS.WEEK} weeks, ${TREND_DEFAULT_BUCKETS.MONTH} months or ${TREND_DEFAULT_BUCKETS.QUARTER} quarters up to \`to\`; at most ${TREND_MAX_BUCKETS} buckets.`,
    args: {
      interval: t.arg({
        type: TrendIntervalEnum,
        defaultValue: 'WEEK',
        description: '统计周期 / Weeks (default), months or quarters.',
      }),
      from: t.arg({
        type: 'Date',
        description:
          '起 / A day in the first bucket (its week, month or quarter is counted whole).',
      }),
      to: t.arg({
        type: 'Date',
        description: '止 / The last day counted; default: today in the district.',
      }),
      filter: t.arg({
        type: ProjectFilter,
        description:
          '筛选 / As for `projectStageChanged`: `stage` matches a change into or out of those stages, the rest applies to the project.',
      }),
      kinds: t.arg({
        type: [StageEventKindEnum],
        description: `变更类型 / The kinds of change counted; default: the moves (${MOVE_KINDS.join(', ')}), not INITIAL records or CORRECTIONs.`,
      }),
    },
    resolve: async (_root, args, ctx) => {
      try {
        return await stageChangeTrend(ctx.prisma, {
          interval: args.interval,
          from: args.from,
          to: args.to,
          filter: toFilterValues(args.filter),
          kinds: args.kinds,
        });
      } catch (error) {
        throw asBadInput(error);
      }
    },
  }),
  stalledProjects: t.prismaConnection(
    {
      type: 'Project',
      extensions: AGGREGATE_READ,
      cursor: 'id',
      ...paging,
      description:
        '停滞项目 / Projects that have not moved for at least `minDays` days, the longest first (by `stageSince`). Only ' +
        'projects in the pipeline before AT_CAPACITY count: SUSPENDED and CANCELLED ones stand still by decision, not ' +
        'stalled, unless `filter.stage` names them.',
      args: {
        minDays: t.arg.int({
          defaultValue: DEFAULT_STALLED_DAYS,
          description: `最少天数 / Not moved for at least this many days (0 to ${MAX_STALLED_DAYS}; default ${DEFAULT_STALLED_DAYS}).`,
        }),
        filter: t.arg({
          type: ProjectFilter,
          description: '筛选 / As for `projects`; its `stage` replaces the default stages.',
        }),
      },
      totalCount: (_parent, args, ctx) => ctx.prisma.project.count({ where: stalledWhere(args) }),
      resolve: (query, _parent, args, ctx) =>
        ctx.prisma.project.findMany({
          ...query,
          where: stalledWhere(args),
          orderBy: STALLED_ORDER,
        }),
    },
    ProjectConnection,
  ),
}));
