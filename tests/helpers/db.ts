/**
 * Test databases: a fresh in-memory PGlite, or a fresh PostgreSQL database created beside
 * TEST_DATABASE_URL's (dropped again by `close`). Suites that need PostgreSQL use
 * `describeEachEngine` and are skipped, with a printed reason, only when the URL is unset.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe } from 'vitest';
import { openDatabase, type Database } from '../../src/db/index.ts';

export type Engine = 'pglite' | 'postgres';

export const postgresTestUrl = process.env.TEST_DATABASE_URL || undefined;

const warned = new Set<string>();
function skipReason(engine: Engine): string | undefined {
  if (engine === 'postgres' && !postgresTestUrl) {
    const reason = 'TEST_DATABASE_URL is unset: PostgreSQL tests skipped';
    if (!warned.has(reason)) {
      warned.add(reason);
      console.warn(reason);
    }
    return reason;
  }
  return undefined;
}

/** The engines a suite runs on: PGlite always, PostgreSQL when TEST_DATABASE_URL is set. */
export const engines: Engine[] = ['pglite', 'postgres'];

/** `describe.each` over both engines, skipping PostgreSQL (with a printed reason) when unset. */
export function describeEachEngine(name: string, fn: (engine: Engine) => void): void {
  for (const engine of engines) {
    const reason = skipReason(engine);
    (reason ? describe.skip : describe)(`${name} [${engine}]`, () => fn(engine));
  }
}

/** Creates an empty PostgreSQL database next to TEST_DATABASE_URL; returns its URL and a dropper. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!postgresTestUrl) throw new Error('TEST_DATABASE_URL is unset');
  const name = `lzhub_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresTestUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(postgresTestUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: postgresTestUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A migrated, empty database of the given engine; `close()` also drops a PostgreSQL one. */
export async function openTestDatabase(engine: Engine = 'pglite', opts: { poolSize?: number } = {}): Promise<Database & { url?: string }> {
  if (engine === 'pglite') {
    return openDatabase({ dataDir: '', databaseUrl: undefined, inMemory: true });
  }
  const created = await createPostgresDatabase();
  const db = await openDatabase({ dataDir: '', databaseUrl: created.url, poolSize: opts.poolSize });
  return {
    ...db,
    url: created.url,
    async close() {
      await db.close();
      await created.drop();
    },
  };
}
