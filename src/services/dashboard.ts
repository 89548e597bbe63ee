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
 * loaded.
 *
 * It is read in two parts, by what moves them (src/realtime/dashboard-cache.ts keeps each and
 * drops it when a write can move it): the pipeline (`readPipeline`: funnel, project total, last
 * stage changes), which every stage change moves, in one statement and a read of the ten
 * events; and the rest of the year (`readYearPart`), in one repeatable-read transaction.
 * `computeDashboard` reads both in one repeatable-read transaction.
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

/**
 * The part of a dashboard that stage changes move: the funnel, the project total and the last
 * stage changes. Read by `readPipeline`, again after each stage change.
 */
export type PipelinePart = Pick<
  DashboardData,
  'projects' | 'stageFunnel' | 'recentStageChanges'
> & {
  readAt: Date;
};

/**
 * The part of a dashboard that only other writes move: targets, funding, logistics, parks and
 * figures. Read by `readYearPart`; a stage change leaves it as it is.
 */
export type YearPart = Pick<
  DashboardData,
  'targets' | 'funding' | 'logistics' | 'parks' | 'figures'
> & {
  readAt: Date;
};

const ALL_STAGES = Object.values(ProjectStage);

const emptyTally = (): ProjectTally => ({
  count: 0,
  plannedInvestment: null,
  plannedInvestmentKnownCount: 0,
});

function yearBounds(year: number): { start: Date; end: Date } {
  return { start: new Date(Date.UTC(year, 0, 1)), end: new Date(Date.UTC(year, 11, 31)) };
}

interface PipelineRow {
  /** `current` (ProjectStageTally), `reached` (ProjectStageReachYear summed) or `recent` (an event id). */
  part: 'current' | 'reached' | 'recent';
  /** The dashboard year of a `reached` or `recent` row; null for `current` (every year's). */
  year: number | null;
  stage: ProjectStage | null;
  count: number;
  investment: Prisma.Decimal | null;
  known: number;
  inYearCount: number;
  inYearInvestment: Prisma.Decimal | null;
  inYearKnown: number;
  eventId: number | null;
}

/**
 * What stage changes move, for each of `years`, read in one SQL statement (so one snapshot, and
 * no transaction): the projects now at each stage (ProjectStageTally, the same for every year),
 * the projects that had reached each stage by each year's end and during it
 * (ProjectStageReachYear, ProjectStageReach summed by stage and year; both kept from the log by
 * triggers), and the ids of the last stage changes that occurred by each year's end (the latest
 * ten of each year of occurrence, merged: an index per year of occurrence finds them, where a
 * scan back from the newest event read most of the log for an earlier year). "Reached X" means
 * the project's log has an event into X or a later pipeline stage (`stagesAtOrBeyond`), so
 * skipped stages count as passed; the date is the first such event. A sum is null when none of
 * the projects summed has a known planned investment.
 *
 * The last changes are then loaded by id with their projects, for all the years at once: the log
 * is append-only, so the events are those of the snapshot; their projects are those of the moment
 * after (a project edit is a change of its own, which drops what was read before it). A stage
 * change moves every year's pipeline: the dashboard cache reads the years it keeps together.
 */
export async function readPipelines(
  prisma: Client,
  years: readonly number[],
): Promise<Map<number, PipelinePart>> {
  for (const year of years) checkYear(year);
  if (years.length === 0) return new Map();
  const asked = Prisma.sql`unnest(ARRAY[${Prisma.join(years.map((y) => Prisma.sql`${y}::int`))}])`;
  const rows = await prisma.$queryRaw<PipelineRow[]>(Prisma.sql`
    SELECT 'current' AS part, NULL::int AS year, stage::text AS stage, count,
           "plannedInvestment" AS investment, "plannedInvestmentKnownCount" AS known,
           0 AS "inYearCount", NULL::numeric AS "inYearInvestment", 0 AS "inYearKnown",
           NULL::int AS "eventId"
      FROM "ProjectStageTally"
    UNION ALL
    SELECT 'reached', y.year, r.stage::text, SUM(r.count)::int,
           CASE WHEN SUM(r."plannedInvestmentKnownCount") > 0 THEN SUM(r."plannedInvestment") END,
           SUM(r."plannedInvestmentKnownCount")::int,
           COALESCE(SUM(r.count) FILTER (WHERE r.year = y.year), 0)::int,
           CASE WHEN SUM(r."plannedInvestmentKnownCount") FILTER (WHERE r.year = y.year) > 0
                THEN SUM(r."plannedInvestment") FILTER (WHERE r.year = y.year) END,
           COALESCE(SUM(r."plannedInvestmentKnownCount") FILTER (WHERE r.year = y.year), 0)::int,
           NULL
      FROM ${asked} AS y(year)
      JOIN "ProjectStageReachYear" r ON r.year <= y.year
     GROUP BY y.year, r.stage
    UNION ALL
    SELECT 'recent', y.year, NULL, 0, NULL, 0, 0, NULL, 0, last.id
      FROM ${asked} AS y(year)
     CROSS JOIN LATERAL (
           SELECT e.id
             FROM generate_series(
                    (SELECT MIN(EXTRACT(YEAR FROM "occurredOn")::int) FROM "ProjectStageEvent"),
                    y.year) AS o(year)
            CROSS JOIN LATERAL (
                  SELECT id, sequence FROM "ProjectStageEvent"
                   WHERE EXTRACT(YEAR FROM "occurredOn")::int = o.year
                   ORDER BY sequence DESC
                   LIMIT ${RECENT_STAGE_CHANGES}) e
            ORDER BY e.sequence DESC
            LIMIT ${RECENT_STAGE_CHANGES}) last`);
  const recentIds = [...new Set(rows.filter((r) => r.part === 'recent').map((r) => r.eventId!))];
  const events = recentIds.length
    ? await prisma.projectStageEvent.findMany({
        where: { id: { in: recentIds } },
        include: { project: true },
        orderBy: { sequence: 'desc' },
      })
    : [];
  const readAt = new Date();
  const current = (stage: ProjectStage) =>
    rows.find((row) => row.part === 'current' && row.stage === stage);
  const parts = new Map<number, PipelinePart>();
  for (const year of years) {
    const stageFunnel = ALL_STAGES.map((stage): StageFunnelStep => {
      const n = current(stage);
      const r = rows.find(
        (row) => row.part === 'reached' && row.year === year && row.stage === stage,
      );
      return {
        stage,
        current: n
          ? keptTally({
              count: n.count,
              plannedInvestment: decimalOrNull(n.investment) ?? new Prisma.Decimal(0),
              plannedInvestmentKnownCount: n.known,
            })
          : emptyTally(),
        reached: r
          ? {
              count: r.count,
              plannedInvestment: decimalOrNull(r.investment),
              plannedInvestmentKnownCount: r.known,
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
    const recent = new Set(
      rows.filter((row) => row.part === 'recent' && row.year === year).map((row) => row.eventId),
    );
    parts.set(year, {
      readAt,
      projects: sumTallies(stageFunnel.map((step) => step.current)),
      stageFunnel,
      recentStageChanges: events.filter((event) => recent.has(event.id)),
    });
  }
  return parts;
}

/** The pipeline part of one year's dashboard (see `readPipelines`). */
export async function readPipeline(prisma: Client, year: number): Promise<PipelinePart> {
  return (await readPipelines(prisma, [year])).get(year)!;
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

/**
 * What only writes other than stage changes move (targets, funding, logistics, parks with their
 * project counts and snapshots, figures), read in one repeatable-read transaction (or in the
 * caller's transaction when given one).
 */
export async function readYearPart(prisma: Client, year: number): Promise<YearPart> {
  if ('$transaction' in prisma) {
    return prisma.$transaction((tx) => readYearPart(tx, year), {
      isolationLevel: Prisma.TransactionIsolationLevel.RepeatableRead,
    });
  }
  const { end } = yearBounds(year);
  const targets = await prisma.target.findMany({
    where: { year },
    include: { actual: true },
    orderBy: { id: 'asc' },
  });
  const funding = await fundingTotals(prisma, { year });
  const logistics = await channelHighlights(prisma, { until: end });
  const parks = await parkSummaries(prisma, year);
  const figures = await prisma.reportedFigure.findMany({ where: { year }, orderBy: { id: 'asc' } });
  return {
    readAt: new Date(),
    targets: targets.map(progressOf),
    funding,
    logistics,
    parks,
    figures,
  };
}

/** The dashboard of `year` made of its two parts (which must be current together). */
export function assembleDashboard(
  year: number,
  pipeline: PipelinePart,
  rest: YearPart,
): DashboardData {
  const { readAt: pipelineReadAt, ...moving } = pipeline;
  const { readAt: restReadAt, ...still } = rest;
  return {
    year,
    generatedAt: new Date(Math.max(pipelineReadAt.getTime(), restReadAt.getTime())),
    ...moving,
    ...still,
  };
}

/**
 * Reads the dashboard of `year`: its two parts in one repeatable-read transaction (or in the
 * caller's transaction when given one).
 */
export async function computeDashboard(
  prisma: Client,
  year: number = currentYear(),
): Promise<DashboardData> {
  checkYear(year);
  if ('$transaction' in prisma) {
    return prisma.$transaction((tx) => computeDashboard(tx, year), {
      isolationLevel: Prisma.TransactionIsolationLevel.RepeatableRead,
    });
  }
  return assembleDashboard(
    year,
    await readPipeline(prisma, year),
    await readYearPart(prisma, year),
  );
}

/** A dashboard's year: a RangeError outside YEAR_MIN..YEAR_MAX. */
export function checkYear(year: number): void {
  if (!Number.isInteger(year) || year < YEAR_MIN || year > YEAR_MAX) {
    throw new RangeError(`year must be an integer from ${YEAR_MIN} to ${YEAR_MAX}, got ${year}`);
  }
}
