/**
 * Records every SQL statement the hub's Prisma client sends (Prisma's `query` log events, which
 * driver adapters emit too), so tests can assert that a query's statement count is bounded by
 * its shape, not by its page size.
 */
import type { Database } from '../../src/db/index.ts';
import { type Engine, openTestDatabase } from './db.ts';
import { startTestHub, type TestHub } from './server.ts';

export interface QueryLog {
  /** SQL of every statement since the last `reset`, in order. */
  readonly statements: readonly string[];
  reset(): void;
  /** Runs `fn` and returns what it returned with the statements it caused. */
  measure<T>(fn: () => Promise<T>): Promise<{ result: T; statements: string[] }>;
}

function createQueryLog(): QueryLog & { push(sql: string): void } {
  let statements: string[] = [];
  return {
    get statements() {
      return statements;
    },
    push(sql) {
      statements.push(sql);
    },
    reset() {
      statements = [];
    },
    async measure(fn) {
      const before = statements.length;
      const result = await fn();
      return { result, statements: statements.slice(before) };
    },
  };
}

/** A migrated database of `engine` (`seeded`: with the report's data) whose client reports every statement to the log. */
export async function openLoggedDatabase(
  engine: Engine = 'pglite',
  opts: { seeded?: boolean } = {},
): Promise<{ db: Database & { url?: string }; log: QueryLog }> {
  const log = createQueryLog();
  const onQuery = (event: { query: string }) => log.push(event.query);
  const db = await openTestDatabase(engine, { onQuery, seeded: opts.seeded });
  log.reset();
  return { db, log };
}

/**
 * A hub over a logged database (seeded unless `seeded: false`; `listen: false` opens no port);
 * `close()` also closes the database.
 */
export async function startLoggedHub(
  engine: Engine = 'pglite',
  env: Record<string, string> = {},
  opts: { seeded?: boolean; listen?: boolean } = {},
): Promise<TestHub & { log: QueryLog }> {
  const { db, log } = await openLoggedDatabase(engine, { seeded: opts.seeded ?? true });
  try {
    const hub = await startTestHub({ db, env, listen: opts.listen });
    log.reset();
    return {
      ...hub,
      log,
      async close() {
        await hub.close();
        await db.close();
      },
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}
