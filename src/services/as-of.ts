/**
 * The district as it stood on a given day, rebuilt from the stage-event log: each project's
 * stage on that day (`projects(asOf:)`), and the dashboard's funnel, targets and figures as they
 * stood (`dashboard(year, asOf:)`).
 *
 * The rule is the log's: an event counts from its effective day, the day it happened or, when the
 * log knows only its month, quarter or year, the last day of that period (the first day by which
 * it had certainly happened). On a day D a project is at the stage of its latest event (by
 * sequence) among those effective on or before D; a project with no such event did not exist yet.
 * The spans this gives are kept in ProjectStagePeriod by a database trigger, so a project's stage
 * on D is an indexed range lookup. Answers say how many coarse dates they rest on.
 *
 * The as-of dashboard is built beside the year's dashboard (src/services/dashboard.ts), not
 * inside it: it takes the year's figures and replaces what the log can rebuild, with two
 * statements of its own.
 */
import {
  DatePrecision,
  Prisma,
  type PrismaClient,
  type ProjectStage,
} from '../generated/prisma/client.ts';
import { periodEnd, periodStart } from './analytics.ts';
import {
  type DashboardData,
  type ProjectTally,
  RECENT_STAGE_CHANGES,
  type StageFunnelStep,
} from './dashboard.ts';
import { ValidationError } from './errors.ts';
import { YEAR_MAX, YEAR_MIN } from './input-checks.ts';
import { EFFECTIVE_DAY, reachCte } from './log-sql.ts';
import { type ProjectFilterValues, projectWhere } from './project-filter.ts';
import { PIPELINE } from './stages.ts';
import { progressOf } from './targets.ts';

type Client = Pick<PrismaClient, '$queryRaw' | 'projectStageEvent'>;

const DAY_MS = 86_400_000;
const iso = (date: Date) => date.toISOString().slice(0, 10);

/** Refuses a day outside the years a dashboard can show (bad input, not a date the log can hold). */
export function checkAsOf(asOf: Date, path = 'asOf'): Date {
  const year = asOf.getUTCFullYear();
  if (year < YEAR_MIN || year > YEAR_MAX) {
    throw new ValidationError(
      `\`${path}\` must be a day from ${YEAR_MIN} to ${YEAR_MAX}, got ${iso(asOf)}`,
      [{ path: [path], message: `from ${YEAR_MIN} to ${YEAR_MAX}` }],
    );
  }
  return asOf;
}

/**
 * Events effective on or before `day`: for each precision, a date (the first day of its period)
 * whose period ends by `day`, so before the first day of the period holding the next day.
 */
export function countedBy(day: Date): Prisma.ProjectStageEventWhereInput {
  return {
    OR: Object.values(DatePrecision).map((precision) => ({
      occurredPrecision: precision,
      occurredOn: { lt: periodStart(new Date(day.getTime() + DAY_MS), precision) },
    })),
  };
}

/** The stage period holding on `day` (optionally at one of `stages`). */
export function periodOn(
  day: Date,
  stages?: readonly ProjectStage[] | null,
): Prisma.ProjectStagePeriodWhereInput {
  return {
    fromOn: { lte: day },
    OR: [{ untilOn: null }, { untilOn: { gt: day } }],
    ...(stages?.length && { stage: { in: [...stages] } }),
  };
}

/**
 * Projects as they stood on `asOf`: those that existed then, matching the filter, with
 * `filter.stage` read as the stage on that day.
 */
export function projectsAsOfWhere(
  filter: ProjectFilterValues | null | undefined,
  asOf: Date,
): Prisma.ProjectWhereInput {
  return {
    AND: [
      projectWhere({ ...filter, stage: null }),
      { stagePeriods: { some: periodOn(asOf, filter?.stage) } },
    ],
  };
}

/** The stage period on `asOf`, loaded with a project's row (same statement). */
const periodsOn = (asOf: Date) => ({
  stagePeriods: {
    where: periodOn(asOf),
    select: { stage: true, fromOn: true, estimated: true },
    take: 1,
  },
});

/**
 * A project query (Pothos' `include` or `select` for the client's selection) that also loads
 * each project's stage period on `asOf`, for `asOfProject`.
 */
export function withPeriodOn<Q extends { include?: object; select?: object }>(
  query: Q,
  asOf: Date,
): Q {
  if (query.select)
    return { ...query, select: { ...query.select, ...periodsOn(asOf), stageSince: true } };
  return { ...query, include: { ...query.include, ...periodsOn(asOf) } };
}

/** The day an as-of project row stands on (for `daysAtStage`). */
const asOfDays = new WeakMap<object, Date>();

/** The day a project row stands on: `asOf` for rows of `projects(asOf:)`, else undefined (today). */
export function rowAsOf(row: object): Date | undefined {
  return asOfDays.get(row);
}

/**
 * A project row loaded with `withPeriodOn`, as it stood on `asOf`: its stage and the day it
 * had been at it since. Its other fields are today's.
 */
export function asOfProject<T extends { stage: ProjectStage; stageSince: Date | null }>(
  row: T,
  asOf: Date,
): T {
  const { stagePeriods } = row as T & { stagePeriods?: { stage: ProjectStage; fromOn: Date }[] };
  const period = stagePeriods?.[0];
  const project = period ? { ...row, stage: period.stage, stageSince: period.fromOn } : row;
  asOfDays.set(project, asOf);
  return project;
}

/** What an as-of answer rests on. */
export interface AsOfBasis {
  asOf: Date;
  /** Stage events counted: effective on or before `asOf`. */
  eventsCounted: number;
  /** Of those, events dated only to a month, quarter or year, counted from their period's end. */
  estimatedCount: number;
  /**
   * Events dated only to a period that holds `asOf` and ends after it: they may have happened by
   * then, but are not counted.
   */
  uncertainCount: number;
}

/** The basis of each as-of dashboard (the dashboard object is shared with the year's fields). */
const basisOf = new WeakMap<DashboardData, AsOfBasis>();

/** The as-of basis of a dashboard; null for the year's ordinary dashboard. */
export function dashboardBasis(dashboard: DashboardData): AsOfBasis | null {
  return basisOf.get(dashboard) ?? null;
}

interface AsOfRow {
  part: 'current' | 'reached' | 'basis';
  stage: ProjectStage | null;
  n: number;
  investment: Prisma.Decimal | null;
  known: number;
  n2: number;
  investment2: Prisma.Decimal | null;
  known2: number;
}

const tally = (
  count: number,
  investment: Prisma.Decimal | string | null,
  known: number,
): ProjectTally => ({
  count,
  plannedInvestment:
    investment === null
      ? null
      : investment instanceof Prisma.Decimal
        ? investment
        : new Prisma.Decimal(investment),
  plannedInvestmentKnownCount: known,
});

/**
 * The dashboard of `base.year` as it stood on `asOf`: the funnel (projects at each stage on that
 * day; projects that had reached each stage by that day, or by the year's end if earlier, and in
 * the year up to then), the project total, the targets with only the figures known by then, the
 * year's figures known by then, and the last stage changes effective by then. Funding, logistics
 * and parks are the year's, as in `base`. Two statements: the funnel with its basis, and the
 * stage changes.
 */
export async function dashboardAsOf(
  prisma: Client,
  base: DashboardData,
  asOf: Date,
): Promise<DashboardData> {
  checkAsOf(asOf);
  const yearStart = new Date(Date.UTC(base.year, 0, 1));
  const yearEnd = new Date(Date.UTC(base.year, 11, 31));
  const cut = asOf.getTime() < yearEnd.getTime() ? asOf : yearEnd;
  const rows = await prisma.$queryRaw<AsOfRow[]>(Prisma.sql`
    WITH ev AS (
      SELECT e."projectId", e."toStage", ${EFFECTIVE_DAY} AS eff,
             e."occurredPrecision" <> 'DAY' AS est
        FROM "ProjectStageEvent" e
       WHERE e."occurredOn" <= ${asOf}::date
    ),
    ${reachCte(PIPELINE, cut)},
    reached AS (
      SELECT "projectId", stage, "on" AS "firstOn" FROM reach
      UNION ALL
      SELECT ev."projectId", ev."toStage", MIN(ev.eff)
        FROM ev
       WHERE ev."toStage" > 'AT_CAPACITY' AND ev.eff <= ${cut}::date
       GROUP BY ev."projectId", ev."toStage"
    )
    SELECT 'current' AS part, sp.stage::text AS stage, COUNT(*)::int AS n,
           SUM(p."plannedInvestment") AS investment, COUNT(p."plannedInvestment")::int AS known,
           0 AS n2, NULL::numeric AS investment2, 0 AS known2
      FROM "ProjectStagePeriod" sp
      JOIN "Project" p ON p.id = sp."projectId"
     WHERE sp."fromOn" <= ${asOf}::date AND (sp."untilOn" IS NULL OR sp."untilOn" > ${asOf}::date)
     GROUP BY sp.stage
    UNION ALL
    SELECT 'reached', r.stage::text, COUNT(*)::int, SUM(p."plannedInvestment"),
           COUNT(p."plannedInvestment")::int,
           (COUNT(*) FILTER (WHERE r."firstOn" >= ${yearStart}::date))::int,
           SUM(p."plannedInvestment") FILTER (WHERE r."firstOn" >= ${yearStart}::date),
           (COUNT(p."plannedInvestment") FILTER (WHERE r."firstOn" >= ${yearStart}::date))::int
      FROM reached r
      JOIN "Project" p ON p.id = r."projectId"
     GROUP BY r.stage
    UNION ALL
    SELECT 'basis', NULL, (COUNT(*) FILTER (WHERE eff <= ${asOf}::date))::int, NULL,
           (COUNT(*) FILTER (WHERE est AND eff <= ${asOf}::date))::int,
           (COUNT(*) FILTER (WHERE est AND eff > ${asOf}::date))::int, NULL, 0
      FROM ev`);
  const recentStageChanges = await prisma.projectStageEvent.findMany({
    where: countedBy(cut),
    include: { project: true },
    orderBy: { sequence: 'desc' },
    take: RECENT_STAGE_CHANGES,
  });

  const stageFunnel: StageFunnelStep[] = base.stageFunnel.map(({ stage }) => {
    const current = rows.find((r) => r.part === 'current' && r.stage === stage);
    const reached = rows.find((r) => r.part === 'reached' && r.stage === stage);
    return {
      stage,
      current: current ? tally(current.n, current.investment, current.known) : tally(0, null, 0),
      reached: reached ? tally(reached.n, reached.investment, reached.known) : tally(0, null, 0),
      reachedInYear: reached
        ? tally(reached.n2, reached.investment2, reached.known2)
        : tally(0, null, 0),
    };
  });
  const basis = rows.find((r) => r.part === 'basis');
  const knownBy = (figure: { asOf: Date; asOfPrecision: DatePrecision } | null) =>
    figure !== null && periodEnd(figure.asOf, figure.asOfPrecision).getTime() <= asOf.getTime();
  const dashboard: DashboardData = {
    ...base,
    generatedAt: new Date(),
    projects: sumTallies(stageFunnel.map((step) => step.current)),
    stageFunnel,
    targets: base.targets.map(({ target, actual }) =>
      progressOf({ ...target, actual: knownBy(actual) ? actual : null }),
    ),
    figures: base.figures.filter(knownBy),
    recentStageChanges,
  };
  basisOf.set(dashboard, {
    asOf,
    eventsCounted: basis?.n ?? 0,
    estimatedCount: basis?.known ?? 0,
    uncertainCount: basis?.n2 ?? 0,
  });
  return dashboard;
}

function sumTallies(tallies: ProjectTally[]): ProjectTally {
  let count = 0;
  let known = 0;
  let investment: Prisma.Decimal | null = null;
  for (const t of tallies) {
    count += t.count;
    known += t.plannedInvestmentKnownCount;
    if (t.plannedInvestment !== null)
      investment = (investment ?? new Prisma.Decimal(0)).plus(t.plannedInvestment);
  }
  return { count, plannedInvestment: investment, plannedInvestmentKnownCount: known };
}
