/**
 * Importing a projects file (PROJECT_COLUMNS): each row stands for the mutations it would be.
 * An unknown code is createProject at its first milestone and then advanceProjectStage per
 * later milestone (written in set-based batches by createProjectsInTransaction); a known code is
 * updateProject with the cells that differ, then advanceProjectStage when its stage moved on. A
 * row equal to the hub's state is a no-op.
 */
import type { Readable } from 'node:stream';
import type { Prisma, ProjectStage } from '../generated/prisma/client.ts';
import {
  BatchInputError,
  type CreateProjectInput,
  createProjectsInTransaction,
  type StageStep,
  type UpdateProjectPatch,
  updateProjectInTransaction,
} from '../services/projects.ts';
import { changeProjectStageInTransaction, planStageChange } from '../services/stage-change.ts';
import { isPipelineStage, PIPELINE } from '../services/stages.ts';
import {
  CellError,
  milestoneKey,
  PROJECT_COLUMNS,
  readAmount,
  readDate,
  readStage,
  readText,
} from './csv-format.ts';
import {
  atRow,
  type ImportDeps,
  ImportError,
  type ImportOptions,
  type ImportSummary,
  type RunContext,
  runImport,
} from './csv-import-run.ts';
import { type Cells, readRows } from './csv-read.ts';

type Tx = Prisma.TransactionClient;

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
    readRows(input, options, PROJECT_COLUMNS, ['code']),
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
  );
}
