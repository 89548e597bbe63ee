/**
 * Mainland China's working-day calendar: Monday to Friday are working days, except the days in
 * WorkingCalendarDay (public holidays, and weekend days worked in exchange, 调休上班). The State
 * Council's announcements for 2024 to 2026 ship with the hub (the migration
 * 20261202000000_stage_periods_calendar); 2027 is provisional. An admin records a new year's
 * announcement, or corrects a day, with `setWorkingCalendarDays`. Working days are counted in SQL
 * ("WorkingDays_between"), so duration reads stay one statement.
 */
import type { PrismaClient, WorkingCalendarDay } from '../generated/prisma/client.ts';
import { ValidationError } from './errors.ts';
import { InputChecks, SHORT_TEXT_MAX_LENGTH, type WriteDeps } from './input-checks.ts';

/** The most days one write may set (a year of holidays is about 35). */
export const MAX_CALENDAR_DAYS_PER_WRITE = 400;

export interface CalendarDayInput {
  day: Date;
  /** True: a weekend day worked in exchange; false: a public holiday. */
  working: boolean;
  /** The holiday it belongs to, e.g. 春节. */
  name: string;
  /** Set by the State Council's announcement (false: provisional). @default true */
  official?: boolean | null;
}

/** The calendar's exceptions in a year, by day. */
export function workingCalendarDays(
  prisma: Pick<PrismaClient, 'workingCalendarDay'>,
  year: number,
): Promise<WorkingCalendarDay[]> {
  return prisma.workingCalendarDay.findMany({
    where: { day: { gte: new Date(Date.UTC(year, 0, 1)), lte: new Date(Date.UTC(year, 11, 31)) } },
    orderBy: { day: 'asc' },
  });
}

/**
 * Sets each day (creating or replacing it) in one transaction, then publishes
 * `dataChanged { domain: 'calendar' }` so duration reads are computed again. Throws
 * ValidationError (nothing written) on a bad day or name, or a day given twice.
 */
export async function setWorkingCalendarDays(
  deps: WriteDeps,
  days: readonly CalendarDayInput[],
  actor: string,
): Promise<WorkingCalendarDay[]> {
  const check = new InputChecks(deps.now?.() ?? new Date());
  if (!days.length || days.length > MAX_CALENDAR_DAYS_PER_WRITE) {
    throw new ValidationError(`Give 1 to ${MAX_CALENDAR_DAYS_PER_WRITE} days, got ${days.length}`, [
      { path: ['input', 'days'], message: `1 to ${MAX_CALENDAR_DAYS_PER_WRITE} days` },
    ]);
  }
  const seen = new Set<number>();
  const rows = days.map((d, i) => {
    const field = `days.${i}`;
    check.date(`${field}.day`, d.day);
    check.year(`${field}.day`, d.day.getUTCFullYear());
    const name = check.text(`${field}.name`, d.name, SHORT_TEXT_MAX_LENGTH, true);
    if (seen.has(d.day.getTime())) check.problem(`${field}.day`, `${field}.day is given twice`);
    seen.add(d.day.getTime());
    return { day: d.day, working: d.working, name: name ?? '', official: d.official ?? true };
  });
  check.throwIfInvalid();
  const written = await deps.prisma.$transaction(
    rows.map((row) =>
      deps.prisma.workingCalendarDay.upsert({
        where: { day: row.day },
        create: { ...row, recordedBy: actor },
        update: { ...row, recordedBy: actor, recordedAt: new Date() },
      }),
    ),
  );
  deps.pubsub?.publish('dataChanged', { domain: 'calendar' });
  return written;
}
