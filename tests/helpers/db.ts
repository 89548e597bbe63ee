/**
 * Test databases: a fresh in-memory PGlite, or a fresh PostgreSQL database created beside
 * TEST_DATABASE_URL's (dropped again by `close`). Suites that need PostgreSQL use
 * `describeEachEngine` and are skipped, with a printed reason, only when the URL is unset.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe } from 'vitest';
import { type Database, type DatabaseOptions, openDatabase } from '../../src/db/index.ts';
import { seedDistrict } from '../../src/services/seed.ts';
import type { Leftovers } from './leftovers.ts';
import { pgliteTemplate } from './template.ts';

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
      // pg's Pool.end() resolves before its sockets have closed; a FORCE drop at once would kill
      // them mid-goodbye (an uncaught "terminating connection" error). Wait for them first.
      for (let attempt = 0; ; attempt++) {
        try {
          await c.query(`DROP DATABASE IF EXISTS ${name}${attempt >= 50 ? ' WITH (FORCE)' : ''}`);
          break;
        } catch (error) {
          if ((error as { code?: string }).code !== '55006' || attempt >= 50) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      await c.end();
    },
  };
}

/**
 * A migrated database of the given engine, empty or (`seeded`) holding the district report;
 * `close()` also drops a PostgreSQL one. A PGlite one starts from a template dump.
 */
export async function openTestDatabase(
  engine: Engine = 'pglite',
  opts: {
    /** PostgreSQL: connections in the pool. */
    poolSize?: number;
    /** PostgreSQL: statements each connection keeps prepared (src/db/prepared-statements.ts). */
    preparedStatements?: number;
    /** PGlite: skip the migrated template and start from an empty cluster. */
    empty?: boolean;
    /** Start with the district report's data, as `seedDistrict` writes it. */
    seeded?: boolean;
    /** Called with every SQL statement the Prisma client runs (tests/helpers/query-log.ts). */
    onQuery?: DatabaseOptions['onQuery'];
  } = {},
): Promise<Database & { url?: string }> {
  if (engine === 'pglite') {
    const seeded = opts.seeded && !opts.empty ? await pgliteTemplate('seeded') : null;
    const template = opts.empty
      ? undefined
      : (seeded ?? (await pgliteTemplate('migrated')) ?? undefined);
    const db = await openDatabase({
      dataDir: '',
      databaseUrl: undefined,
      inMemory: true,
      template,
      onQuery: opts.onQuery,
    });
    // No seeded template (global setup did not run): seed the slow way.
    if (opts.seeded && !seeded) await seedDistrict(db.prisma);
    return db;
  }
  const created = await createPostgresDatabase();
  const db = await openDatabase({
    dataDir: '',
    databaseUrl: created.url,
    poolSize: opts.poolSize,
    preparedStatements: opts.preparedStatements,
    onQuery: opts.onQuery,
  });
  const opened = {
    ...db,
    url: created.url,
    async close() {
      await db.close();
      await created.drop();
    },
  };
  if (opts.seeded) {
    try {
      await seedDistrict(db.prisma);
    } catch (error) {
      await opened.close();
      throw error;
    }
  }
  return opened;
}

/**
 * One seeded PGlite database for the hubs of a suite that differ only in configuration (limits,
 * auth, caches), opened by the first call and closed with the suite's leftovers: a database of
 * their own would cost each hub up to seconds. Their writes are seen by every hub on it, so tests
 * that share it write rows of their own (their own code prefix) and never count what others hold.
 */
export function sharedSeededDatabase(leftovers: Leftovers): () => Promise<Database> {
  let opened: Promise<Database> | undefined;
  return () => {
    opened ??= openTestDatabase('pglite', { seeded: true }).then((db) => leftovers.push(db));
    return opened;
  };
}
