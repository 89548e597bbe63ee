/**
 * Importing a stage-changes file (code, toStage, occurredOn, occurredPrecision, note; the
 * stage-event export is accepted as one, its other columns ignored): each row is one
 * advanceProjectStage. A change to the project's current stage, or one already in the log
 * before this import (same project, stage and day), is a no-op rather than an error.
 */
import type { Readable } from 'node:stream';
import type { Prisma, ProjectStage } from '../generated/prisma/client.ts';
import { changeProjectStageInTransaction } from '../services/stage-change.ts';
import {
  CellError,
  readDate,
  readPrecision,
  readStage,
  readText,
  STAGE_EVENT_COLUMNS,
} from './csv-format.ts';
import {
  atRow,
  type ImportDeps,
  type ImportOptions,
  type ImportSummary,
  runImport,
} from './csv-import-run.ts';
import { type Cells, type RawRow, readRows } from './csv-read.ts';

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
    readRows(input, options, STAGE_EVENT_COLUMNS, ['code', 'toStage']),
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
  );
}
