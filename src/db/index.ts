/**
 * Opens the hub's database: the embedded PGlite folder by default, a PostgreSQL server when
 * `DATABASE_URL` is set. Migrations are applied before the Prisma client is handed out.
 */
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { type HubConfig, PLANS_KEPT } from '../config.ts';
import { type Prisma, PrismaClient } from '../generated/prisma/client.ts';
import { applyMigrations, type SqlRunner } from './migrate.ts';
import { keepPlans } from './plan-cache.ts';
import { prepareStatements, STATEMENTS_PER_CONNECTION } from './prepared-statements.ts';

export type Db = PrismaClient;

type AdapterFactory = NonNullable<
  NonNullable<ConstructorParameters<typeof PrismaClient>[0]>['adapter']
>;

/**
 * pglite-prisma-adapter 0.6 is typed against driver-adapter-utils 6.10; 6.19 added fields to the
 * argument descriptors that it never reads (it passes values through), so the shapes differ only
 * in types. 0.7 would match but needs Prisma 7 (see STACK.md).
 */
function pgliteAdapter(pglite: PGlite): AdapterFactory {
  return new PrismaPGlite(pglite) as unknown as AdapterFactory;
}

export interface Database {
  prisma: PrismaClient;
  /** `pglite` (embedded, one connection) or `postgres` (a server, a pool of connections). */
  kind: 'pglite' | 'postgres';
  /** Migrations this open applied. */
  applied: string[];
  /** Raw SQL on the same database, outside Prisma (health checks, benchmarks). */
  sql: SqlRunner;
  /** The embedded database itself, when `kind` is `pglite`. */
  pglite?: PGlite;
  close(): Promise<void>;
}

export type DatabaseOptions = Pick<HubConfig, 'dataDir' | 'databaseUrl'> &
  Partial<Pick<HubConfig, 'preparedStatements' | 'planCache'>> & {
    /** Connections in the pool when on PostgreSQL. @default 10 */
    poolSize?: number;
    /** Open the embedded database in memory instead of `dataDir` (tests). */
    inMemory?: boolean;
    /** With `inMemory`: start from this PGlite data-folder dump instead of an empty cluster. */
    template?: Blob;
    /** Called with every SQL statement the Prisma client runs (tests count them to catch N+1). */
    onQuery?: (event: Prisma.QueryEvent) => void;
  };

function createClient(adapter: AdapterFactory, onQuery: DatabaseOptions['onQuery']): PrismaClient {
  if (!onQuery) return new PrismaClient({ adapter });
  const client = new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] });
  client.$on('query', onQuery);
  return client;
}

function pgliteRunner(db: PGlite | Parameters<Parameters<PGlite['transaction']>[0]>[0]): SqlRunner {
  return {
    exec: async (sql) => {
      await db.exec(sql);
    },
    query: async <T>(sql: string, params?: unknown[]) => (await db.query<T>(sql, params)).rows,
    transaction: (fn) => {
      if (!('transaction' in db)) return fn(pgliteRunner(db));
      return db.transaction((tx) => fn(pgliteRunner(tx)));
    },
  };
}

function poolRunner(pool: pg.Pool | pg.PoolClient): SqlRunner {
  return {
    exec: async (sql) => {
      await pool.query(sql);
    },
    query: async <T>(sql: string, params?: unknown[]) =>
      (await pool.query(sql, params)).rows as T[],
    transaction: async (fn) => {
      if (!(pool instanceof pg.Pool)) return fn(poolRunner(pool));
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(poolRunner(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      } finally {
        client.release();
      }
    },
  };
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  keepPlans(options.planCache ?? PLANS_KEPT);
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
    });
    const prepared = options.preparedStatements ?? STATEMENTS_PER_CONNECTION;
    if (prepared > 0) prepareStatements(pool, prepared);
    try {
      const sql = poolRunner(pool);
      const applied = await applyMigrations(sql);
      const prisma = createClient(new PrismaPg(pool), options.onQuery);
      return {
        prisma,
        kind: 'postgres',
        applied,
        sql,
        async close() {
          await prisma.$disconnect();
          await pool.end().catch(() => undefined);
        },
      };
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
  }
  let pglite: PGlite;
  if (options.inMemory) {
    pglite = new PGlite(options.template ? { loadDataDir: options.template } : undefined);
  } else {
    mkdirSync(options.dataDir, { recursive: true });
    pglite = new PGlite(options.dataDir);
  }
  await pglite.waitReady;
  try {
    const sql = pgliteRunner(pglite);
    const applied = await applyMigrations(sql);
    const prisma = createClient(pgliteAdapter(pglite), options.onQuery);
    return {
      prisma,
      kind: 'pglite',
      applied,
      sql,
      pglite,
      async close() {
        await prisma.$disconnect();
        if (!pglite.closed) await pglite.close();
      },
    };
  } catch (error) {
    await pglite.close().catch(() => undefined);
    throw error;
  }
}
