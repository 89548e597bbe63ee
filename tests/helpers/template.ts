import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readMigrations } from '../../src/db/migrate.ts';

/** Where the migrated PGlite template for the current migrations lives. */
export async function pgliteTemplatePath(): Promise<string> {
  const hash = createHash('sha256');
  for (const m of await readMigrations()) hash.update(m.name).update(m.checksum);
  return path.join(tmpdir(), `lzhub-pglite-template-${hash.digest('hex').slice(0, 16)}.tar`);
}
