/**
 * PostGraphile v5 over the benchmark database: its default preset (amber) and `makePgService`,
 * served by grafserv on node:http at /graphql. No plugins, no GraphiQL, no watch mode. Runs on
 * Node 24 (PostGraphile v5 needs Node 22+), like the hub in the benchmark.
 *
 * Run: `<node24> --import tsx tests/bench/postgraphile-server.ts` with PORT, DATABASE_URL and
 * POOL_SIZE. It prints `postgraphile ready` once it listens.
 */
import { createServer } from 'node:http';
import pg from 'pg';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';

const port = Number(process.env.PORT ?? 4701);
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.POOL_SIZE ?? 10),
});

const preset: GraphileConfig.Preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ pool, schemas: ['public'] })],
  grafserv: { port, graphqlPath: '/graphql', graphiql: false, watch: false },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.keepAliveTimeout = 60_000;
server.on('error', (error) => {
  console.error(error);
  process.exit(1);
});
await serv.addTo(server);
// Build the schema before accepting requests, so the first request is not the one that pays.
await pgl.getSchema();
server.listen(port, process.env.HOST ?? '127.0.0.1', () =>
  console.log(`postgraphile ready on ${port}`),
);

const stop = () => {
  server.close();
  void Promise.resolve(pgl.release())
    .then(() => pool.end())
    .then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
