/**
 * Applies the committed Prisma migrations (prisma/migrations) in-process, before the hub opens
 * its Prisma client. It keeps Prisma's own bookkeeping table, `_prisma_migrations`, with the
 * same checksums, so `prisma migrate status` and `prisma migrate deploy` agree with it.
 *
 * Why not spawn `prisma migrate deploy`: with the JS engine over PGlite the CLI never exits
 * (the embedded database keeps its event loop alive), and a CLI start costs seconds on every
 * boot. Each migration runs in one transaction under an advisory lock, so several servers
 * starting against one PostgreSQL apply it once.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Runs SQL on the database being migrated; `query` returns rows. */
export interface SqlRunner {
  exec(sql: string): Promise<void>;
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
}

export const migrationsDir = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));

/** The key Prisma's own migrate commands lock on, so the CLI and the hub never run together. */
const MIGRATION_LOCK_KEY = 72707369;

const bookkeepingTable = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export async function readMigrations(dir = migrationsDir): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

/** Applies every migration not yet applied; returns the names it applied. */
export async function applyMigrations(db: SqlRunner, dir = migrationsDir): Promise<string[]> {
  const migrations = await readMigrations(dir);
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.exec(bookkeepingTable);
    const rows = await tx.query<{ migration_name: string; checksum: string; finished_at: unknown }>(
      'SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL',
    );
    const applied = new Map(rows.map((r) => [r.migration_name, r]));
    const done: string[] = [];
    for (const m of migrations) {
      const row = applied.get(m.name);
      if (row) {
        if (row.finished_at === null) {
          throw new Error(
            `Migration ${m.name} failed earlier and was never finished; resolve it with \`prisma migrate resolve\``,
          );
        }
        if (row.checksum !== m.checksum) {
          throw new Error(
            `Migration ${m.name} was changed after it was applied (checksum differs); add a new migration instead`,
          );
        }
        continue;
      }
      await tx.exec(m.sql);
      await tx.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
         VALUES ($1, $2, $3, now(), now(), 1)`,
        [randomUUID(), m.checksum, m.name],
      );
      done.push(m.name);
    }
    return done;
  });
}
