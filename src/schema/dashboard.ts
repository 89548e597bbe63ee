/**
 * The dashboard: everything a dashboard or wall display shows for one year, computed by
 * `computeDashboard` (src/services/dashboard.ts) and kept per change by src/realtime/dashboard-cache.ts.
 * `DashboardRef` is exported for the
 * `dashboardUpdated` subscription, which serves the same object.
 */
import { GraphQLError } from 'graphql';
import type { HubContext } from '../context.ts';
import { dashboardAsOf } from '../services/as-of.ts';
import {
  currentYear,
  type DashboardData,
  type ParkSummary,
  type ProjectTally,
  RECENT_STAGE_CHANGES,
  type StageFunnelStep,
} from '../services/dashboard.ts';
import { YEAR_MAX, YEAR_MIN } from '../services/input-checks.ts';
import type { ChannelHighlight } from '../services/logistics.ts';
import { checkedAsOf } from './bad-input.ts';
import { AGGREGATE_READ, builder } from './builder.ts';
import { ProjectStageEnum } from './enums.ts';
import { ReportedFigureRef } from './figures.ts';
import { FundingTotalRef } from './funding.ts';
import { LogisticsChannelRef, LogisticsObservationRef } from './logistics.ts';
import { ParkRef, ParkSnapshotRef } from './park.ts';
import { StageEventRef } from './stage-events.ts';
import { TargetProgressRef } from './targets.ts';

/** A Prisma query of a selection: the columns and relations it reads. */
interface SelectionQuery {
  select?: Record<string, unknown>;
  include?: Record<string, unknown>;
}

/**
 * Whether a row the dashboard loaded (every column, and the relations it included) holds what a
 * selection's query reads: then it is served as it is, where plugin-prisma would load each row
 * again for the selection (two statements per dashboard answer, and their compile). A relation
 * read with arguments (a filtered or ordered list), or a count, is never held.
 */
function holdsSelection(row: unknown, query: SelectionQuery): boolean {
  if (row === null) return true;
  if (typeof row !== 'object') return false;
  const record = row as Record<string, unknown>;
  for (const [key, value] of Object.entries(query.select ?? query.include ?? {})) {
    if (value === false || value === undefined) continue;
    if (!(key in record)) return false;
    if (value === true) continue;
    if (typeof value !== 'object' || value === null) return false;
    const { select, include, ...args } = value as SelectionQuery & Record<string, unknown>;
    if (Object.keys(args).length > 0) return false;
    const nested = record[key];
    const rows = Array.isArray(nested) ? nested : [nested];
    if (!rows.every((r) => holdsSelection(r, { select, include }))) return false;
  }
  return true;
}

export const ProjectTallyRef = builder.objectRef<ProjectTally>('ProjectTally').implement({
  description:
    '项目合计 / Projects counted, with their planned investment summed where it is known.',
  fields: (t) => ({
    count: t.exposeInt('count', { description: '项目数 / How many projects.' }),
    plannedInvestment: t.expose('plannedInvestment', {
      type: 'Decimal',
      nullable: true,
      description:
        '计划总投资 / Sum of the known planned investments, CNY; null when none of the projects has one ' +
        '(compare `plannedInvestmentKnownCount` with `count`).',
    }),
    plannedInvestmentKnownCount: t.exposeInt('plannedInvestmentKnownCount', {
      description:
        '已知投资项目数 / How many of the projects counted have a known planned investment.',
    }),
  }),
});

export const StageFunnelStepRef = builder.objectRef<StageFunnelStep>('StageFunnelStep').implement({
  description:
    '阶段漏斗 / One stage of the funnel: projects now at it, and projects that have reached it or a later pipeline stage ' +
    '(an event into it or beyond in their log; skipped stages count as passed).',
  fields: (t) => ({
    stage: t.expose('stage', { type: ProjectStageEnum, description: '阶段 / The stage.' }),
    current: t.field({
      type: ProjectTallyRef,
      description: "当前 / Projects at this stage now, whatever the dashboard's year.",
      resolve: (step) => step.current,
    }),
    reached: t.field({
      type: ProjectTallyRef,
      description:
        '累计达到 / Projects that had reached this stage or a later one by the end of the year.',
      resolve: (step) => step.reached,
    }),
    reachedInYear: t.field({
      type: ProjectTallyRef,
      description:
        '年内达到 / Projects that first reached this stage (or a later one) during the year.',
      resolve: (step) => step.reachedInYear,
    }),
  }),
});

export const ParkSummaryRef = builder.objectRef<ParkSummary>('ParkSummary').implement({
  description: '园区概况 / A park with its project count and its latest snapshots.',
  fields: (t) => ({
    park: t.prismaField({
      type: ParkRef,
      description: '园区 / The park.',
      resolve: (query, s, _args, ctx) =>
        holdsSelection(s.park, query)
          ? s.park
          : ctx.prisma.park.findUniqueOrThrow({ ...query, where: { id: s.park.id } }),
    }),
    projects: t.field({
      type: ProjectTallyRef,
      description: '园区项目 / Projects in the park now, with planned investment summed.',
      resolve: (s) => s.projects,
    }),
    latestSnapshot: t.field({
      type: ParkSnapshotRef,
      nullable: true,
      description:
        "最新快照 / The park's own latest snapshot on or before the year's end (e.g. 中俄园: 72 new enterprises).",
      resolve: (s) => s.latestSnapshot,
    }),
    latestFacilitySnapshots: t.field({
      type: [ParkSnapshotRef],
      description:
        '设施最新快照 / The latest snapshot of each facility in the park (e.g. 综保区一期: 28万㎡ completed).',
      resolve: (s) => s.latestFacilitySnapshots,
    }),
  }),
});

export const ChannelHighlightRef = builder
  .objectRef<ChannelHighlight>('ChannelHighlight')
  .implement({
    description:
      '通道要点 / A logistics channel with its latest observation of each metric and its latest national rank.',
    fields: (t) => ({
      channel: t.field({
        type: LogisticsChannelRef,
        description: '通道 / The channel.',
        resolve: (h) => h.channel,
      }),
      latestObservations: t.field({
        type: [LogisticsObservationRef],
        description:
          "最新观测 / The latest observation of each metric on or before the year's end, by metric.",
        resolve: (h) => h.latestObservations,
      }),
      latestNationalRank: t.field({
        type: LogisticsObservationRef,
        nullable: true,
        description:
          '最新全国排名 / The latest observation with a national rank (TIR dispatches: 2nd); null if none.',
        resolve: (h) => h.latestNationalRank,
      }),
    }),
  });

export const DashboardRef = builder.objectRef<DashboardData>('Dashboard').implement({
  description:
    '看板 / Everything a dashboard or wall display shows for one year. Counts and sums are computed in the database, ' +
    'all parts read in one consistent snapshot.',
  fields: (t) => ({
    year: t.exposeInt('year', { description: '年度 / The year shown.' }),
    generatedAt: t.expose('generatedAt', {
      type: 'DateTime',
      description: '生成时间 / When the data was read.',
    }),
    projects: t.field({
      type: ProjectTallyRef,
      description: '项目总数 / All tracked projects now, with planned investment summed.',
      resolve: (d) => d.projects,
    }),
    stageFunnel: t.field({
      type: [StageFunnelStepRef],
      description:
        '阶段漏斗 / Every stage in pipeline order, then SUSPENDED and CANCELLED: projects now at it and having reached it.',
      resolve: (d) => d.stageFunnel,
    }),
    targets: t.field({
      type: [TargetProgressRef],
      description: "目标进度 / The year's targets with the computed and the reported rate.",
      resolve: (d) => d.targets,
    }),
    funding: t.field({
      type: [FundingTotalRef],
      description:
        "资金来源 / The year's funding by source level, as reported; levels may overlap and are never added up.",
      resolve: (d) => d.funding,
    }),
    logistics: t.field({
      type: [ChannelHighlightRef],
      description: "物流通道 / Each logistics channel's latest observations and national rank.",
      resolve: (d) => d.logistics,
    }),
    parks: t.field({
      type: [ParkSummaryRef],
      description: '园区概况 / Each park with its project count and latest snapshots.',
      resolve: (d) => d.parks,
    }),
    recentStageChanges: t.prismaField({
      type: [StageEventRef],
      description: `最近阶段变更 / The last ${RECENT_STAGE_CHANGES} stage changes recorded (occurred on or before the year's end), newest first.`,
      resolve: (query, d, _args, ctx) =>
        d.recentStageChanges.every((event) => holdsSelection(event, query))
          ? d.recentStageChanges
          : ctx.prisma.projectStageEvent.findMany({
              ...query,
              where: { id: { in: d.recentStageChanges.map((event) => event.id) } },
              orderBy: { sequence: 'desc' },
            }),
    }),
    figures: t.field({
      type: [ReportedFigureRef],
      description:
        "报告数字 / The year's reported figures (176 approvals, 105 construction starts...), by id.",
      resolve: (d) => d.figures,
    }),
  }),
});

/** The year asked for, or the current one in the district; a GraphQL error outside the range. */
export function dashboardYear(year: number | null | undefined): number {
  const y = year ?? currentYear();
  if (y < YEAR_MIN || y > YEAR_MAX) {
    throw new GraphQLError(`\`year\` must be from ${YEAR_MIN} to ${YEAR_MAX}, got ${y}`, {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  return y;
}

/** The year's dashboard (kept per change) as it stood on `asOf`, rebuilt from the log. */
async function dashboardOn(
  ctx: Pick<HubContext, 'prisma' | 'dashboards'>,
  year: number,
  asOf: Date,
): Promise<DashboardData> {
  return dashboardAsOf(ctx.prisma, await ctx.dashboards.get(year), checkedAsOf(asOf));
}

builder.queryFields((t) => ({
  dashboard: t.field({
    type: DashboardRef,
    extensions: AGGREGATE_READ,
    description:
      '看板 / Everything a dashboard or wall display shows, for one year (default: the current one).',
    args: {
      year: t.arg.int({
        description:
          '年度 / The year; default: the current calendar year in the district (Asia/Shanghai).',
      }),
      asOf: t.arg({
        type: 'Date',
        description:
          '截至日 / Rebuild the funnel, project total, targets, figures and last stage changes as they stood on this ' +
          "day from the stage-event log (see `asOf` on the answer for the estimates used); funding, logistics and parks stay the year's.",
      }),
    },
    resolve: (_parent, args, ctx) =>
      args.asOf
        ? dashboardOn(ctx, dashboardYear(args.year), args.asOf)
        : ctx.dashboards.get(dashboardYear(args.year)),
  }),
}));
