/**
 * CSV export of projects and of the stage-event log, streamed: rows are read from the database
 * a page at a time as the consumer (a file, an HTTP response) takes them, so an export of any
 * size holds one page in memory. Filters are the ones of `projects(filter)` (projectWhere).
 */
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { Prisma, PrismaClient } from '../generated/prisma/client.ts';
import { quoteInput } from '../services/errors.ts';
import { filterTextProblem } from '../services/input-checks.ts';
import { type ProjectFilterValues, projectWhere } from '../services/project-filter.ts';
import { readSequence } from '../services/stage-log.ts';
import { milestoneDates, PIPELINE } from '../services/stages.ts';
import {
  amountCell,
  CellError,
  CSV_WRITE_OPTIONS,
  dateCell,
  headerCell,
  milestoneKey,
  PROJECT_COLUMNS,
  readAmount,
  readDate,
  readStage,
  STAGE_EVENT_COLUMNS,
  textCell,
} from './csv-format.ts';

/** Rows read per database round trip. */
const PAGE_SIZE = 500;

/**
 * An export filter as the CLI and HTTP give it: `projects(filter)`'s fields, with parks and
 * sectors named by code (or name) instead of global ids. Resolved by `resolveExportFilter`.
 */
export interface ExportFilterParams {
  stage?: string[];
  park?: string;
  sector?: string;
  nameContains?: string;
  plannedInvestmentMin?: string;
  plannedInvestmentMax?: string;
  reachedStage?: string;
  reachedFrom?: string;
  reachedTo?: string;
  changedFrom?: string;
  changedTo?: string;
  /** Stage-event export only: events after this log sequence. */
  after?: string;
}

/** A filter the caller got wrong: HTTP answers 400, the CLI exits 2. */
export class ExportFilterError extends Error {
  override name = 'ExportFilterError';
}

const FILTER_KEYS = [
  'stage',
  'park',
  'sector',
  'nameContains',
  'plannedInvestmentMin',
  'plannedInvestmentMax',
  'reachedStage',
  'reachedFrom',
  'reachedTo',
  'changedFrom',
  'changedTo',
  'after',
] as const;

/** Filter params from a query string: `stage` may repeat or be comma-separated. Unknown keys are an error. */
export function filterParamsFromSearch(search: URLSearchParams): ExportFilterParams {
  const params: ExportFilterParams = {};
  for (const key of new Set(search.keys())) {
    if (!(FILTER_KEYS as readonly string[]).includes(key)) {
      throw new ExportFilterError(
        `unknown filter ${JSON.stringify(key)} (known: ${FILTER_KEYS.join(', ')})`,
      );
    }
  }
  const stages = search
    .getAll('stage')
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  if (stages.length) params.stage = stages;
  for (const key of FILTER_KEYS) {
    if (key === 'stage') continue;
    const value = search.get(key)?.trim();
    if (value) params[key] = value;
  }
  return params;
}

export interface ResolvedExportFilter {
  project: ProjectFilterValues;
  after: bigint | null;
}

function wrap<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof CellError) throw new ExportFilterError(error.message);
    throw error;
  }
}

/** Checks the params and looks up park and sector codes; ExportFilterError when one is wrong. */
export async function resolveExportFilter(
  prisma: PrismaClient,
  params: ExportFilterParams,
): Promise<ResolvedExportFilter> {
  for (const [key, value] of Object.entries(params)) {
    for (const text of [value].flat()) {
      const reason = typeof text === 'string' ? filterTextProblem(text) : null;
      if (reason) throw new ExportFilterError(`${key} ${reason}`);
    }
  }
  const filter: ProjectFilterValues = {};
  if (params.stage?.length)
    filter.stage = params.stage.map((s) => wrap(() => readStage(s, 'stage')!));
  if (params.park) {
    const park = await prisma.park.findFirst({
      where: { OR: [{ code: params.park }, { name: params.park }] },
      select: { id: true },
    });
    if (!park)
      throw new ExportFilterError(
        `park: no park has the code or name ${JSON.stringify(params.park)}`,
      );
    filter.parkId = park.id;
  }
  if (params.sector) {
    const sector = await prisma.sector.findFirst({
      where: { OR: [{ code: params.sector }, { name: params.sector }] },
      select: { id: true },
    });
    if (!sector)
      throw new ExportFilterError(
        `sector: no sector has the code or name ${JSON.stringify(params.sector)}`,
      );
    filter.sectorId = sector.id;
  }
  if (params.nameContains) filter.nameContains = params.nameContains;
  if (params.plannedInvestmentMin)
    filter.plannedInvestmentMin = wrap(() =>
      readAmount(params.plannedInvestmentMin, 'plannedInvestmentMin'),
    );
  if (params.plannedInvestmentMax)
    filter.plannedInvestmentMax = wrap(() =>
      readAmount(params.plannedInvestmentMax, 'plannedInvestmentMax'),
    );
  if (params.reachedStage) {
    filter.reached = {
      stage: wrap(() => readStage(params.reachedStage, 'reachedStage')!),
      from: wrap(() => readDate(params.reachedFrom, 'reachedFrom')),
      to: wrap(() => readDate(params.reachedTo, 'reachedTo')),
    };
  } else if (params.reachedFrom || params.reachedTo) {
    throw new ExportFilterError('reachedFrom and reachedTo need reachedStage');
  }
  if (params.changedFrom)
    filter.changedFrom = wrap(() => readDate(params.changedFrom, 'changedFrom'));
  if (params.changedTo) filter.changedTo = wrap(() => readDate(params.changedTo, 'changedTo'));
  let after: bigint | null = null;
  if (params.after) {
    after = readSequence(params.after);
    if (after === null)
      throw new ExportFilterError(`after: ${quoteInput(params.after)} is not a log sequence`);
  }
  return { project: filter, after };
}

const projectSelect = {
  id: true,
  code: true,
  name: true,
  nameEn: true,
  description: true,
  stage: true,
  stageBeforeSuspension: true,
  investor: true,
  plannedInvestment: true,
  completedInvestment: true,
  expectedOutputValue: true,
  notes: true,
  sector: { select: { code: true, name: true } },
  park: { select: { code: true, name: true } },
  stageEvents: {
    select: { toStage: true, occurredOn: true, note: true },
    orderBy: { sequence: 'asc' },
  },
} satisfies Prisma.ProjectSelect;

type ExportedProject = Prisma.ProjectGetPayload<{ select: typeof projectSelect }>;

/** One project as a CSV row, in PROJECT_COLUMNS order. */
export function projectRow(p: ExportedProject): string[] {
  const latest = p.stageEvents.at(-1);
  const reached = milestoneDates(p.stageEvents);
  const cells: Record<string, string> = {
    code: textCell(p.code),
    name: textCell(p.name),
    nameEn: textCell(p.nameEn),
    stage: p.stage,
    stageOn: dateCell(latest?.occurredOn),
    stageNote: textCell(latest?.note),
    stageBeforeSuspension: p.stageBeforeSuspension ?? '',
    sector: textCell(p.sector?.code),
    sectorName: textCell(p.sector?.name),
    park: textCell(p.park?.code),
    parkName: textCell(p.park?.name),
    investor: textCell(p.investor),
    plannedInvestment: amountCell(p.plannedInvestment),
    completedInvestment: amountCell(p.completedInvestment),
    expectedOutputValue: amountCell(p.expectedOutputValue),
    description: textCell(p.description),
    notes: textCell(p.notes),
  };
  for (const stage of PIPELINE) cells[milestoneKey(stage)] = dateCell(reached.get(stage));
  return PROJECT_COLUMNS.map((c) => cells[c.key] ?? '');
}

// Both generators read their first page before the header row, so that a stream's first bytes
// mean the database answered (the HTTP routes answer an error before any byte otherwise).

async function* projectRecords(
  prisma: PrismaClient,
  filter: ProjectFilterValues,
): AsyncGenerator<string[]> {
  const where = projectWhere(filter);
  let lastId = 0;
  for (;;) {
    const page = await prisma.project.findMany({
      where: { AND: [where, { id: { gt: lastId } }] },
      orderBy: { id: 'asc' },
      take: PAGE_SIZE,
      select: projectSelect,
    });
    if (lastId === 0) yield PROJECT_COLUMNS.map(headerCell);
    for (const p of page) yield projectRow(p);
    if (page.length < PAGE_SIZE) return;
    lastId = page.at(-1)!.id;
  }
}

async function* stageEventRecords(
  prisma: PrismaClient,
  filter: ResolvedExportFilter,
): AsyncGenerator<string[]> {
  const project = projectWhere(filter.project);
  const byProject: Prisma.ProjectStageEventWhereInput = Object.keys(project).length
    ? { project }
    : {};
  let after = filter.after ?? -1n;
  for (let first = true; ; first = false) {
    const page = await prisma.projectStageEvent.findMany({
      where: { AND: [byProject, { sequence: { gt: after } }] },
      orderBy: { sequence: 'asc' },
      take: PAGE_SIZE,
      select: {
        sequence: true,
        kind: true,
        fromStage: true,
        toStage: true,
        occurredOn: true,
        occurredPrecision: true,
        note: true,
        actor: true,
        recordedAt: true,
        project: { select: { code: true, name: true } },
        source: { select: { code: true } },
      },
    });
    if (first) yield STAGE_EVENT_COLUMNS.map(headerCell);
    for (const e of page) {
      const cells: Record<string, string> = {
        sequence: e.sequence.toString(),
        code: textCell(e.project.code),
        name: textCell(e.project.name),
        kind: e.kind,
        fromStage: e.fromStage ?? '',
        toStage: e.toStage,
        occurredOn: dateCell(e.occurredOn),
        occurredPrecision: e.occurredPrecision,
        note: textCell(e.note),
        actor: textCell(e.actor),
        recordedAt: e.recordedAt.toISOString(),
        source: textCell(e.source?.code),
      };
      yield STAGE_EVENT_COLUMNS.map((c) => cells[c.key] ?? '');
    }
    if (page.length < PAGE_SIZE) return;
    after = page.at(-1)!.sequence;
  }
}

/** Rows → CSV bytes (UTF-8 with BOM, CRLF), pulling rows only as fast as they are read. */
function toCsvStream(records: AsyncIterable<string[]>): Readable {
  const output = stringify(CSV_WRITE_OPTIONS);
  const input = Readable.from(records);
  input.on('error', (error) => output.destroy(error));
  return input.pipe(output);
}

/** The projects matching `filter` as a CSV stream, in id order (the order they were recorded). */
export function exportProjectsCsv(
  prisma: PrismaClient,
  filter: ProjectFilterValues = {},
): Readable {
  return toCsvStream(projectRecords(prisma, filter));
}

/** The stage-event log (events of projects matching the filter, after `after`) as a CSV stream, in log order. */
export function exportStageEventsCsv(
  prisma: PrismaClient,
  filter: ResolvedExportFilter = { project: {}, after: null },
): Readable {
  return toCsvStream(stageEventRecords(prisma, filter));
}

/** Drains a CSV stream into one string (tests and small exports). */
export async function csvText(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}
