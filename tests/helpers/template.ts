/**
 * The PGlite data-folder dumps that test databases start from, built once by global-setup.ts and
 * kept in the temp folder under a hash of what they were made from:
 * - `migrated`: every migration applied (a fresh PGlite cluster costs seconds of WASM initdb, a
 *   loaded dump well under one);
 * - `seeded`: that plus the district report (`seedDistrict`), for the many suites that start a
 *   hub on the report's data: loading it costs what loading the empty one does, seeding again
 *   costs up to a second more per hub.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { readMigrations } from '../../src/db/migrate.ts';

export type TemplateKind = 'migrated' | 'seeded';

const root = path.resolve(import.meta.dirname, '../..');
/** What the seed writes is made of: its code and the report's data. */
const seedSources = [
  'src/services/seed.ts',
  'src/services/stage-log.ts',
  ...readdirSync(path.join(root, 'prisma/seed'))
    .sort()
    .map((f) => `prisma/seed/${f}`),
];

/** Where the PGlite template of `kind` for the current migrations (and seed) lives. */
export async function pgliteTemplatePath(kind: TemplateKind = 'migrated'): Promise<string> {
  const hash = createHash('sha256');
  for (const m of await readMigrations()) hash.update(m.name).update(m.checksum);
  if (kind === 'seeded')
    for (const file of seedSources) hash.update(file).update(readFileSync(path.join(root, file)));
  const name = kind === 'migrated' ? 'template' : 'seeded';
  return path.join(tmpdir(), `lzhub-pglite-${name}-${hash.digest('hex').slice(0, 16)}.tar`);
}

const loaded = new Map<TemplateKind, Blob | null>();

/** The template of `kind` as a Blob for PGlite's `loadDataDir` (read once per process), or null when it was never built. */
export async function pgliteTemplate(kind: TemplateKind): Promise<Blob | null> {
  if (!loaded.has(kind)) {
    const file = await pgliteTemplatePath(kind);
    loaded.set(kind, existsSync(file) ? new Blob([readFileSync(file)]) : null);
  }
  return loaded.get(kind) ?? null;
}

/**
 * The migrated template as an embedded database folder (what the hub leaves after its first
 * start), for tests of commands that open a folder of their own: they copy it (never open it)
 * instead of spending seconds on initdb and migrations. Made by the global setup.
 */
export async function pgliteTemplateFolder(): Promise<string> {
  return (await pgliteTemplatePath('migrated')).replace(/\.tar$/, '.d');
}

/** Writes the migrated template into `dir` as an embedded database folder (global setup). */
export async function makePgliteFolder(dir: string): Promise<void> {
  const template = await pgliteTemplate('migrated');
  // Written aside and renamed: another run (another worktree) may be making the same folder.
  const aside = `${dir}.${process.pid}.tmp`;
  rmSync(aside, { recursive: true, force: true });
  const pglite = new PGlite(aside, template ? { loadDataDir: template } : undefined);
  await pglite.waitReady;
  await pglite.close();
  try {
    renameSync(aside, dir);
  } catch (error) {
    rmSync(aside, { recursive: true, force: true });
    if (!existsSync(dir)) throw error;
  }
}
