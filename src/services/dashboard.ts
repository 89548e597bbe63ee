/**
 * Everything a dashboard or wall display shows for one year, as one plain object: the HTTP query
 * `dashboard(year)` and the subscription `dashboardUpdated(year)` both serve it. It holds Prisma
 * rows and values (Decimal, Date, a BigInt event sequence), so it is served as it is, not sent
 * through JSON: compute it where it is served.
 *
 * Counts and sums run in the database: projects by stage, by park and by the year each stage was
 * first reached are tallies the database keeps with triggers (ProjectStageTally,
 * ProjectParkTally, ProjectStageReachYear), funding is a groupBy; only the rows a
 * dashboard lists (targets, figures, latest observations and snapshots, last stage changes) are
 * loaded. All reads share one repeatable-read transaction, so the parts agree with each other.
 *
 * What `year` scopes:
 * - targets, reported figures, funding totals: those of the year;
 * - funnel: `current` is the pipeline now, whatever the year; `reached` counts projects that had
 *   reached each stage by the year's end, `reachedInYear` those that first reached it in the year;
 * - logistics, parks: the latest observation / snapshot on or before the year's end;
 * - last stage changes: the latest recorded events that occurred on or before the year's end.
 */
import {
  type Park,
  type ParkSnapshot,
  Prisma,
  type PrismaClient,
  type Project,
  ProjectStage,
  type ProjectStageEvent,
  type ReportedFigure,
} from '../generated/prisma/client.ts';
import { type FundingTotal, fundingTotals } from './funding.ts';
import { YEAR_MAX, YEAR_MIN } from './input-checks.ts';
import { type ChannelHighlight, channelHighlights } from './logistics.ts';
import { progressOf, type TargetProgress } from './targets.ts';

type Client = PrismaClient | Prisma.TransactionClient;

/** The district's time zone: "the current year" is the year in Liaozhong. */
export const DISTRICT_TIME_ZONE = 'Asia/Shanghai';

/** How many stage changes the dashboard lists. */
export const RECENT_STAGE_CHANGES = 10;

/** The calendar year in the district now (Asia/Shanghai), the dashboard's default. */
export function currentYear(now: Date = new Date()): number {
  return Number(
    new Intl.DateTimeFormat('en', { timeZone: DISTRICT_TIME_ZONE, year: 'numeric' }).format(now),
  );
}

/** Projects counted, and their planned investment summed where it is known. */
export interface ProjectTally {
  count: number;
  /** Sum of the known planned investments; null when none of the projects has one. */
  plannedInvestment: Prisma.Decimal | null;
  /** How many of the projects counted have a known planned investment. */
  plannedInvestmentKnownCount: number;
}

export interface StageFunnelStep {
  stage: ProjectStage;
  /** Projects at this stage now. */
  current: ProjectTally;
  /** Projects that had reached this stage or a later pipeline stage by the end of the year. */
  reached: ProjectTally;
  /** Projects that first reached this stage (or a later one) during the year. */
  reachedInYear: ProjectTally;
}

export interface ParkSummary {
  park: Park;
  /** Projects in the park now. */
  projects: ProjectTally;
  /** The park's own latest snapshot on or before the year's end. */
  latestSnapshot: ParkSnapshot | null;
  /** The latest snapshot of each of the park's facilities, by facility id. */
  latestFacilitySnapshots: ParkSnapshot[];
}

export interface DashboardData {
  year: number;
  /** When the data was read. */
  generatedAt: Date;
  /** All tracked projects now. */
  projects: ProjectTally;
  /** Every ProjectStage in pipeline order, then SUSPENDED and CANCELLED. */
  stageFunnel: StageFunnelStep[];
  targets: TargetProgress[];
  funding: FundingTotal[];
  logistics: ChannelHighlight[];
  parks: ParkSummary[];
  /** Newest first. */
  recentStageChanges: (ProjectStageEvent & { project: Project })[];
  /** The year's reported figures, by id. */
  figures: ReportedFigure[];
}

const ALL_STAGES = Object.values(ProjectStage);

const emptyTally = (): ProjectTally => ({
  count: 0,
  plannedInvestment: null,
  plannedInvestmentKnownCount: 0,
});

function yearBounds(year: number): { start: Date; end: Date } {
  return { start: new Date(Date.UTC(year, 0, 1)), end: new Date(Date.UTC(year, 11, 31)) };
}

interface ReachedRow {
  stage: ProjectStage;
  reachedCount: number;
  reachedInvestment: Prisma.Decimal | null;
  reachedKnown: number;
  inYearCount: number;
  inYearInvestment: Prisma.Decimal | null;
  inYearKnown: number;
}

/**
 * The funnel: projects now at each stage (groupBy), and projects that reached each stage, in one
 * SQL statement over ProjectStageReachYear (ProjectStageReach summed by stage and year, both kept
 * from the log by triggers). "Reached X" means the project's log has an event into X or a later
 * pipeline stage (`stagesAtOrBeyond`), so skipped stages count as passed; the date is the first
 * such event. A sum is null when none of the projects summed has a known planned investment.
 */
async function stageFunnel(prisma: Client, year: number): Promise<StageFunnelStep[]> {
  const now = await prisma.projectStageTally.findMany();
  const reached = await prisma.$queryRaw<ReachedRow[]>(Prisma.sql`
    SELECT stage::text AS stage,
           SUM(count)::int AS "reachedCount",
           CASE WHEN SUM("plannedInvestmentKnownCount") > 0 THEN SUM("plannedInvestment") END
             AS "reachedInvestment",
           SUM("plannedInvestmentKnownCount")::int AS "reachedKnown",
           COALESCE(SUM(count) FILTER (WHERE year = ${year}), 0)::int AS "inYearCount",
           CASE WHEN SUM("plannedInvestmentKnownCount") FILTER (WHERE year = ${year}) > 0
                THEN SUM("plannedInvestment") FILTER (WHERE year = ${year}) END
             AS "inYearInvestment",
           COALESCE(SUM("plannedInvestmentKnownCount") FILTER (WHERE year = ${year}), 0)::int
             AS "inYearKnown"
      FROM "ProjectStageReachYear"
     WHERE year <= ${year}
     GROUP BY stage`);
  return ALL_STAGES.map((stage) => {
    const n = now.find((g) => g.stage === stage);
    const r = reached.find((row) => row.stage === stage);
    return {
      stage,
      current: n ? keptTally(n) : emptyTally(),
      reached: r
        ? {
            count: r.reachedCount,
            plannedInvestment: decimalOrNull(r.reachedInvestment),
            plannedInvestmentKnownCount: r.reachedKnown,
          }
        : emptyTally(),
      reachedInYear: r
        ? {
            count: r.inYearCount,
            plannedInvestment: decimalOrNull(r.inYearInvestment),
            plannedInvestmentKnownCount: r.inYearKnown,
          }
        : emptyTally(),
    };
  });
}

/** A tally kept by the database (ProjectStageTally, ProjectParkTally), whose sum is 0 when none is known. */
function keptTally(row: {
  count: number;
  plannedInvestment: Prisma.Decimal;
  plannedInvestmentKnownCount: number;
}): ProjectTally {
  return {
    count: row.count,
    plannedInvestment: row.plannedInvestmentKnownCount > 0 ? row.plannedInvestment : null,
    plannedInvestmentKnownCount: row.plannedInvestmentKnownCount,
  };
}

/** Raw SQL numerics arrive as Decimal on both adapters; normalise anything else. */
function decimalOrNull(value: Prisma.Decimal | string | number | null): Prisma.Decimal | null {
  if (value === null) return null;
  return value instanceof Prisma.Decimal ? value : new Prisma.Decimal(value);
}

function sumTallies(tallies: ProjectTally[]): ProjectTally {
  return tallies.reduce<ProjectTally>(
    (sum, t) => ({
      count: sum.count + t.count,
      plannedInvestment:
        t.plannedInvestment === null
          ? sum.plannedInvestment
          : (sum.plannedInvestment ?? new Prisma.Decimal(0)).plus(t.plannedInvestment),
      plannedInvestmentKnownCount: sum.plannedInvestmentKnownCount + t.plannedInvestmentKnownCount,
    }),
    emptyTally(),
  );
}

async function parkSummaries(prisma: Client, year: number): Promise<ParkSummary[]> {
  const { end } = yearBounds(year);
  const parks = await prisma.park.findMany({ orderBy: { id: 'asc' } });
  const byPark = await prisma.projectParkTally.findMany();
  const latest = await prisma.$queryRaw<{ id: number }[]>(Prisma.sql`
    (SELECT DISTINCT ON ("parkId") id FROM "ParkSnapshot"
      WHERE "parkId" IS NOT NULL AND "asOf" <= ${end}::date
      ORDER BY "parkId", "asOf" DESC, id DESC)
    UNION ALL
    (SELECT DISTINCT ON ("facilityId") id FROM "ParkSnapshot"
      WHERE "facilityId" IS NOT NULL AND "asOf" <= ${end}::date
      ORDER BY "facilityId", "asOf" DESC, id DESC)`);
  const snapshots = latest.length
    ? await prisma.parkSnapshot.findMany({
        where: { id: { in: latest.map((l) => l.id) } },
        include: { facility: true },
        orderBy: [{ facilityId: 'asc' }, { id: 'asc' }],
      })
    : [];
  return parks.map((park) => {
    const g = byPark.find((row) => row.parkId === park.id);
    return {
      park,
      projects: g ? keptTally(g) : emptyTally(),
      latestSnapshot: snapshots.find((s) => s.parkId === park.id) ?? null,
      latestFacilitySnapshots: snapshots.filter((s) => s.facility?.parkId === park.id),
    };
  });
}

async function readDashboard(prisma: Client, year: number): Promise<DashboardData> {
  const { end } = yearBounds(year);
  const funnel = await stageFunnel(prisma, year);
  const targets = await prisma.target.findMany({
    where: { year },
    include: { actual: true },
    orderBy: { id: 'asc' },
  });
  const funding = await fundingTotals(prisma, { year });
  const logistics = await channelHighlights(prisma, { until: end });
  const parks = await parkSummaries(prisma, year);
  const recentStageChanges = await prisma.projectStageEvent.findMany({
    where: { occurredOn: { lte: end } },
    include: { project: true },
    orderBy: { sequence: 'desc' },
    take: RECENT_STAGE_CHANGES,
  });
  const figures = await prisma.reportedFigure.findMany({ where: { year }, orderBy: { id: 'asc' } });
  return {
    year,
    generatedAt: new Date(),
    projects: sumTallies(funnel.map((step) => step.current)),
    stageFunnel: funnel,
    targets: targets.map(progressOf),
    funding,
    logistics,
    parks,
    recentStageChanges,
    figures,
  };
}

/**
 * Reads the dashboard of `year` in one repeatable-read transaction (or in the caller's
 * transaction when given one).
 */
export async function computeDashboard(
  prisma: Client,
  year: number = currentYear(),
): Promise<DashboardData> {
  if (!Number.isInteger(year) || year < YEAR_MIN || year > YEAR_MAX) {
    throw new RangeError(`year must be an integer from ${YEAR_MIN} to ${YEAR_MAX}, got ${year}`);
  }
  if ('$transaction' in prisma) {
    return prisma.$transaction((tx) => readDashboard(tx, year), {
      isolationLevel: Prisma.TransactionIsolationLevel.RepeatableRead,
    });
  }
  return readDashboard(prisma, year);
}
