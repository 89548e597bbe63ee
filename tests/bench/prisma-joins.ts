/**
 * Experiment (not part of `npm run bench`): what the hub's Prisma reads would cost with fewer
 * statements. Generates a second Prisma client from the hub's schema with the `relationJoins`
 * preview feature into node_modules/.cache (src/ is untouched), then runs the query behind
 * `node(id:)` (a project with its park, last three stage events and funding awards) through
 *   1. the hub's own client (one statement per relation),
 *   2. the relationJoins client with `relationLoadStrategy: 'join'` (one statement),
 *   3. the same read as one hand-written statement through `pg`,
 * counting statements with the counting proxy and CPU per read with process.cpuUsage.
 *
 * Run on the servers' Node: `<node24> --import tsx tests/bench/prisma-joins.ts`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient as HubClient } from '../../src/generated/prisma/client.ts';
import { databaseUrl, repoRoot } from './config.ts';
import { startCountingProxy } from './pg-proxy.ts';

const dir = path.join(repoRoot, 'node_modules', '.cache', 'lzhub-bench', 'prisma-joins');

/** The hub's schema with relationJoins, its client generated into `dir/client`. */
function generateJoinsClient(): string {
  mkdirSync(dir, { recursive: true });
  const schema = readFileSync(path.join(repoRoot, 'prisma', 'schema.prisma'), 'utf8')
    .replace(/generator pothos \{[^}]*\}/, '')
    .replace(
      'output       = "../src/generated/prisma"',
      `output       = "${path.join(dir, 'client')}"\n  previewFeatures = ["relationJoins"]`,
    );
  writeFileSync(path.join(dir, 'schema.prisma'), schema);
  execFileSync(
    path.join(repoRoot, 'node_modules', '.bin', 'prisma'),
    ['generate', '--schema', path.join(dir, 'schema.prisma')],
    {
      cwd: repoRoot,
      stdio: 'inherit',
      env: { ...process.env, DATABASE_URL: databaseUrl() },
    },
  );
  return path.join(dir, 'client', 'client.ts');
}

const select = {
  id: true,
  code: true,
  name: true,
  nameEn: true,
  stage: true,
  stageChangedAt: true,
  plannedInvestment: true,
  park: { select: { id: true, name: true } },
  stageEvents: {
    select: { sequence: true, kind: true, fromStage: true, toStage: true, occurredOn: true },
    orderBy: { sequence: 'desc' as const },
    take: 3,
  },
  fundingAwards: {
    select: { code: true, sourceLevel: true, amount: true, year: true },
    orderBy: { id: 'asc' as const },
  },
};

const RAW = `
  SELECT p.id, p.code, p.name, p."nameEn", p.stage, p."stageChangedAt", p."plannedInvestment",
         (SELECT json_build_object('id', k.id, 'name', k.name) FROM "Park" k WHERE k.id = p."parkId") AS park,
         (SELECT coalesce(json_agg(e ORDER BY e.sequence), '[]') FROM (
            SELECT sequence, kind, "fromStage", "toStage", "occurredOn" FROM "ProjectStageEvent"
             WHERE "projectId" = p.id ORDER BY sequence DESC LIMIT 3) e) AS "stageEvents",
         (SELECT coalesce(json_agg(json_build_object('code', a.code, 'sourceLevel', a."sourceLevel", 'amount', a.amount, 'year', a.year) ORDER BY a.id), '[]')
            FROM "FundingAward" a WHERE a."projectId" = p.id) AS "fundingAwards"
    FROM "Project" p WHERE p.id = $1`;

async function measure(
  label: string,
  read: (id: number) => Promise<unknown>,
  proxy: Awaited<ReturnType<typeof startCountingProxy>>,
) {
  for (let i = 0; i < 200; i++) await read(1 + ((i * 199) % 10_000));
  proxy.reset();
  await read(77);
  const statements = proxy.snapshot().statements;
  const n = 3_000;
  const concurrency = 10;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await read(1 + ((next++ * 199) % 10_000));
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  const ms = performance.now() - t0;
  const line = {
    label,
    statements,
    cpuMsPerRead: (cpu.user + cpu.system) / 1000 / n,
    readsPerSecond: (n / ms) * 1000,
  };
  console.log(JSON.stringify(line));
  return line;
}

const clientFile = generateJoinsClient();
const { PrismaClient: JoinsClient } = (await import(pathToFileURL(clientFile).href)) as {
  PrismaClient: typeof HubClient;
};
const target = new URL(databaseUrl());
const proxy = await startCountingProxy({
  host: target.hostname,
  port: Number(target.port || 5432),
});
const viaProxy = new URL(target);
viaProxy.host = `127.0.0.1:${proxy.port}`;
const pool = new pg.Pool({ connectionString: viaProxy.toString(), max: 10 });
const hub = new HubClient({ adapter: new PrismaPg(pool) });
const joins = new JoinsClient({ adapter: new PrismaPg(pool) });
/** The joins client's findUnique: the hub's, plus the relationJoins preview's load strategy. */
const findWithJoins = joins.project.findUnique as unknown as (args: {
  where: { id: number };
  select: typeof select;
  relationLoadStrategy: 'join';
}) => Promise<unknown>;
try {
  const a = await hub.project.findUnique({ where: { id: 77 }, select });
  const b = await findWithJoins({
    where: { id: 77 },
    select,
    relationLoadStrategy: 'join',
  });
  const json = (v: unknown) =>
    JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
  console.log(
    json(a) === json(b)
      ? 'both clients answer the same'
      : `the clients differ:\n${json(a)}\n${json(b)}`,
  );
  await measure(
    'hub client (relations by extra statements)',
    (id) => hub.project.findUnique({ where: { id }, select }),
    proxy,
  );
  await measure(
    'relationJoins client, relationLoadStrategy join',
    (id) => findWithJoins({ where: { id }, select, relationLoadStrategy: 'join' }),
    proxy,
  );
  await measure('one hand-written statement through pg', (id) => pool.query(RAW, [id]), proxy);
} finally {
  await hub.$disconnect();
  await joins.$disconnect();
  await pool.end();
  await proxy.close();
}
