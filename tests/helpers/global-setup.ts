/**
 * Builds, once per migrations (and seed) version, the PGlite data-folder dumps every test's
 * in-memory database starts from (tests/helpers/template.ts): migrated, and migrated and seeded;
 * and the migrated one as a folder for commands that open their own.
 */
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { openDatabase } from '../../src/db/index.ts';
import { seedDistrict } from '../../src/services/seed.ts';
import { makePgliteFolder, pgliteTemplateFolder, pgliteTemplatePath } from './template.ts';

async function dumpTo(file: string, db: Awaited<ReturnType<typeof openDatabase>>): Promise<void> {
  const { pglite } = db;
  if (!pglite) throw new Error('openDatabase did not expose its PGlite instance');
  const dump = await pglite.dumpDataDir('none');
  // Written aside and renamed: another run (another worktree) may be writing the same file.
  writeFileSync(`${file}.${process.pid}.tmp`, Buffer.from(await dump.arrayBuffer()));
  renameSync(`${file}.${process.pid}.tmp`, file);
}

export default async function setup(): Promise<void> {
  const migrated = await pgliteTemplatePath('migrated');
  const seeded = await pgliteTemplatePath('seeded');
  if (!existsSync(migrated) || !existsSync(seeded)) await makeDumps(migrated, seeded);
  const folder = await pgliteTemplateFolder();
  if (!existsSync(folder)) await makePgliteFolder(folder);
}

async function makeDumps(migrated: string, seeded: string): Promise<void> {
  const db = await openDatabase({ dataDir: '', databaseUrl: undefined, inMemory: true });
  try {
    if (!existsSync(migrated)) await dumpTo(migrated, db);
    await seedDistrict(db.prisma);
    await db.prisma.$disconnect();
    await dumpTo(seeded, db);
  } finally {
    await db.close();
  }
}
