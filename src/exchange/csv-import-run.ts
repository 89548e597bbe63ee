/**
 * One import as one transaction, whatever the file's kind: the import's options, summary and
 * ImportError; batches read inside one transaction under the stage log's advisory lock (as every
 * stage write); a dry run rolled back with its summary; notifications published only after the
 * commit; and a typed service error or a bad cell turned into an ImportError naming the line.
 */
import type { Prisma, PrismaClient, ProjectStage } from '../generated/prisma/client.ts';
import type { HubPubSub } from '../realtime/event-bus.ts';
import {
  ConflictError,
  InvalidTransitionError,
  NotFoundError,
  ValidationError,
} from '../services/errors.ts';
import { publishProjectChanged } from '../services/projects.ts';
import { publishStageChanged } from '../services/stage-change.ts';
import { districtToday, lockStageLog, logHead } from '../services/stage-log.ts';
import { CellError } from './csv-format.ts';
import type { RawRow } from './csv-read.ts';

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

const INITIAL_SUMMARY = { rows: 0, created: 0, updated: 0, unchanged: 0, stageEvents: 0 };

/** What a batch of rows is processed with: the transaction, who imports, "now", and the summary. */
export interface RunContext {
  tx: Tx;
  actor: string;
  now: Date;
  today: Date;
  /** Log head before this import: events up to it existed before. */
  headBefore: bigint;
  summary: ImportSummary;
  report(change: ImportChange): void;
}

/**
 * Runs one import: reads `rows` in batches of `options.batchSize` inside one transaction under
 * the stage log's lock, hands each batch to `processBatch`, rolls a dry run back with its
 * summary, and after the commit publishes what was written.
 */
export async function runImport(
  deps: ImportDeps,
  kind: ImportKind,
  rows: AsyncIterable<RawRow>,
  options: ImportOptions,
  processBatch: (ctx: RunContext, rows: RawRow[]) => Promise<void>,
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
        for await (const row of rows) {
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
export async function atRow<T>(
  row: RawRow,
  code: string | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ImportError || error instanceof DryRunRollback) throw error;
    if (
      error instanceof ValidationError ||
      error instanceof NotFoundError ||
      error instanceof ConflictError ||
      error instanceof InvalidTransitionError ||
      error instanceof CellError
    ) {
      throw new ImportError(row.line, error.message, code);
    }
    throw error;
  }
}
