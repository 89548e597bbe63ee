/**
 * The data-exchange commands of `npm run hub -- <command>` (src/cli.ts):
 *   export-projects [--out file] [filters]           projects CSV (stdout without --out)
 *   export-events [--out file] [filters] [--after N] stage-event log CSV
 *   export-oc4ids [--out file] [--uri URL]           OC4IDS project package (JSON)
 *   import-projects file.csv [--dry-run]             create/update projects by code
 *   import-stage-changes file.csv [--dry-run]        stage changes (code, toStage, occurredOn, note)
 * Filters: --stage X (repeatable or comma-separated), --park CODE, --sector CODE, --name-contains
 * TEXT, --planned-investment-min/-max YUAN, --reached-stage X [--reached-from D] [--reached-to D],
 * --changed-from D, --changed-to D. Import options: --actor NAME, --encoding auto|utf-8|gb18030,
 * --batch-size N.
 */
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { type HubConfig, loadConfig } from '../config.ts';
import { openDatabase } from '../db/index.ts';
import { createLogger } from '../logger.ts';
import { createHubPubSub } from '../realtime/event-bus.ts';
import {
  ExportFilterError,
  type ExportFilterParams,
  exportProjectsCsv,
  exportStageEventsCsv,
  resolveExportFilter,
} from './csv-export.ts';
import {
  type ImportChange,
  ImportError,
  type ImportOptions,
  type ImportSummary,
  importProjectsCsv,
  importStageChangesCsv,
} from './csv-import.ts';
import { oc4idsPackageChunks } from './oc4ids.ts';

const filterOptions = {
  stage: { type: 'string', multiple: true },
  park: { type: 'string' },
  sector: { type: 'string' },
  'name-contains': { type: 'string' },
  'planned-investment-min': { type: 'string' },
  'planned-investment-max': { type: 'string' },
  'reached-stage': { type: 'string' },
  'reached-from': { type: 'string' },
  'reached-to': { type: 'string' },
  'changed-from': { type: 'string' },
  'changed-to': { type: 'string' },
  after: { type: 'string' },
  out: { type: 'string' },
} as const;

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

/** Runs parseArgs, turning a bad option into a usage error. */
function parse<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    return fail((error as Error).message);
  }
}

function filterParams(values: Record<string, unknown>): ExportFilterParams {
  const camel = (k: string) => k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  const params: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (key === 'out' || value === undefined) continue;
    params[camel(key)] = key === 'stage' ? (value as string[]).flatMap((s) => s.split(',')) : value;
  }
  return params as ExportFilterParams;
}

async function writeOut(stream: Readable, out: string | undefined): Promise<void> {
  const target: Writable = out ? createWriteStream(out) : process.stdout;
  try {
    await pipeline(stream, target, { end: !!out });
  } catch (error) {
    // The reader went away (`| head`): not an error of ours.
    if ((error as NodeJS.ErrnoException).code === 'EPIPE') return;
    throw error;
  }
  if (out) console.error(`wrote ${out}`);
}

async function withDatabase<T>(
  fn: (db: Awaited<ReturnType<typeof openDatabase>>, config: HubConfig) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  const db = await openDatabase(config);
  try {
    return await fn(db, config);
  } finally {
    await db.close();
  }
}

async function exportCsv(args: string[], kind: 'projects' | 'events'): Promise<void> {
  const { values } = parse(() => parseArgs({ args, options: filterOptions, strict: true }));
  await withDatabase(async (db) => {
    try {
      const filter = await resolveExportFilter(db.prisma, filterParams(values));
      if (kind === 'projects' && filter.after !== null)
        throw new ExportFilterError('--after applies to export-events only');
      const stream =
        kind === 'projects'
          ? exportProjectsCsv(db.prisma, filter.project)
          : exportStageEventsCsv(db.prisma, filter);
      await writeOut(stream, values.out);
    } catch (error) {
      if (error instanceof ExportFilterError) fail(error.message);
      throw error;
    }
  });
}

function describe(change: ImportChange): string | null {
  switch (change.action) {
    case 'create':
      return `line ${change.line}: create ${change.code} at ${change.stages.join(' → ')}`;
    case 'update':
      return `line ${change.line}: update ${change.code}${change.fields.length ? ` ${change.fields.join(', ')}` : ''}${change.stage ? ` stage ${change.stage.from} → ${change.stage.to}` : ''}`;
    case 'stage':
      return `line ${change.line}: ${change.code} ${change.from} → ${change.to} on ${change.occurredOn}`;
    default:
      return null;
  }
}

function printSummary(s: ImportSummary): void {
  const verb = s.dryRun ? 'dry run, nothing written: would' : 'done:';
  console.log(
    `${verb} create ${s.created}, update ${s.updated}, leave ${s.unchanged} unchanged; ` +
      `${s.stageEvents} stage events; ${s.rows} rows in ${(s.elapsedMs / 1000).toFixed(1)} s`,
  );
}

async function importCsv(args: string[], kind: 'projects' | 'stage-changes'): Promise<void> {
  const { values, positionals } = parse(() =>
    parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        'dry-run': { type: 'boolean' },
        actor: { type: 'string' },
        encoding: { type: 'string' },
        'batch-size': { type: 'string' },
      },
    }),
  );
  const [file] = positionals;
  if (!file || positionals.length > 1)
    fail(`usage: npm run hub -- import-${kind} file.csv [--dry-run] [--actor NAME]`);
  const encoding = (values.encoding ?? 'auto') as NonNullable<ImportOptions['encoding']>;
  if (!['auto', 'utf-8', 'gb18030'].includes(encoding))
    fail('--encoding must be auto, utf-8 or gb18030');
  const batchSize = values['batch-size'] ? Number(values['batch-size']) : undefined;
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0))
    fail('--batch-size must be a positive integer');

  await withDatabase(async (db, config) => {
    const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
    const pubsub = createHubPubSub(config, logger);
    try {
      // Without Redis the bus is this process's own: servers see the events on their next poll.
      await Promise.race([pubsub.ready(), new Promise((resolve) => setTimeout(resolve, 5_000))]);
      let lastShown = Date.now();
      const tty = process.stderr.isTTY;
      const options: ImportOptions = {
        dryRun: !!values['dry-run'],
        actor: values.actor ?? `cli:${userInfo().username}`,
        encoding,
        batchSize,
        onProgress: ({ rows, elapsedMs }) => {
          if (Date.now() - lastShown < (tty ? 250 : 5_000)) return;
          lastShown = Date.now();
          const rate = Math.round(rows / Math.max(elapsedMs / 1000, 0.001));
          process.stderr.write(
            `${tty ? '\r' : ''}${rows.toLocaleString('en')} rows (${rate.toLocaleString('en')} rows/s)${tty ? '' : '\n'}`,
          );
        },
        onChange: values['dry-run']
          ? (change) => {
              const line = describe(change);
              if (line) console.log(line);
            }
          : undefined,
      };
      const source = (await open(file)).createReadStream(); // a missing file fails here, not mid-import
      const summary =
        kind === 'projects'
          ? await importProjectsCsv({ prisma: db.prisma, pubsub }, source, options)
          : await importStageChangesCsv({ prisma: db.prisma, pubsub }, source, options);
      if (tty) process.stderr.write('\n');
      printSummary(summary);
    } catch (error) {
      if (error instanceof ImportError)
        fail(`import stopped, nothing written: ${error.message}`, 1);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') fail(`no such file: ${file}`);
      throw error;
    } finally {
      await pubsub.close();
    }
  });
}

async function exportOc4ids(args: string[]): Promise<void> {
  const { values } = parse(() =>
    parseArgs({
      args,
      strict: true,
      options: { out: { type: 'string' }, uri: { type: 'string' } },
    }),
  );
  await withDatabase(async (db, config) => {
    const uri = values.uri ?? `http://localhost:${config.port}/oc4ids`;
    const chunks = await oc4idsPackageChunks(db.prisma, { ...config.oc4ids, uri });
    await writeOut(Readable.from(chunks), values.out);
  });
}

/** The commands, by name; each gets the arguments after its name. */
export const exchangeCommands: Record<string, (args: string[]) => Promise<void>> = {
  'export-projects': (args) => exportCsv(args, 'projects'),
  'export-events': (args) => exportCsv(args, 'events'),
  'export-oc4ids': exportOc4ids,
  'import-projects': (args) => importCsv(args, 'projects'),
  'import-stage-changes': (args) => importCsv(args, 'stage-changes'),
};
