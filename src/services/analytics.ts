/**
 * Movement in the pipeline, read from the stage-event log: how many stage changes happened per
 * week or month, by the stage reached (`stageChangeTrend`), and which projects have not moved for
 * longest (`stalledProjectsWhere`, read through `Project.stageSince`).
 *
 * Time is the day a change happened (`occurredOn`), not when the hub recorded it: a change entered
 * today for last month counts last month. A date the log knows only to the month, quarter or year
 * (stored as the first day of its period) counts from the last day of its period, the first day by
 * which it had certainly happened; the answers say how many such estimates they hold. The same
 * rule derives `Project.stageSince` in the database (the `DatePrecision_periodEnd` SQL function).
 *
 * Each read is one SQL statement (a stalled page two: the page and its count), whatever the size
 * of the log: the trend is a grouped count by day, stage and precision, bucketed here; stalled
 * projects are an indexed range of `stageSince`.
 */
import {
  DatePrecision,
  type Prisma,
  type PrismaClient,
  ProjectStage,
  StageEventKind,
} from '../generated/prisma/client.ts';
import { stageEventWhere } from '../realtime/stage-tail.ts';
import { ValidationError } from './errors.ts';
import { type ProjectFilterValues, projectWhere } from './project-filter.ts';
import { districtToday } from './stage-log.ts';
import { PIPELINE } from './stages.ts';

type Client = Pick<PrismaClient, 'projectStageEvent'>;

/** The length of a trend's buckets. */
export type TrendInterval = 'WEEK' | 'MONTH';

/** The most buckets one trend may have (two years of weeks, ten of months). */
export const TREND_MAX_BUCKETS = 120;

/** Buckets of a trend without `from`: about a quarter of weeks, a year of months. */
export const TREND_DEFAULT_BUCKETS: Record<TrendInterval, number> = { WEEK: 13, MONTH: 12 };

/**
 * The kinds of event a trend counts by default: moves of a project. INITIAL (a project recorded
 * at its first stage) and CORRECTION (a fix of the record) are not movement; ask for them with
 * `kinds`.
 */
export const MOVE_KINDS: readonly StageEventKind[] = [
  StageEventKind.ADVANCE,
  StageEventKind.SUSPEND,
  StageEventKind.RESUME,
  StageEventKind.CANCEL,
];

/**
 * Stages whose projects can be stalled: the pipeline before its end. SUSPENDED and CANCELLED
 * projects stand still by decision, and AT_CAPACITY has finished the pipeline; they are left out
 * unless a filter names them.
 */
export const STALLABLE_STAGES: readonly ProjectStage[] = PIPELINE.filter(
  (s) => s !== ProjectStage.AT_CAPACITY,
);

/** Stalled projects without `minDays`: not moved for a month. */
export const DEFAULT_STALLED_DAYS = 30;
export const MAX_STALLED_DAYS = 36_500;

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of a UTC-midnight Date (the Date scalar's form), and back. */
const toDay = (date: Date): number => Math.floor(date.getTime() / DAY_MS);
const fromDay = (day: number): Date => new Date(day * DAY_MS);

function monthStart(date: Date, months = 0): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1));
}

/** The first day of the period of `precision` that holds `date`. */
function periodStart(date: Date, precision: DatePrecision): Date {
  switch (precision) {
    case DatePrecision.DAY:
      return date;
    case DatePrecision.MONTH:
      return monthStart(date);
    case DatePrecision.QUARTER:
      return new Date(
        Date.UTC(date.getUTCFullYear(), date.getUTCMonth() - (date.getUTCMonth() % 3), 1),
      );
    case DatePrecision.YEAR:
      return new Date(Date.UTC(date.getUTCFullYear(), 0, 1));
  }
}

/** The last day of the period of `precision` that holds `date`: when a change certainly had happened. */
export function periodEnd(date: Date, precision: DatePrecision): Date {
  const months = { DAY: 0, MONTH: 1, QUARTER: 3, YEAR: 12 }[precision];
  if (!months) return date;
  return fromDay(toDay(monthStart(periodStart(date, precision), months)) - 1);
}

/** Whether a date of `precision` is less exact than buckets of `interval` (so placed by estimate). */
function coarserThan(precision: DatePrecision, interval: TrendInterval): boolean {
  return interval === 'WEEK'
    ? precision !== DatePrecision.DAY
    : precision === DatePrecision.QUARTER || precision === DatePrecision.YEAR;
}

/** The first day of the bucket holding `date`: its week's Monday, or its month's first day. */
function bucketStart(date: Date, interval: TrendInterval): Date {
  if (interval === 'MONTH') return monthStart(date);
  const day = toDay(date);
  // 1970-01-01 was a Thursday: Monday-based weekday = (day + 3) mod 7.
  return fromDay(day - ((day + 3) % 7));
}

function nextBucket(start: Date, interval: TrendInterval): Date {
  return interval === 'MONTH' ? monthStart(start, 1) : fromDay(toDay(start) + 7);
}

export interface StageCount {
  stage: ProjectStage;
  count: number;
}

export interface TrendBucket {
  /** First day of the week (Monday) or month. */
  start: Date;
  /** Last day of the bucket, or the trend's `to` for the last one. */
  end: Date;
  /** Stage changes counted in the bucket. */
  count: number;
  /** Of those, changes whose date is less exact than the bucket, counted at the end of their period. */
  estimatedCount: number;
  /** The changes by the stage they reached (`toStage`), stages without changes left out, in stage order. */
  byStage: StageCount[];
}

export interface StageChangeTrend {
  interval: TrendInterval;
  /** The first bucket's first day. */
  from: Date;
  /** The last day counted. */
  to: Date;
  kinds: StageEventKind[];
  total: number;
  estimatedCount: number;
  buckets: TrendBucket[];
}

export interface TrendOptions {
  interval?: TrendInterval | null;
  /** A day in the first bucket. @default the bucket TREND_DEFAULT_BUCKETS - 1 before `to`'s */
  from?: Date | null;
  /** The last day counted. @default today in the district */
  to?: Date | null;
  /** As for `projectStageChanged`: `stage` matches an event into or out of the stages. */
  filter?: ProjectFilterValues | null;
  /** @default MOVE_KINDS */
  kinds?: readonly StageEventKind[] | null;
  /** The district's today (tests fix it). @default districtToday() */
  today?: Date;
}

/** Checks the period of a trend; returns its first bucket's start, its end and its buckets' starts. */
function trendPeriod(
  interval: TrendInterval,
  from: Date | null | undefined,
  to: Date | null | undefined,
  today: Date,
) {
  const end = to ?? today;
  let start = bucketStart(end, interval);
  if (from) start = bucketStart(from, interval);
  else
    for (let i = 1; i < TREND_DEFAULT_BUCKETS[interval]; i++)
      start = bucketStart(fromDay(toDay(start) - 1), interval);
  if (start.getTime() > end.getTime()) {
    throw new ValidationError(
      `\`from\` (${iso(from ?? start)}) must not be after \`to\` (${iso(end)})`,
      [{ path: ['from'], message: 'after `to`' }],
    );
  }
  const starts: Date[] = [];
  for (let s = start; s.getTime() <= end.getTime(); s = nextBucket(s, interval)) {
    starts.push(s);
    if (starts.length > TREND_MAX_BUCKETS) {
      throw new ValidationError(
        `A trend has at most ${TREND_MAX_BUCKETS} buckets; ask for a shorter period or a longer interval`,
        [{ path: ['from'], message: `more than ${TREND_MAX_BUCKETS} buckets` }],
      );
    }
  }
  return { start, end, starts };
}

const iso = (date: Date) => date.toISOString().slice(0, 10);

/**
 * Stage changes per week or month over a period, by stage reached. One grouped statement: the
 * events of the period (by the day each counts on) are counted by day, stage and precision in the
 * database, and those counts are put in buckets here.
 */
export async function stageChangeTrend(
  prisma: Client,
  options: TrendOptions = {},
): Promise<StageChangeTrend> {
  const interval = options.interval ?? 'WEEK';
  const kinds = options.kinds?.length ? [...new Set(options.kinds)] : [...MOVE_KINDS];
  const { start, end, starts } = trendPeriod(
    interval,
    options.from,
    options.to,
    options.today ?? districtToday(),
  );
  // An event counts on the last day of its period: read each precision from the start of the
  // period that holds the first bucket's first day (the exact cut is made below).
  const byPrecision = Object.values(DatePrecision).map((precision) => ({
    occurredPrecision: precision,
    occurredOn: { gte: periodStart(start, precision), lte: end },
  }));
  const groups = await prisma.projectStageEvent.groupBy({
    by: ['occurredOn', 'occurredPrecision', 'toStage'],
    where: { AND: [stageEventWhere(options.filter), { kind: { in: kinds } }, { OR: byPrecision }] },
    _count: { _all: true },
  });

  const buckets: TrendBucket[] = starts.map((s, i) => ({
    start: s,
    end: i + 1 < starts.length ? fromDay(toDay(starts[i + 1]!) - 1) : end,
    count: 0,
    estimatedCount: 0,
    byStage: [],
  }));
  const tallies = buckets.map(() => new Map<ProjectStage, number>());
  for (const group of groups) {
    const day = periodEnd(group.occurredOn, group.occurredPrecision);
    if (day.getTime() < start.getTime() || day.getTime() > end.getTime()) continue;
    const index = findBucket(starts, day);
    const bucket = buckets[index]!;
    const n = group._count._all;
    bucket.count += n;
    if (coarserThan(group.occurredPrecision, interval)) bucket.estimatedCount += n;
    tallies[index]!.set(group.toStage, (tallies[index]!.get(group.toStage) ?? 0) + n);
  }
  const order = Object.values(ProjectStage);
  buckets.forEach((bucket, i) => {
    bucket.byStage = order
      .filter((stage) => tallies[i]!.has(stage))
      .map((stage) => ({ stage, count: tallies[i]!.get(stage)! }));
  });
  return {
    interval,
    from: start,
    to: end,
    kinds,
    total: buckets.reduce((sum, b) => sum + b.count, 0),
    estimatedCount: buckets.reduce((sum, b) => sum + b.estimatedCount, 0),
    buckets,
  };
}

/** The index of the last bucket starting on or before `day` (starts are ascending). */
function findBucket(starts: Date[], day: Date): number {
  let index = 0;
  while (index + 1 < starts.length && starts[index + 1]!.getTime() <= day.getTime()) index++;
  return index;
}

export interface StalledOptions {
  /** Not moved for at least this many days. @default DEFAULT_STALLED_DAYS */
  minDays?: number | null;
  /** As for `projects`; its `stage` replaces STALLABLE_STAGES when given. */
  filter?: ProjectFilterValues | null;
  /** @default districtToday() */
  today?: Date;
}

/**
 * Projects that have not moved for at least `minDays` days: at a stallable stage (or a stage the
 * filter names), matching the filter, with `stageSince` that many days before today or earlier.
 * Read them oldest first with `STALLED_ORDER`.
 */
export function stalledProjectsWhere(options: StalledOptions = {}): Prisma.ProjectWhereInput {
  const minDays = options.minDays ?? DEFAULT_STALLED_DAYS;
  if (!Number.isInteger(minDays) || minDays < 0 || minDays > MAX_STALLED_DAYS) {
    throw new ValidationError(
      `\`minDays\` must be a whole number from 0 to ${MAX_STALLED_DAYS}, got ${minDays}`,
      [{ path: ['minDays'], message: `from 0 to ${MAX_STALLED_DAYS}` }],
    );
  }
  const today = options.today ?? districtToday();
  const stages = options.filter?.stage?.length ? options.filter.stage : STALLABLE_STAGES;
  return {
    AND: [
      projectWhere(options.filter),
      { stage: { in: [...stages] } },
      { stageSince: { lte: fromDay(toDay(today) - minDays) } },
    ],
  };
}

/** Oldest first; ties by id, so pages are stable. */
export const STALLED_ORDER: Prisma.ProjectOrderByWithRelationInput[] = [
  { stageSince: 'asc' },
  { id: 'asc' },
];

/** Whole days from `since` to today in the district (0 for today or a later day). */
export function daysSince(since: Date, today: Date = districtToday()): number {
  return Math.max(0, toDay(today) - toDay(since));
}
