/**
 * How long stages take, from the stage-event log, and the projects that broke the district's
 * promise on approval time.
 *
 * A project reached a pipeline stage on the effective day (see src/services/as-of.ts) of its first
 * event into that stage or a later one, as the funnel counts it. It made the move from A to B on
 * the day it reached B, provided it was seen at a stage from A up to before B first (a project
 * recorded straight at B or beyond, or one that jumped from before A to B or beyond, has no
 * measurable time for the move and is not counted). The move took the days from reaching A to
 * reaching B: calendar days, and working days of mainland China (Monday to Friday except public
 * holidays, plus the weekend days worked in exchange; WorkingCalendarDay, counted as the SQL
 * function "WorkingDays_between" defines it, written out in each read). Time spent SUSPENDED on the way counts: the promise is to the investor.
 *
 * Each read is one SQL statement over the log, whatever its size (an approval-breach page adds
 * one batched read of its projects).
 */
import { Prisma, type PrismaClient, ProjectStage } from '../generated/prisma/client.ts';
import { checkAsOf } from './as-of.ts';
import { ValidationError } from './errors.ts';
import { reachCte, stageArray } from './log-sql.ts';
import { districtToday } from './stage-log.ts';
import { PIPELINE, stageRank } from './stages.ts';

type Client = Pick<PrismaClient, '$queryRaw'>;

const iso = (date: Date) => date.toISOString().slice(0, 10);

/** Filters on the projects counted: those of `projects` that the log's reads can apply in SQL. */
export interface PipelineFilterValues {
  parkId?: number | null;
  sectorId?: number | null;
}

export interface StagePair {
  from: ProjectStage;
  to: ProjectStage;
}

/** Each pipeline stage to the next one: the pairs a duration read gives by default. */
export const DEFAULT_STAGE_PAIRS: readonly StagePair[] = PIPELINE.slice(1).map((to, i) => ({
  from: PIPELINE[i]!,
  to,
}));

/** Every ordered pair of pipeline stages (66). */
export const MAX_STAGE_PAIRS = (PIPELINE.length * (PIPELINE.length - 1)) / 2;

export interface StageDuration {
  from: ProjectStage;
  to: ProjectStage;
  /** Projects that made the move in the period. */
  count: number;
  /** Of those, moves with an end dated only to a month, quarter or year (counted at its end). */
  estimatedCount: number;
  /** Days from reaching `from` to reaching `to`; null without moves. */
  medianDays: number | null;
  p90Days: number | null;
  medianWorkingDays: number | null;
  p90WorkingDays: number | null;
}

export interface StageDurationOptions {
  /** First and last day of the period, by the day the move ended (reaching `to`). */
  from: Date;
  to: Date;
  /** @default DEFAULT_STAGE_PAIRS */
  pairs?: readonly StagePair[] | null;
  filter?: PipelineFilterValues | null;
}

/** Checks a period of days: both days in range, `from` not after `to`. */
export function checkPeriod(from: Date, to: Date): void {
  checkAsOf(from, 'from');
  checkAsOf(to, 'to');
  if (from.getTime() > to.getTime()) {
    throw new ValidationError(`\`from\` (${iso(from)}) must not be after \`to\` (${iso(to)})`, [
      { path: ['from'], message: 'after `to`' },
    ]);
  }
}

function checkPairs(pairs: readonly StagePair[]): void {
  if (pairs.length > MAX_STAGE_PAIRS) {
    throw new ValidationError(`At most ${MAX_STAGE_PAIRS} stage pairs, got ${pairs.length}`, [
      { path: ['pairs'], message: `at most ${MAX_STAGE_PAIRS}` },
    ]);
  }
  for (const [i, { from, to }] of pairs.entries()) {
    const a = stageRank(from);
    const b = stageRank(to);
    if (a < 0 || b < 0 || a >= b) {
      throw new ValidationError(
        `Stage pair ${from} → ${to}: both must be pipeline stages (not SUSPENDED or CANCELLED), the first before the second`,
        [{ path: ['pairs', String(i)], message: 'not two pipeline stages in order' }],
      );
    }
  }
}

/** SQL conditions on the project `p` for a filter. */
function projectConditions(filter: PipelineFilterValues | null | undefined): Prisma.Sql {
  const parts: Prisma.Sql[] = [Prisma.sql`TRUE`];
  if (filter?.parkId != null) parts.push(Prisma.sql`p."parkId" = ${filter.parkId}`);
  if (filter?.sectorId != null) parts.push(Prisma.sql`p."sectorId" = ${filter.sectorId}`);
  return Prisma.join(parts, ' AND ');
}

/** Weekdays from Monday 1900-01-01 up to and including the day `d` (as "WorkingDays_upTo"). */
const weekdaysUpTo = (d: Prisma.Sql) =>
  Prisma.sql`(5 * floor((${d} - DATE '1900-01-01' + 1) / 7.0) + LEAST(((${d} - DATE '1900-01-01' + 1) % 7 + 7) % 7, 5))::int`;

/**
 * The working-day calendar's exceptions as a CTE `cal`: each exception day, the running sum of
 * what the exceptions up to it add to a weekday count (+1 a weekend day worked, −1 a weekday
 * off), and the next exception day. `calJoin(alias, day)` joins the row in force on `day`.
 */
const CAL_CTE = Prisma.sql`cal AS (
    SELECT day, LEAD(day) OVER (ORDER BY day) AS next,
           SUM(CASE WHEN working AND EXTRACT(ISODOW FROM day) > 5 THEN 1
                    WHEN NOT working AND EXTRACT(ISODOW FROM day) <= 5 THEN -1
                    ELSE 0 END) OVER (ORDER BY day) AS cum
      FROM "WorkingCalendarDay"
  )`;
const calJoin = (alias: string, day: Prisma.Sql) =>
  Prisma.sql`LEFT JOIN cal ${Prisma.raw(alias)} ON ${Prisma.raw(alias)}.day <= ${day} AND (${Prisma.raw(alias)}.next IS NULL OR ${day} < ${Prisma.raw(alias)}.next)`;
/** Working days d with a < d <= b (a <= b), given the `cal` rows joined on a and on b. */
const workingDays = (a: Prisma.Sql, b: Prisma.Sql, calA: string, calB: string) =>
  Prisma.sql`(${weekdaysUpTo(b)} - ${weekdaysUpTo(a)} + (COALESCE(${Prisma.raw(calB)}.cum, 0) - COALESCE(${Prisma.raw(calA)}.cum, 0))::int)`;

/**
 * For each pair of stages, the projects that made the move in the period (by the day they
 * reached the second stage) and how long it took: median and 90th percentile (continuous, as
 * `percentile_cont`), in calendar and in working days. One statement.
 */
export async function stageDurations(
  prisma: Client,
  options: StageDurationOptions,
): Promise<StageDuration[]> {
  checkPeriod(options.from, options.to);
  const pairs = options.pairs?.length ? options.pairs : DEFAULT_STAGE_PAIRS;
  checkPairs(pairs);
  const stages = [...new Set(pairs.flatMap((p) => [p.from, p.to]))];
  const rows = await prisma.$queryRaw<StageDuration[]>(Prisma.sql`
    WITH ${reachCte(stages)},
    ${CAL_CTE},
    pairs AS (
      SELECT * FROM unnest(${stageArray(pairs.map((p) => p.from))},
                           ${stageArray(pairs.map((p) => p.to))}) AS t(a, b)
    ),
    moves AS (
      SELECT pairs.a, pairs.b, rb."on" - ra."on" AS days,
             ${workingDays(Prisma.sql`ra."on"`, Prisma.sql`rb."on"`, 'ca', 'cb')} AS wdays,
             ra.est OR rb.est AS est
        FROM pairs
        JOIN reach rb ON rb.stage = pairs.b
        JOIN reach ra ON ra."projectId" = rb."projectId" AND ra.stage = pairs.a AND ra.via < pairs.b
        JOIN "Project" p ON p.id = rb."projectId"
        ${calJoin('ca', Prisma.sql`ra."on"`)}
        ${calJoin('cb', Prisma.sql`rb."on"`)}
       WHERE rb."on" BETWEEN ${options.from}::date AND ${options.to}::date
         AND ${projectConditions(options.filter)}
    )
    SELECT a::text AS "from", b::text AS "to", COUNT(*)::int AS count,
           (COUNT(*) FILTER (WHERE est))::int AS "estimatedCount",
           percentile_cont(0.5) WITHIN GROUP (ORDER BY days) AS "medianDays",
           percentile_cont(0.9) WITHIN GROUP (ORDER BY days) AS "p90Days",
           percentile_cont(0.5) WITHIN GROUP (ORDER BY wdays) AS "medianWorkingDays",
           percentile_cont(0.9) WITHIN GROUP (ORDER BY wdays) AS "p90WorkingDays"
      FROM moves
     GROUP BY a, b`);
  return pairs.map(({ from, to }) => {
    const row = rows.find((r) => r.from === from && r.to === to);
    return {
      from,
      to,
      count: row?.count ?? 0,
      estimatedCount: row?.estimatedCount ?? 0,
      medianDays: numberOrNull(row?.medianDays),
      p90Days: numberOrNull(row?.p90Days),
      medianWorkingDays: numberOrNull(row?.medianWorkingDays),
      p90WorkingDays: numberOrNull(row?.p90WorkingDays),
    };
  });
}

/** Days rounded to two decimals (percentiles interpolate between whole days). */
const numberOrNull = (value: number | string | null | undefined) =>
  value === null || value === undefined ? null : Math.round(Number(value) * 100) / 100;

// ---------------------------------------------------------------------------------------------
// Approval time against the promise

/** The approval clock runs from reaching LANDED (落地) to reaching APPROVED (审批/备案). */
export const APPROVAL_FROM: ProjectStage = ProjectStage.LANDED;
export const APPROVAL_TO: ProjectStage = ProjectStage.APPROVED;

/** The limit without an argument or a reported figure: the 2025 report's 35 working days. */
export const DEFAULT_APPROVAL_LIMIT = 35;

/**
 * The district's reported limit: the latest reported figure whose code ends with this (e.g.
 * `lz-2025-approval-time-limit`) in `working_days`. An admin records a new one to change it.
 */
export const APPROVAL_LIMIT_CODE_SUFFIX = '-approval-time-limit';

export const MAX_APPROVAL_LIMIT = 3_650;
export const MAX_BREACHES_PAGE = 500;

export type ApprovalLimitSource = 'ARGUMENT' | 'REPORTED_FIGURE' | 'DEFAULT';

export interface ApprovalBreach {
  projectId: number;
  /** The day the project reached LANDED. */
  startedOn: Date;
  /** The day it reached APPROVED; null while still waiting. */
  approvedOn: Date | null;
  /** Working days from `startedOn` to `approvedOn`, or to today while waiting. */
  workingDays: number;
  calendarDays: number;
  /** Working days beyond the limit. */
  overBy: number;
  /** A day of the two is dated only to a month, quarter or year. */
  estimated: boolean;
}

export interface ApprovalBreaches {
  limitWorkingDays: number;
  limitSource: ApprovalLimitSource;
  totalCount: number;
  /** Oldest start first. */
  items: ApprovalBreach[];
}

export interface ApprovalBreachOptions {
  /** @default the reported limit, else DEFAULT_APPROVAL_LIMIT */
  limitWorkingDays?: number | null;
  /** Approvals completed on or after / on or before these days (waiting projects are not dated). */
  from?: Date | null;
  to?: Date | null;
  /** List the projects still waiting past the limit. @default true */
  includePending?: boolean | null;
  filter?: PipelineFilterValues | null;
  /** @default 50 */
  first?: number | null;
  offset?: number | null;
  /** @default districtToday() */
  today?: Date;
}

interface BreachRow {
  projectId: number | null;
  startedOn: Date | null;
  approvedOn: Date | null;
  workingDays: number | null;
  calendarDays: number | null;
  estimated: boolean | null;
  limit: number;
  source: ApprovalLimitSource;
  total: number;
}

/**
 * Projects whose approval took longer than the limit in working days, or that have waited longer
 * than it (still in the pipeline: not SUSPENDED or CANCELLED), oldest start first. One
 * statement: the limit, the page and the total count.
 */
export async function approvalBreaches(
  prisma: Client,
  options: ApprovalBreachOptions = {},
): Promise<ApprovalBreaches> {
  const limit = options.limitWorkingDays;
  if (limit != null && (!Number.isInteger(limit) || limit < 0 || limit > MAX_APPROVAL_LIMIT)) {
    throw new ValidationError(
      `\`limitWorkingDays\` must be a whole number from 0 to ${MAX_APPROVAL_LIMIT}, got ${limit}`,
      [{ path: ['limitWorkingDays'], message: `from 0 to ${MAX_APPROVAL_LIMIT}` }],
    );
  }
  const first = options.first ?? 50;
  const offset = options.offset ?? 0;
  if (!Number.isInteger(first) || first < 0 || first > MAX_BREACHES_PAGE) {
    throw new ValidationError(`\`first\` must be from 0 to ${MAX_BREACHES_PAGE}, got ${first}`, [
      { path: ['first'], message: `from 0 to ${MAX_BREACHES_PAGE}` },
    ]);
  }
  if (!Number.isInteger(offset) || offset < 0) {
    throw new ValidationError(`\`offset\` must not be negative, got ${offset}`, [
      { path: ['offset'], message: 'negative' },
    ]);
  }
  const from = options.from ?? null;
  const to = options.to ?? null;
  if (from) checkAsOf(from, 'from');
  if (to) checkAsOf(to, 'to');
  if (from && to) checkPeriod(from, to);
  const today = options.today ?? districtToday();
  const pending = options.includePending ?? true;
  const rows = await prisma.$queryRaw<BreachRow[]>(Prisma.sql`
    WITH lim AS (
      SELECT COALESCE(${limit}::int, f.value::int, ${DEFAULT_APPROVAL_LIMIT}::int) AS "limit",
             CASE WHEN ${limit}::int IS NOT NULL THEN 'ARGUMENT'
                  WHEN f.value IS NOT NULL THEN 'REPORTED_FIGURE' ELSE 'DEFAULT' END AS source
        FROM (SELECT 1) AS one
        LEFT JOIN LATERAL (
          SELECT r.value FROM "ReportedFigure" r
           WHERE r.code LIKE ${`%${APPROVAL_LIMIT_CODE_SUFFIX}`} AND r.unit = 'working_days'
             AND r.value IS NOT NULL
           ORDER BY r."asOf" DESC, r.id DESC LIMIT 1) f ON true
    ),
    ${reachCte([APPROVAL_FROM, APPROVAL_TO])},
    ${CAL_CTE},
    cases AS (
      SELECT rl."projectId", rl."on" AS "startedOn", ra."on" AS "approvedOn",
             ${workingDays(Prisma.sql`rl."on"`, Prisma.sql`COALESCE(ra."on", ${today}::date)`, 'ca', 'cb')} AS "workingDays",
             COALESCE(ra."on", ${today}::date) - rl."on" AS "calendarDays",
             rl.est OR COALESCE(ra.est, false) AS estimated
        FROM reach rl
        JOIN "Project" p ON p.id = rl."projectId"
        LEFT JOIN reach ra ON ra."projectId" = rl."projectId" AND ra.stage = ${APPROVAL_TO}::"ProjectStage"
        ${calJoin('ca', Prisma.sql`rl."on"`)}
        ${calJoin('cb', Prisma.sql`COALESCE(ra."on", ${today}::date)`)}
       WHERE rl.stage = ${APPROVAL_FROM}::"ProjectStage" AND rl.via < ${APPROVAL_TO}::"ProjectStage"
         AND ${projectConditions(options.filter)}
         AND CASE WHEN ra."on" IS NULL
                  THEN ${pending} AND p.stage NOT IN ('SUSPENDED', 'CANCELLED')
                  ELSE (${from}::date IS NULL OR ra."on" >= ${from}::date)
                   AND (${to}::date IS NULL OR ra."on" <= ${to}::date)
             END
    )
    SELECT lim."limit", lim.source,
           (SELECT COUNT(*)::int FROM cases c WHERE c."workingDays" > lim."limit") AS total,
           page.*
      FROM lim
      LEFT JOIN LATERAL (
        SELECT c.* FROM cases c
         WHERE c."workingDays" > lim."limit"
         ORDER BY c."startedOn", c."projectId"
         LIMIT ${first} OFFSET ${offset}) page ON true`);
  // One row at least: the limit and the count, with the page's columns null when it is empty.
  const head = rows[0]!;
  return {
    limitWorkingDays: head.limit,
    limitSource: head.source,
    totalCount: head.total,
    items: rows
      .filter((r) => r.projectId !== null)
      .map((r) => ({
        projectId: r.projectId!,
        startedOn: r.startedOn!,
        approvedOn: r.approvedOn,
        workingDays: r.workingDays!,
        calendarDays: r.calendarDays!,
        overBy: r.workingDays! - r.limit,
        estimated: r.estimated!,
      })),
  };
}
