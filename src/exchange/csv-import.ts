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
 *
 * In parts: csv-read.ts reads a file into rows, csv-import-run.ts runs one import as one
 * transaction, csv-import-projects.ts and csv-import-stage-changes.ts turn each kind's rows
 * into service calls; this file is what callers import.
 */
export { importProjectsCsv } from './csv-import-projects.ts';
export {
  type ImportChange,
  type ImportDeps,
  ImportError,
  type ImportKind,
  type ImportOptions,
  type ImportProgress,
  type ImportSummary,
} from './csv-import-run.ts';
export { importStageChangesCsv } from './csv-import-stage-changes.ts';
