/**
 * `npm start`: opens (creating and migrating if needed) the database, adds the district's report
 * data that is missing, and serves /graphql until SIGINT or SIGTERM.
 */
import { buildApp } from './app.ts';
import { ensureLocalEditorKey } from './auth.ts';
import { ConfigError, type HubConfig, loadConfig } from './config.ts';
import { openDatabase } from './db/index.ts';
import { createLogger } from './logger.ts';
import { seedDistrict } from './services/seed.ts';
import { WALL_PATH } from './wall.ts';

async function main(): Promise<void> {
  let config: HubConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const where = config.databaseUrl
    ? 'PostgreSQL (DATABASE_URL)'
    : `embedded PGlite in ${config.dataDir}`;
  logger.info(`opening database: ${where}`);
  const db = await openDatabase(config);
  if (db.applied.length) logger.info({ migrations: db.applied }, 'applied migrations');
  if (config.seed) {
    const created = await seedDistrict(db.prisma);
    const total = Object.values(created).reduce(
      (a: number, b) => a + (typeof b === 'number' ? b : 0),
      0,
    );
    if (total) logger.info({ created }, 'seeded the district report data');
  }
  // Embedded and nothing configured: an editor key in the data folder keeps writes easy to try.
  const local = ensureLocalEditorKey(config);
  if (local) {
    config.auth.apiKeys.push({ role: 'editor', key: local.key });
    logger.info(
      `${local.created ? 'created' : 'using'} the local editor key in ${local.file}; to write from GraphiQL, ` +
        'add the header {"Authorization": "Bearer <the key in that file>"} (reads need no key)',
    );
  }
  const app = buildApp({ config, db, logger });
  const url = await app.start();
  // Every address a user opens, in the line they read first.
  const origin = new URL(url).origin;
  const addresses = {
    graphql: url,
    ...(config.graphiql && { graphiql: url }),
    wall: `${origin}${WALL_PATH}`,
    health: `${origin}/health`,
    ready: `${origin}/ready`,
    metrics: `${origin}/metrics`,
  };
  logger.info(
    { addresses },
    `Liaozhong Hub ready: GraphQL${config.graphiql ? ' and GraphiQL' : ''} at ${url}, wall display at ${addresses.wall}, ` +
      `health ${addresses.health}, readiness ${addresses.ready}, metrics ${addresses.metrics}`,
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: shutting down`);
    try {
      await app.stop();
      await db.close();
      logger.info('stopped');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
