/**
 * Builds, once per migrations version, a migrated PGlite data folder dump that every test's
 * in-memory database starts from: a fresh PGlite cluster costs seconds of WASM initdb, a
 * loaded dump about one.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { openDatabase } from '../../src/db/index.ts';
import { pgliteTemplatePath } from './template.ts';

export default async function setup(): Promise<void> {
  const file = await pgliteTemplatePath();
  if (existsSync(file)) return;
  const db = await openDatabase({ dataDir: '', databaseUrl: undefined, inMemory: true });
  await db.prisma.$disconnect();
  const { pglite } = db;
  if (!pglite) throw new Error('openDatabase did not expose its PGlite instance');
  const dump = await pglite.dumpDataDir('none');
  writeFileSync(`${file}.tmp`, Buffer.from(await dump.arrayBuffer()));
  const { renameSync } = await import('node:fs');
  renameSync(`${file}.tmp`, file);
  await db.close();
}
