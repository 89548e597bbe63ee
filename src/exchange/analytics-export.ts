/**
 * The long lists of pipeline analytics as CSV, streamed a page at a time like the project export:
 * approvals that broke the time limit (`approvalBreaches`) and projects that have not moved
 * (`stalledProjects`), with the same rules and filters as the GraphQL fields.
 */
import type { Prisma, PrismaClient } from '../generated/prisma/client.ts';
import {
  DEFAULT_STALLED_DAYS,
  STALLED_ORDER,
  stalledProjectsWhere,
} from '../services/analytics.ts';
import { ValidationError } from '../services/errors.ts';
import { approvalBreaches, MAX_BREACHES_PAGE } from '../services/stage-durations.ts';
import { districtToday } from '../services/stage-log.ts';
import {
  ExportFilterError,
  filterParamsFromSearch,
  resolveExportFilter,
  toCsvStream,
} from './csv-export.ts';
import { type Column, dateCell, headerCell, textCell } from './csv-format.ts';

export const APPROVAL_BREACH_COLUMNS: readonly Column[] = [
  { key: 'code', label: '项目编码' },
  { key: 'name', label: '项目名称' },
  { key: 'park', label: '园区' },
  { key: 'startedOn', label: '落地日' },
  { key: 'approvedOn', label: '审批日' },
  { key: 'workingDays', label: '工作日' },
  { key: 'calendarDays', label: '自然日' },
  { key: 'limitWorkingDays', label: '时限' },
  { key: 'overBy', label: '超出工作日' },
  { key: 'estimated', label: '估算' },
];

export const STALLED_COLUMNS: readonly Column[] = [
  { key: 'code', label: '项目编码' },
  { key: 'name', label: '项目名称' },
  { key: 'park', label: '园区' },
  { key: 'stage', label: '当前阶段' },
  { key: 'stageSince', label: '阶段起始日' },
  { key: 'daysAtStage', label: '停留天数' },
];

/** Takes this route's own params out of the query string; the rest are project filters. */
function ownParams(search: URLSearchParams, keys: readonly string[]) {
  const own: Record<string, string> = {};
  const rest = new URLSearchParams(search);
  for (const key of keys) {
    const value = rest.get(key)?.trim();
    if (value) own[key] = value;
    rest.delete(key);
  }
  return { own, rest };
}

function wholeNumber(value: string | undefined, key: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,6}$/.test(value)) throw new ExportFilterError(`${key}: not a whole number`);
  return Number(value);
}

function day(value: string | undefined, key: string): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(`${value}T00:00:00Z`);
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(value) ||
    Number.isNaN(date.getTime()) ||
    dateCell(date) !== value
  )
    throw new ExportFilterError(`${key}: not a date (YYYY-MM-DD)`);
  return date;
}

/** A service's ValidationError as a bad filter (400). */
async function checked<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof ValidationError) throw new ExportFilterError(error.message);
    throw error;
  }
}

/**
 * `approvalBreaches` as CSV rows: query params `limitWorkingDays`, `from`, `to`,
 * `includePending` (true/false), `park` and `sector` (code or name).
 */
export async function approvalBreachesCsv(prisma: PrismaClient, search: URLSearchParams) {
  const { own, rest } = ownParams(search, ['limitWorkingDays', 'from', 'to', 'includePending']);
  const filter = await resolveExportFilter(prisma, filterParamsFromSearch(rest));
  const { parkId, sectorId, ...others } = filter.project;
  if (Object.keys(others).length || filter.after !== null)
    throw new ExportFilterError('approval breaches filter by park and sector only');
  if (own.includePending && !['true', 'false'].includes(own.includePending))
    throw new ExportFilterError('includePending: true or false');
  const options = {
    limitWorkingDays: wholeNumber(own.limitWorkingDays, 'limitWorkingDays'),
    from: day(own.from, 'from'),
    to: day(own.to, 'to'),
    includePending: own.includePending ? own.includePending === 'true' : undefined,
    filter: { parkId, sectorId },
    today: districtToday(),
  };
  // The first page is read here, so a bad argument answers 400 before any byte.
  const first = await checked(() =>
    approvalBreaches(prisma, { ...options, first: MAX_BREACHES_PAGE, offset: 0 }),
  );
  async function* records(): AsyncGenerator<string[]> {
    yield APPROVAL_BREACH_COLUMNS.map(headerCell);
    let page = first;
    for (let offset = 0; ; ) {
      const projects = await prisma.project.findMany({
        where: { id: { in: page.items.map((i) => i.projectId) } },
        select: { id: true, code: true, name: true, park: { select: { code: true } } },
      });
      for (const item of page.items) {
        const p = projects.find((row) => row.id === item.projectId);
        const cells: Record<string, string> = {
          code: textCell(p?.code),
          name: textCell(p?.name),
          park: textCell(p?.park?.code),
          startedOn: dateCell(item.startedOn),
          approvedOn: dateCell(item.approvedOn),
          workingDays: String(item.workingDays),
          calendarDays: String(item.calendarDays),
          limitWorkingDays: String(page.limitWorkingDays),
          overBy: String(item.overBy),
          estimated: item.estimated ? 'true' : 'false',
        };
        yield APPROVAL_BREACH_COLUMNS.map((c) => cells[c.key] ?? '');
      }
      offset += page.items.length;
      if (page.items.length < MAX_BREACHES_PAGE) return;
      page = await approvalBreaches(prisma, { ...options, first: MAX_BREACHES_PAGE, offset });
    }
  }
  return toCsvStream(records());
}

/** `stalledProjects` as CSV rows, oldest first: `minDays` and the projects export's filters. */
export async function stalledProjectsCsv(prisma: PrismaClient, search: URLSearchParams) {
  const { own, rest } = ownParams(search, ['minDays']);
  const filter = await resolveExportFilter(prisma, filterParamsFromSearch(rest));
  if (filter.after !== null) throw new ExportFilterError('after applies to stage events only');
  const today = districtToday();
  const where = await checked(async () =>
    stalledProjectsWhere({
      minDays: wholeNumber(own.minDays, 'minDays') ?? DEFAULT_STALLED_DAYS,
      filter: filter.project,
      today,
    }),
  );
  const select = {
    id: true,
    code: true,
    name: true,
    stage: true,
    stageSince: true,
    park: { select: { code: true } },
  } as const;
  type StalledRow = Prisma.ProjectGetPayload<{ select: typeof select }>;
  const pageSize = 500;
  async function* records(): AsyncGenerator<string[]> {
    let cursor: number | null = null;
    for (let first = true; ; first = false) {
      const page: StalledRow[] = await prisma.project.findMany({
        where,
        orderBy: STALLED_ORDER,
        take: pageSize,
        ...(cursor !== null && { cursor: { id: cursor }, skip: 1 }),
        select,
      });
      if (first) yield STALLED_COLUMNS.map(headerCell);
      for (const p of page) {
        const cells: Record<string, string> = {
          code: textCell(p.code),
          name: textCell(p.name),
          park: textCell(p.park?.code),
          stage: p.stage,
          stageSince: dateCell(p.stageSince),
          daysAtStage: p.stageSince
            ? String(Math.round((today.getTime() - p.stageSince.getTime()) / 86_400_000))
            : '',
        };
        yield STALLED_COLUMNS.map((c) => cells[c.key] ?? '');
      }
      if (page.length < pageSize) return;
      cursor = page.at(-1)!.id;
    }
  }
  return toCsvStream(records());
}
