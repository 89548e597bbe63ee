/**
 * CSV import of projects and of stage changes. Each row stands for the mutations it would be,
 * and goes through the same service functions (src/services/projects.ts, stage-change.ts), so
 * the same validation and stage rules apply, and the same stage events are written.
 *
 * All or nothing: the whole file is one transaction, under the stage log's advisory lock (as
 * every stage write), and the first bad row rolls everything back and is reported with its line
 * number and reason. Notifications (`stageChanged` per event, one `dataChanged` when details
 * changed) are published only after the commit. A dry run does all the same work and checks in
 * the transaction, reports what would change, and rolls back.
 *
 * Re-importing a file changes nothing: a row equal to the hub's state is a no-op; a stage change
 * to the project's current stage, or one already in the log before this import (same project,
 * stage and day), is a no-op rather than an error.
 *
 * Streaming: the file is decoded and parsed as it is read and rows are processed in batches
 * (one look-up query per batch for the projects it names), so memory does not grow with the
 * file; only counters are kept.
 */
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { Prisma, PrismaClient, ProjectStage } from '../generated/prisma/client.ts';
import type { HubPubSub } from '../realtime/event-bus.ts';
import { logHead } from '../realtime/stage-tail.ts';
import { textProblem } from '../services/input-checks.ts';
import {
  BatchInputError,
  type CreateProjectInput,
  createProjectsInTransaction,
  publishProjectChanged,
  type StageStep,
  type UpdateProjectPatch,
  updateProjectInTransaction,
} from '../services/projects.ts';
import {
  changeProjectStageInTransaction,
  planStageChange,
  publishStageChanged,
} from '../services/stage-change.ts';
import { districtToday, lockStageLog } from '../services/stage-log.ts';
import { isPipelineStage, PIPELINE } from '../services/stages.ts';
import {
  CellError,
  type Column,
  mapHeader,
  milestoneKey,
  PROJECT_COLUMNS,
  readAmount,
  readDate,
  readPrecision,
  readStage,
  readText,
  STAGE_EVENT_COLUMNS,
} from './csv-format.ts';

export type ImportKind = 'projects' | 'stage-changes';

/** What one row did (or, in a dry run, would do). */
export type ImportChange =
  | { line: number; code: string; action: 'create'; stages: ProjectStage[] }
  | {
      line: number;
      code: string;
      action: 'update';
      fields: string[];
      stage?: { from: ProjectStage; to: ProjectStage };
    }
  | {
      line: number;
      code: string;
      action: 'stage';
      from: ProjectStage;
      to: ProjectStage;
      occurredOn: string;
    }
  | { line: number; code: string; action: 'unchanged'; why?: string };

export interface ImportSummary {
  kind: ImportKind;
  dryRun: boolean;
  /** Data rows read (empty lines not counted). */
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Stage events written (INITIAL events of new projects included). */
  stageEvents: number;
  elapsedMs: number;
}

export interface ImportProgress {
  rows: number;
  elapsedMs: number;
}

export interface ImportOptions {
  /** Check and report everything, then roll back. @default false */
  dryRun?: boolean;
  /** Recorded as createdBy / updatedBy and on every event. */
  actor: string;
  /** Rows per batch (one project look-up per batch). @default 500 */
  batchSize?: number;
  /**
   * The file's encoding. `auto`: UTF-8 (with or without BOM) when the start of the file is valid
   * UTF-8, else GB18030 (what Excel and WPS write as "CSV" on a Chinese Windows). @default 'auto'
   */
  encoding?: 'auto' | 'utf-8' | 'gb18030';
  /** How long the one transaction may run. @default 3_600_000 // 1 h */
  transactionTimeoutMs?: number;
  /** Called after each batch. */
  onProgress?: (progress: ImportProgress) => void;
  /** Called for every row with what it did (or would do). */
  onChange?: (change: ImportChange) => void;
  /** For tests: "now" (today in Liaozhong is the default stage date). */
  now?: () => Date;
}

export interface ImportDeps {
  prisma: PrismaClient;
  /** Told about every committed stage event and detail change, after the commit. */
  pubsub?: Pick<HubPubSub, 'publish'>;
}

/** The import stopped: nothing was written. `line` is the file's line (1 = the header). */
export class ImportError extends Error {
  override name = 'ImportError';
  constructor(
    readonly line: number,
    readonly reason: string,
    readonly code?: string,
  ) {
    super(`line ${line}${code ? ` (${code})` : ''}: ${reason}`);
  }
}

/** Thrown inside the transaction to roll a dry run back with its summary. */
class DryRunRollback extends Error {
  constructor(readonly summary: ImportSummary) {
    super('dry run');
  }
}

type Tx = Prisma.TransactionClient;
type Cells = Record<string, string | undefined>;

interface RawRow {
  line: number;
  cells: Cells;
}

// ---------------------------------------------------------------------------------------------
// Reading: bytes → text → records with their first line number. Every problem of the file itself
// (its encoding, its quotes, a cell the database cannot store) is an ImportError naming the line
// it is on, counted the same way everywhere: CRLF, CR or LF ends a line.

/** Counts the lines of the bytes read so far. */
class LineCounter {
  /** The line the next byte is on. */
  line = 1;
  private afterCR = false;

  add(bytes: Uint8Array, end = bytes.length): void {
    for (let i = 0; i < end; i++) {
      const byte = bytes[i];
      if (byte === 0x0a) {
        if (!this.afterCR) this.line += 1;
        this.afterCR = false;
      } else if (byte === 0x0d) {
        this.line += 1;
        this.afterCR = true;
      } else {
        this.afterCR = false;
      }
    }
  }
}

/**
 * How many of `bytes` read as `encoding` before a byte that cannot be: the index of the first
 * bad byte, or `bytes.length`. A sequence cut at the end is not an error (the next chunk may
 * complete it), so validity only shrinks with the prefix and a binary search finds the edge.
 */
function validPrefixLength(bytes: Uint8Array, encoding: string): number {
  const valid = (n: number) => {
    try {
      new TextDecoder(encoding, { fatal: true }).decode(bytes.subarray(0, n), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  if (valid(bytes.length)) return bytes.length;
  let good = 0;
  let bad = bytes.length;
  while (bad - good > 1) {
    const mid = (good + bad) >>> 1;
    if (valid(mid)) good = mid;
    else bad = mid;
  }
  return good;
}

/**
 * UTF-8 when the file starts with a byte-order mark or its start reads as UTF-8; else GB18030
 * when that reads further (a file from Excel or WPS on a Chinese Windows); else UTF-8, so a UTF-8
 * file with a bad byte is reported as one, at the bad byte's line.
 */
function detectEncoding(start: Uint8Array): 'utf-8' | 'gb18030' {
  if (start[0] === 0xef && start[1] === 0xbb && start[2] === 0xbf) return 'utf-8';
  const utf8 = validPrefixLength(start, 'utf-8');
  if (utf8 === start.length) return 'utf-8';
  return validPrefixLength(start, 'gb18030') > utf8 ? 'gb18030' : 'utf-8';
}

/** The most of a line kept to find a bad byte again (a line start is a character boundary in both encodings). */
const LINE_CONTEXT_BYTES = 65_536;

async function* decode(
  source: AsyncIterable<Uint8Array | string>,
  encoding: ImportOptions['encoding'],
): AsyncGenerator<string> {
  let decoder: TextDecoder | undefined;
  let name = 'utf-8';
  const lines = new LineCounter();
  /** The bytes of the current line read so far: where a search for a bad byte starts. */
  let lineSoFar: Buffer = Buffer.alloc(0);
  const notText = () =>
    new ImportError(
      lines.line,
      `the file is not valid ${name.toUpperCase()} text; save it from Excel or WPS as "CSV UTF-8 (逗号分隔)"`,
    );
  for await (const chunk of source) {
    const bytes =
      typeof chunk === 'string'
        ? Buffer.from(chunk, 'utf8')
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (!decoder) {
      name = encoding === 'auto' || !encoding ? detectEncoding(bytes) : encoding;
      decoder = new TextDecoder(name, { fatal: true });
    }
    let text: string;
    try {
      text = decoder.decode(bytes, { stream: true });
    } catch {
      // Found again from the start of the current line, so a character cut across chunks reads whole.
      const at = validPrefixLength(Buffer.concat([lineSoFar, bytes]), name) - lineSoFar.length;
      lines.add(bytes, Math.max(0, at));
      throw notText();
    }
    lines.add(bytes);
    const lastBreak = Math.max(bytes.lastIndexOf(0x0a), bytes.lastIndexOf(0x0d));
    lineSoFar = lastBreak >= 0 ? bytes.subarray(lastBreak + 1) : Buffer.concat([lineSoFar, bytes]);
    if (lineSoFar.length > LINE_CONTEXT_BYTES)
      lineSoFar = lineSoFar.subarray(lineSoFar.length - LINE_CONTEXT_BYTES);
    yield text;
  }
  let rest: string | undefined;
  try {
    rest = decoder?.decode();
  } catch {
    throw notText();
  }
  if (rest) yield rest;
}

function lineBreaks(cells: string[]): number {
  let n = 0;
  for (const cell of cells) n += cell.match(/\r\n|\r|\n/g)?.length ?? 0;
  return n;
}

/** Longest cell or line csv-parse keeps: far beyond any real row, short of a file read into one cell. */
const MAX_RECORD_CHARS = 1_000_000;

/** csv-parse's error as a reason (its own line numbers count a CRLF inside quotes twice: ours are used). */
function parseProblem(error: Error & { code?: string }): string {
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted cell that starts on this line is never closed (a " is missing)';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'a quoted cell goes on after its closing quote: a " inside a quoted cell must be doubled ("")';
    case 'CSV_MAX_RECORD_SIZE':
      return `a cell is longer than ${MAX_RECORD_CHARS.toLocaleString('en')} characters (a " not closed?)`;
    default:
      return error.message.replace(/ at line \d+/, '');
  }
}

/**
 * Data rows with their line numbers, the header mapped to column keys. Parse errors, wrong
 * column counts and cells the database cannot store become ImportErrors naming the line.
 */
async function* readRows(
  source: AsyncIterable<Uint8Array | string>,
  options: ImportOptions,
  columns: readonly Column[],
  required: readonly string[],
): AsyncGenerator<RawRow> {
  const text = Readable.from(decode(source, options.encoding));
  // Lines are counted as records are parsed (csv-parse's own count takes a CRLF inside quotes
  // as two): `parsing` is where the record being parsed starts, so where a parse error is, and
  // `starts` the first lines of the records parsed but not yet read here.
  let parsing = 1;
  const starts: number[] = [];
  const parser = parse({
    bom: true,
    relax_column_count: true,
    skip_empty_lines: false,
    max_record_size: MAX_RECORD_CHARS,
    on_record: (record) => {
      starts.push(parsing);
      parsing += 1 + lineBreaks(record);
      return record;
    },
  });
  text.on('error', (error) => parser.destroy(error));
  text.pipe(parser);
  let keys: string[] | undefined;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      const start = starts.shift()!;
      if (record.length === 1 && record[0]!.trim() === '') continue; // an empty line
      if (!keys) {
        try {
          keys = mapHeader(record, columns, required);
        } catch (error) {
          throw new ImportError(start, `header: ${(error as Error).message}`);
        }
        continue;
      }
      if (record.length !== keys.length) {
        throw new ImportError(
          start,
          `${record.length} cells where the header has ${keys.length} columns`,
        );
      }
      const cells: Cells = {};
      keys.forEach((key, i) => {
        const cell = record[i]!;
        const problem = textProblem(cell);
        if (problem) {
          const code = record[keys!.indexOf('code')];
          throw new ImportError(
            start,
            `${key} ${problem}`,
            code && !textProblem(code) ? (readText(code) ?? undefined) : undefined,
          );
        }
        cells[key] = cell;
      });
      yield { line: start, cells };
    }
  } catch (error) {
    if (error instanceof ImportError) throw error;
    throw new ImportError(parsing, parseProblem(error as Error));
  }
  if (!keys) throw new ImportError(1, 'the file is empty: it needs a header row');
}

// ---------------------------------------------------------------------------------------------
// The transaction around a whole import.

const INITIAL_SUMMARY = { rows: 0, created: 0, updated: 0, unchanged: 0, stageEvents: 0 };

interface RunContext {
  tx: Tx;
  actor: string;
  now: Date;
  today: Date;
  /** Log head before this import: events up to it existed before. */
  headBefore: bigint;
  summary: ImportSummary;
  report(change: ImportChange): void;
}

async function runImport(
  deps: ImportDeps,
  kind: ImportKind,
  source: AsyncIterable<Uint8Array | string>,
  options: ImportOptions,
  processBatch: (ctx: RunContext, rows: RawRow[]) => Promise<void>,
  columns: readonly Column[],
  required: readonly string[],
): Promise<ImportSummary> {
  const started = Date.now();
  const now = options.now?.() ?? new Date();
  const batchSize = options.batchSize ?? 500;
  const summary: ImportSummary = {
    kind,
    dryRun: !!options.dryRun,
    ...INITIAL_SUMMARY,
    elapsedMs: 0,
  };
  let detailsChanged = false;
  let outcome: { headBefore: bigint; headAfter: bigint };
  try {
    outcome = await deps.prisma.$transaction(
      async (tx) => {
        await lockStageLog(tx);
        const headBefore = await logHead(tx);
        const ctx: RunContext = {
          tx,
          actor: options.actor,
          now,
          today: districtToday(now),
          headBefore,
          summary,
          report(change) {
            if (change.action === 'create') summary.created += 1;
            else if (change.action === 'unchanged') summary.unchanged += 1;
            else summary.updated += 1;
            // New projects join park and sector lists too; the import names no single project.
            if (change.action === 'create' || (change.action === 'update' && change.fields.length))
              detailsChanged = true;
            options.onChange?.(change);
          },
        };
        let batch: RawRow[] = [];
        const flush = async () => {
          if (!batch.length) return;
          await processBatch(ctx, batch);
          summary.rows += batch.length;
          batch = [];
          options.onProgress?.({ rows: summary.rows, elapsedMs: Date.now() - started });
        };
        for await (const row of readRows(source, options, columns, required)) {
          batch.push(row);
          if (batch.length >= batchSize) await flush();
        }
        await flush();
        summary.elapsedMs = Date.now() - started;
        if (options.dryRun) throw new DryRunRollback(summary);
        return { headBefore, headAfter: await logHead(tx) };
      },
      { maxWait: 20_000, timeout: options.transactionTimeoutMs ?? 3_600_000 },
    );
  } catch (error) {
    if (error instanceof DryRunRollback) return error.summary;
    throw error;
  }
  await publishCommitted(deps, outcome.headBefore, outcome.headAfter);
  if (detailsChanged) publishProjectChanged(deps.pubsub);
  summary.elapsedMs = Date.now() - started;
  return summary;
}

/**
 * Publishes `stageChanged` for every event this import committed: the log between the heads
 * before and after it, read a page at a time (the lock kept other writers out of that range).
 */
async function publishCommitted(deps: ImportDeps, after: bigint, upTo: bigint): Promise<void> {
  if (!deps.pubsub || upTo <= after) return;
  let from = after;
  for (;;) {
    const page = await deps.prisma.projectStageEvent.findMany({
      where: { sequence: { gt: from, lte: upTo } },
      orderBy: { sequence: 'asc' },
      take: 1000,
      select: { sequence: true, projectId: true },
    });
    for (const event of page) publishStageChanged(deps.pubsub, event);
    if (page.length < 1000) return;
    from = page.at(-1)!.sequence;
  }
}

/** Runs `fn` for a row; a typed service error or a bad cell becomes an ImportError naming the line. */
async function atRow<T>(row: RawRow, code: string | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ImportError || error instanceof DryRunRollback) throw error;
    if (
      error instanceof Error &&
      [
        'ValidationError',
        'NotFoundError',
        'ConflictError',
        'InvalidTransitionError',
        'CellError',
      ].includes(error.name)
    ) {
      throw new ImportError(row.line, error.message, code);
    }
    throw error;
  }
}

function toSource(
  input: Readable | AsyncIterable<Uint8Array | string>,
): AsyncIterable<Uint8Array | string> {
  return input as AsyncIterable<Uint8Array | string>;
}

// ---------------------------------------------------------------------------------------------
// Projects.

const TEXT_FIELDS = ['name', 'nameEn', 'description', 'investor', 'notes'] as const;
const AMOUNT_FIELDS = ['plannedInvestment', 'completedInvestment', 'expectedOutputValue'] as const;

interface ProjectRow {
  code: string;
  text: Partial<Record<(typeof TEXT_FIELDS)[number], string | null>>;
  amounts: Partial<Record<(typeof AMOUNT_FIELDS)[number], Prisma.Decimal | null>>;
  sector: string | null | undefined;
  park: string | null | undefined;
  stage: ProjectStage | null | undefined;
  stageOn: Date | null | undefined;
  stageNote: string | null | undefined;
  stageBeforeSuspension: ProjectStage | null | undefined;
  milestones: Map<ProjectStage, Date>;
}

function parseProjectRow(cells: Cells): ProjectRow {
  const code = readText(cells.code);
  if (!code) throw new CellError('code is empty: every row needs the project code');
  const row: ProjectRow = {
    code,
    text: {},
    amounts: {},
    sector: readText(cells.sector),
    park: readText(cells.park),
    stage: readStage(cells.stage, 'stage'),
    stageOn: readDate(cells.stageOn, 'stageOn'),
    stageNote: readText(cells.stageNote),
    stageBeforeSuspension: readStage(cells.stageBeforeSuspension, 'stageBeforeSuspension'),
    milestones: new Map(),
  };
  for (const f of TEXT_FIELDS) {
    const value = readText(cells[f]);
    if (value !== undefined) row.text[f] = value;
  }
  for (const f of AMOUNT_FIELDS) {
    const value = readAmount(cells[f], f);
    if (value !== undefined) row.amounts[f] = value;
  }
  for (const stage of PIPELINE) {
    const on = readDate(cells[milestoneKey(stage)], milestoneKey(stage));
    if (on) row.milestones.set(stage, on);
  }
  return row;
}

const existingSelect = {
  id: true,
  code: true,
  name: true,
  nameEn: true,
  description: true,
  investor: true,
  notes: true,
  plannedInvestment: true,
  completedInvestment: true,
  expectedOutputValue: true,
  sectorId: true,
  parkId: true,
  stage: true,
  stageBeforeSuspension: true,
  stageEvents: { orderBy: { sequence: 'desc' }, take: 1, select: { occurredOn: true, note: true } },
} satisfies Prisma.ProjectSelect;

type ExistingProject = Prisma.ProjectGetPayload<{ select: typeof existingSelect }>;

/** Parks and sectors by code and by name (small tables, read once per import). */
interface References {
  sectors: Map<string, number>;
  parks: Map<string, number>;
}

async function loadReferences(tx: Tx): Promise<References> {
  const [sectors, parks] = await Promise.all([
    tx.sector.findMany({ select: { id: true, code: true, name: true } }),
    tx.park.findMany({ select: { id: true, code: true, name: true } }),
  ]);
  const index = (rows: { id: number; code: string; name: string }[]) =>
    new Map(
      rows.flatMap(
        (r) =>
          [
            [r.name, r.id],
            [r.code, r.id],
          ] as const,
      ),
    );
  return { sectors: index(sectors), parks: index(parks) };
}

function referenceId(
  map: Map<string, number>,
  value: string | null | undefined,
  what: string,
): number | null | undefined {
  if (value == null) return value;
  const id = map.get(value);
  if (id === undefined)
    throw new CellError(`${what}: no ${what} has the code or name ${JSON.stringify(value)}`);
  return id;
}

function sameAmount(a: Prisma.Decimal | null, b: Prisma.Decimal | null): boolean {
  return a === null || b === null ? a === b : a.equals(b);
}

/**
 * The simplest history with exactly the row's milestones: for each run of stages reached on
 * the same day, one event into the last of them. Dates in pipeline order.
 */
function milestoneSteps(milestones: Map<ProjectStage, Date>): { stage: ProjectStage; on: Date }[] {
  const reached = PIPELINE.filter((s) => milestones.has(s));
  const steps: { stage: ProjectStage; on: Date }[] = [];
  reached.forEach((stage, i) => {
    const next = reached[i + 1];
    if (!next || milestones.get(next)!.getTime() !== milestones.get(stage)!.getTime())
      steps.push({ stage, on: milestones.get(stage)! });
  });
  return steps;
}

/**
 * A new project as the mutations it stands for: createProject at its first milestone, then one
 * advanceProjectStage per later milestone, then (when the row's stage is SUSPENDED or CANCELLED,
 * or behind its milestones) one more change to that stage on `stageOn`. The row's stageNote
 * goes on the last event. Written in batches by createProjectsInTransaction, which checks every
 * step as those mutations would.
 */
function createInput(
  refs: References,
  row: ProjectRow,
): CreateProjectInput & { history: StageStep[] } {
  const steps: { stage: ProjectStage; on: Date | undefined }[] = milestoneSteps(row.milestones);
  const target = row.stage ?? steps.at(-1)?.stage ?? 'PLANNED';
  const before = isPipelineStage(target)
    ? target
    : (row.stageBeforeSuspension ?? steps.at(-1)?.stage ?? 'PLANNED');
  const when = row.stageOn ?? undefined;
  if (steps.at(-1)?.stage !== before) steps.push({ stage: before, on: when });
  if (target !== before) steps.push({ stage: target, on: when });
  const last = steps.length - 1;
  return {
    ...row.text,
    ...row.amounts,
    code: row.code,
    name: row.text.name ?? '',
    sectorId: referenceId(refs.sectors, row.sector, 'sector'),
    parkId: referenceId(refs.parks, row.park, 'park'),
    stage: steps[0]!.stage,
    stageOccurredOn: steps[0]!.on,
    stageNote: last === 0 ? row.stageNote : null,
    history: steps.slice(1).map((step, i) => ({
      toStage: step.stage,
      occurredOn: step.on,
      note: i + 1 === last ? row.stageNote : null,
    })),
  };
}

/**
 * An existing project: updateProject with the cells that differ (an absent column keeps the
 * value, an empty cell clears it), then advanceProjectStage when `stage` differs. A projects
 * file never moves a project back (that is a correction: a stage-changes row with a note).
 * `stageOn` and `stageNote` equal to the hub's latest event count as not given (today, no note):
 * they describe the stage the project is leaving. Milestone cells are history and not imported.
 */
async function updateFromRow(
  ctx: RunContext,
  refs: References,
  line: number,
  row: ProjectRow,
  existing: ExistingProject,
): Promise<void> {
  const patch: UpdateProjectPatch = {};
  for (const f of TEXT_FIELDS) {
    const value = row.text[f];
    if (value !== undefined && value !== existing[f]) patch[f] = value;
  }
  for (const f of AMOUNT_FIELDS) {
    const value = row.amounts[f];
    if (value !== undefined && !sameAmount(value, existing[f])) patch[f] = value;
  }
  const sectorId = referenceId(refs.sectors, row.sector, 'sector');
  if (sectorId !== undefined && sectorId !== existing.sectorId) patch.sectorId = sectorId;
  const parkId = referenceId(refs.parks, row.park, 'park');
  if (parkId !== undefined && parkId !== existing.parkId) patch.parkId = parkId;

  const toStage = row.stage != null && row.stage !== existing.stage ? row.stage : null;
  if (toStage && planStageChange(existing, toStage).kind === 'CORRECTION') {
    throw new CellError(
      `stage ${toStage} is behind the hub's ${existing.stage}: a projects file does not move a project back; ` +
        'import a stage-changes row with a note for a correction',
    );
  }
  const fields = Object.keys(patch);
  if (fields.length) await updateProjectInTransaction(ctx.tx, existing.id, patch, ctx.actor);
  if (toStage) {
    const latest = existing.stageEvents[0];
    const occurredOn =
      row.stageOn && row.stageOn.getTime() !== latest?.occurredOn.getTime()
        ? row.stageOn
        : undefined;
    const note = row.stageNote && row.stageNote !== latest?.note ? row.stageNote : null;
    await changeProjectStageInTransaction(
      ctx.tx,
      { projectId: existing.id, toStage, occurredOn, note },
      ctx.actor,
      ctx.now,
    );
    ctx.summary.stageEvents += 1;
  }
  if (!fields.length && !toStage) ctx.report({ line, code: row.code, action: 'unchanged' });
  else
    ctx.report({
      line,
      code: row.code,
      action: 'update',
      fields,
      ...(toStage && { stage: { from: existing.stage, to: toStage } }),
    });
}

/**
 * Imports a projects CSV (PROJECT_COLUMNS; only `code` is required, an absent column keeps the
 * hub's value): creates each unknown code, updates each known one. See the file comment.
 */
export async function importProjectsCsv(
  deps: ImportDeps,
  input: Readable | AsyncIterable<Uint8Array | string>,
  options: ImportOptions,
): Promise<ImportSummary> {
  let refs: References | undefined;
  return runImport(
    deps,
    'projects',
    toSource(input),
    options,
    async (ctx, rows) => {
      refs ??= await loadReferences(ctx.tx);
      const codes = [...new Set(rows.flatMap((row) => readText(row.cells.code) ?? []))];
      const existing = new Map(
        (
          await ctx.tx.project.findMany({ where: { code: { in: codes } }, select: existingSelect })
        ).map((e) => [e.code, e] as const),
      );
      /** Codes written in this batch: the prefetched state of these is stale. */
      const written = new Set<string>();
      // New projects wait here and are created together, in file order, before any other row.
      const pending: { line: number; code: string; input: ReturnType<typeof createInput> }[] = [];
      const flush = async () => {
        if (!pending.length) return;
        try {
          const { events } = await createProjectsInTransaction(
            ctx.tx,
            pending.map((p) => p.input),
            ctx.actor,
            ctx.now,
          );
          ctx.summary.stageEvents += events;
        } catch (error) {
          if (!(error instanceof BatchInputError)) throw error;
          const bad = pending[error.index]!;
          throw new ImportError(bad.line, error.error.message, bad.code);
        }
        for (const p of pending) {
          ctx.report({
            line: p.line,
            code: p.code,
            action: 'create',
            stages: [p.input.stage!, ...p.input.history.map((h) => h.toStage)],
          });
          written.add(p.code);
        }
        pending.length = 0;
      };
      for (const row of rows) {
        const code = readText(row.cells.code) ?? undefined;
        try {
          await atRow(row, code, async () => {
            const data = parseProjectRow(row.cells);
            if (pending.some((p) => p.code === data.code)) await flush();
            const current = written.has(data.code)
              ? await ctx.tx.project.findUnique({
                  where: { code: data.code },
                  select: existingSelect,
                })
              : existing.get(data.code);
            if (!current) {
              pending.push({ line: row.line, code: data.code, input: createInput(refs!, data) });
              return;
            }
            await flush();
            await updateFromRow(ctx, refs!, row.line, data, current);
            written.add(data.code);
          });
        } catch (error) {
          // A bad row after pending new projects: an earlier bad one among them is reported first.
          await flush();
          throw error;
        }
      }
      await flush();
    },
    PROJECT_COLUMNS,
    ['code'],
  );
}

// ---------------------------------------------------------------------------------------------
// Stage changes.

interface StageChangeRow {
  code: string;
  toStage: ProjectStage;
  occurredOn: Date | null | undefined;
  occurredPrecision: Prisma.ProjectStageEventCreateInput['occurredPrecision'] | null | undefined;
  note: string | null | undefined;
}

function parseStageChangeRow(cells: Cells): StageChangeRow {
  const code = readText(cells.code);
  if (!code) throw new CellError('code is empty: every row needs the project code');
  const toStage = readStage(cells.toStage, 'toStage');
  if (!toStage) throw new CellError('toStage is empty');
  return {
    code,
    toStage,
    occurredOn: readDate(cells.occurredOn, 'occurredOn'),
    occurredPrecision: readPrecision(cells.occurredPrecision, 'occurredPrecision'),
    note: readText(cells.note),
  };
}

const dayKey = (projectId: number, stage: ProjectStage, on: Date) =>
  `${projectId}|${stage}|${on.toISOString().slice(0, 10)}`;

/**
 * Imports a stage-changes CSV (columns code, toStage, occurredOn, occurredPrecision, note; the
 * stage-event export is accepted as one, its other columns ignored). Each row is one
 * advanceProjectStage; a change to the current stage, or one already in the log before this
 * import (same project, stage and day), is a no-op.
 */
export async function importStageChangesCsv(
  deps: ImportDeps,
  input: Readable | AsyncIterable<Uint8Array | string>,
  options: ImportOptions,
): Promise<ImportSummary> {
  return runImport(
    deps,
    'stage-changes',
    toSource(input),
    options,
    async (ctx, rows) => {
      const parsed: { row: RawRow; data: StageChangeRow }[] = [];
      for (const row of rows) {
        parsed.push({
          row,
          data: await atRow(row, readText(row.cells.code) ?? undefined, async () =>
            parseStageChangeRow(row.cells),
          ),
        });
      }
      const codes = [...new Set(parsed.map((p) => p.data.code))];
      const projects = new Map(
        (
          await ctx.tx.project.findMany({
            where: { code: { in: codes } },
            select: { id: true, code: true, stage: true },
          })
        ).map((p) => [p.code, p] as const),
      );
      const days = [...new Set(parsed.map((p) => (p.data.occurredOn ?? ctx.today).getTime()))].map(
        (t) => new Date(t),
      );
      const recorded = new Set(
        (
          await ctx.tx.projectStageEvent.findMany({
            where: {
              projectId: { in: [...projects.values()].map((p) => p.id) },
              sequence: { lte: ctx.headBefore },
              occurredOn: { in: days },
            },
            select: { projectId: true, toStage: true, occurredOn: true },
          })
        ).map((e) => dayKey(e.projectId, e.toStage, e.occurredOn)),
      );
      for (const { row, data } of parsed) {
        await atRow(row, data.code, async () => {
          const project = projects.get(data.code);
          if (!project) throw new CellError(`no project has the code ${JSON.stringify(data.code)}`);
          const on = data.occurredOn ?? ctx.today;
          if (project.stage === data.toStage) {
            ctx.report({
              line: row.line,
              code: data.code,
              action: 'unchanged',
              why: `already ${data.toStage}`,
            });
            return;
          }
          if (recorded.has(dayKey(project.id, data.toStage, on))) {
            ctx.report({
              line: row.line,
              code: data.code,
              action: 'unchanged',
              why: 'already in the log',
            });
            return;
          }
          const { project: moved } = await changeProjectStageInTransaction(
            ctx.tx,
            {
              projectId: project.id,
              toStage: data.toStage,
              occurredOn: data.occurredOn,
              occurredPrecision: data.occurredPrecision,
              note: data.note,
            },
            ctx.actor,
            ctx.now,
          );
          ctx.summary.stageEvents += 1;
          ctx.report({
            line: row.line,
            code: data.code,
            action: 'stage',
            from: project.stage,
            to: moved.stage,
            occurredOn: on.toISOString().slice(0, 10),
          });
          project.stage = moved.stage;
        });
      }
    },
    STAGE_EVENT_COLUMNS,
    ['code', 'toStage'],
  );
}
