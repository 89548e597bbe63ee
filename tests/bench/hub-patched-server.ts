/**
 * Experiment: the hub with one proposed fix applied from outside src/, to measure what it is
 * worth before anyone changes src/. Starts like src/main.ts (no seeding, no local key), but
 * hands the app a Prisma client extended so that the stage feed's `logHead`
 * (`projectStageEvent.aggregate({ _max: { sequence: true } })`) runs as
 * `SELECT max(sequence) FROM "ProjectStageEvent"`.
 *
 * Why: Prisma 6.19 renders that aggregate as
 * `SELECT MAX("sequence") FROM (SELECT "sequence" FROM "ProjectStageEvent" WHERE 1=1 OFFSET $1) AS "sub"`,
 * and the OFFSET subquery keeps PostgreSQL from using the unique index: every call scans the
 * whole log (100,000 rows here), where `max()` on the indexed column reads one index entry.
 * Every subscriber runs it on every notification and every 10 s poll.
 *
 * Everything else is the hub's own code. Used by tests/bench/fanout.ts (`subscriberServer:
 * 'hubPatched'`).
 */
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { openDatabase, type Database } from '../../src/db/index.ts';
import { createLogger } from '../../src/logger.ts';

const config = loadConfig();
const logger = createLogger(config.logLevel);
const db = await openDatabase(config);

const prisma = db.prisma.$extends({
  query: {
    projectStageEvent: {
      async aggregate({ args, query }) {
        const a = args as { _max?: { sequence?: boolean }; where?: unknown };
        if (a._max?.sequence && a.where === undefined && Object.keys(a).length === 1) {
          const rows = await db.prisma.$queryRaw<{ max: bigint | null }[]>`SELECT max(sequence) AS max FROM "ProjectStageEvent"`;
          return { _max: { sequence: rows[0]?.max ?? null } } as never;
        }
        return query(args);
      },
    },
  },
});

const patched: Database = { ...db, prisma: prisma as unknown as Database['prisma'] };
const app = buildApp({ config, db: patched, logger });
await app.start();
logger.warn('bench: hub with the logHead patch (tests/bench/hub-patched-server.ts) ready');

const shutdown = () => {
  void app
    .stop()
    .then(() => db.close())
    .then(() => process.exit(0));
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
