/**
 * The floor: the three reads answered with hand-written SQL through `pg` and JSON.stringify, no
 * GraphQL, no ORM. It answers the hub's exact JSON (`{ data: ... }`, same ids, cursors, decimal
 * and date formats), so the benchmark can check that both say the same thing, and each answer
 * is one round trip: the statements of one read go to PostgreSQL as one simple-protocol message
 * inside a REPEATABLE READ transaction (integers and dates are validated, then inlined).
 *
 *   GET /dashboard?year=2025
 *   GET /projects?first=20&after=<cursor as the hub gives it>
 *   GET /node?id=<global id as the hub gives it>
 *
 * Run: `node --import tsx tests/bench/floor-server.ts` with PORT and DATABASE_URL (and POOL_SIZE).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import pg from 'pg';

// Dates as the text PostgreSQL sends ('2025-12-31'), not local-midnight Date objects.
pg.types.setTypeParser(1082, (value) => value);

const ALL_STAGES = [
  'PLANNED',
  'NEGOTIATING',
  'SIGNED',
  'LANDED',
  'APPROVED',
  'TENDERED',
  'LAND_ACQUIRED',
  'REGISTERED',
  'UNDER_CONSTRUCTION',
  'COMPLETED',
  'IN_OPERATION',
  'AT_CAPACITY',
  'SUSPENDED',
  'CANCELLED',
];

/** The hub's Decimal format: at least two decimals, more when the value has them. */
export function decimal(value: string | null): string | null {
  if (value === null) return null;
  const [whole, fraction = ''] = value.split('.');
  const trimmed = fraction.replace(/0+$/, '');
  return `${whole}.${trimmed.padEnd(2, '0')}`;
}

const globalId = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString('base64');
const cursorOf = (id: number) => Buffer.from(`GPC:N:${id}`).toString('base64');

class BadRequest extends Error {}

function intParam(value: string | null, name: string, min: number, max: number): number {
  const n = Number(value);
  if (value === null || !Number.isInteger(n) || n < min || n > max)
    throw new BadRequest(`${name} must be an integer from ${min} to ${max}`);
  return n;
}

function decodeId(value: string | null, prefix: string): number {
  const text = value ? Buffer.from(value, 'base64').toString('utf8') : '';
  if (!text.startsWith(prefix)) throw new BadRequest(`not an id of ${prefix}`);
  return intParam(text.slice(prefix.length), 'id', 1, 2 ** 31 - 1);
}

/** A row as pg returns it. */
type Row = pg.QueryResultRow;

/** Runs the statements in one REPEATABLE READ transaction, one round trip; returns their rows. */
async function readConsistently(pool: pg.Pool, statements: string[]): Promise<Row[][]> {
  const sql = ['BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', ...statements, 'COMMIT'].join(
    ';\n',
  );
  const results = (await pool.query(sql)) as unknown as pg.QueryResult[];
  return results.slice(1, -1).map((r) => r.rows);
}

async function dashboard(pool: pg.Pool, year: number): Promise<unknown> {
  const start = `'${year}-01-01'::date`;
  const end = `'${year}-12-31'::date`;
  const [byStage, funnel, targets, funding, channels, observations, parks, recent] =
    await readConsistently(pool, [
      // Projects now, per stage and in total (GROUPING SETS: the total row has stage NULL).
      `SELECT stage::text, count(*)::int AS n, sum("plannedInvestment")::text AS inv, count("plannedInvestment")::int AS known
       FROM "Project" GROUP BY GROUPING SETS ((stage), ())`,
      // The funnel from ProjectStageReach (the first day each project reached each stage, kept by
      // the schema's trigger), the same table the hub reads.
      `SELECT stage::text, count(*)::int AS n, (count(*) FILTER (WHERE "firstOn" >= ${start}))::int AS in_year
       FROM "ProjectStageReach" WHERE "firstOn" <= ${end} GROUP BY stage`,
      `SELECT t.code, t.label, t."labelEn", t.value::text AS value, t.unit, round(t."reportedRate", 1)::text AS reported,
            f.value::text AS actual,
            CASE WHEN f.value IS NOT NULL AND f.unit = t.unit AND t.value <> 0 THEN round(f.value / t.value * 100, 1)::text END AS computed
       FROM "Target" t LEFT JOIN "ReportedFigure" f ON f.id = t."actualId"
      WHERE t.year = ${year} ORDER BY t.id`,
      `SELECT "sourceLevel"::text AS level, "reportedTotal" AS reported, sum(amount)::text AS amount,
            count("overlapNote")::int AS notes, max("overlapNote") AS note
       FROM "FundingAward" WHERE year = ${year}
      GROUP BY "sourceLevel", "reportedTotal" ORDER BY "sourceLevel", "reportedTotal" DESC`,
      `SELECT id, name, "nameEn" FROM "LogisticsChannel" ORDER BY id`,
      `SELECT o."channelId", o.metric, o.value::text AS value, o.unit, o."textValue", o."periodEnd", o."nationalRank", l.ranked
       FROM (
         (SELECT DISTINCT ON ("channelId", metric) id, false AS ranked FROM "LogisticsObservation"
           WHERE "periodEnd" <= ${end} ORDER BY "channelId", metric, "periodEnd" DESC, id DESC)
         UNION ALL
         (SELECT DISTINCT ON ("channelId") id, true AS ranked FROM "LogisticsObservation"
           WHERE "nationalRank" IS NOT NULL AND "periodEnd" <= ${end} ORDER BY "channelId", "periodEnd" DESC, id DESC)
       ) l JOIN "LogisticsObservation" o ON o.id = l.id
      ORDER BY o."channelId", o.metric`,
      `SELECT k.name, count(p.id)::int AS n FROM "Park" k LEFT JOIN "Project" p ON p."parkId" = k.id GROUP BY k.id ORDER BY k.id`,
      `SELECT e.sequence, e."recordedAt", e."fromStage"::text AS "fromStage", e."toStage"::text AS "toStage", p.name
       FROM "ProjectStageEvent" e JOIN "Project" p ON p.id = e."projectId"
      WHERE e."occurredOn" <= ${end} ORDER BY e.sequence DESC LIMIT 10`,
    ]);

  const total = byStage!.find((r) => r.stage === null)!;
  const reachedBy = new Map<string, Row>(funnel!.map((row) => [row.stage as string, row]));

  const levels = new Map<string, Row>();
  for (const g of funding!) {
    const total = levels.get(g.level) ?? {
      sourceLevel: g.level,
      amount: null,
      reportedAmount: null,
      awardedAmount: null,
      mayOverlap: false,
      overlapNote: null,
    };
    if (g.reported) total.reportedAmount = decimal(g.amount);
    else total.awardedAmount = decimal(g.amount);
    total.amount = total.reportedAmount ?? total.awardedAmount;
    if (g.notes > 0) {
      total.mayOverlap = true;
      total.overlapNote ??= g.note;
    }
    levels.set(g.level, total);
  }

  return {
    data: {
      dashboard: {
        year,
        projects: {
          count: total.n,
          plannedInvestment: decimal(total.inv),
          plannedInvestmentKnownCount: total.known,
        },
        stageFunnel: ALL_STAGES.map((stage) => ({
          stage,
          current: { count: byStage!.find((row) => row.stage === stage)?.n ?? 0 },
          reached: { count: reachedBy.get(stage)?.n ?? 0 },
          reachedInYear: { count: reachedBy.get(stage)?.in_year ?? 0 },
        })),
        targets: targets!.map((t) => ({
          target: { code: t.code, label: t.label, labelEn: t.labelEn },
          actualValue: decimal(t.actual),
          targetValue: decimal(t.value),
          unit: t.unit,
          computedRate: decimal(t.computed),
          reportedRate: decimal(t.reported),
          rateMismatch:
            t.computed !== null &&
            t.reported !== null &&
            Math.abs(Math.round(Number(t.computed) * 10) - Math.round(Number(t.reported) * 10)) >=
              1,
        })),
        funding: [...levels.values()],
        logistics: channels!.map((c) => {
          const own = observations!.filter((o) => o.channelId === c.id);
          const ranked = own.find((o) => o.ranked);
          return {
            channel: { name: c.name, nameEn: c.nameEn },
            latestObservations: own
              .filter((o) => !o.ranked)
              .map((o) => ({
                metric: o.metric,
                value: decimal(o.value),
                unit: o.unit,
                textValue: o.textValue,
                periodEnd: o.periodEnd,
              })),
            latestNationalRank: ranked
              ? {
                  metric: ranked.metric,
                  nationalRank: ranked.nationalRank,
                  periodEnd: ranked.periodEnd,
                }
              : null,
          };
        }),
        parks: parks!.map((p) => ({ park: { name: p.name }, projects: { count: p.n } })),
        recentStageChanges: recent!.map((e) => ({
          sequence: e.sequence,
          recordedAt: (e.recordedAt as Date).toISOString(),
          project: { name: e.name },
          fromStage: e.fromStage,
          toStage: e.toStage,
        })),
      },
    },
  };
}

/** A project row as the hub's page item / node selection gives it. */
function projectJson(p: Row, events: Row[], awards: Row[]): Row {
  return {
    id: globalId('Project', p.id),
    code: p.code,
    name: p.name,
    nameEn: p.nameEn,
    stage: p.stage,
    stageChangedAt: (p.stageChangedAt as Date).toISOString(),
    plannedInvestment: decimal(p.plannedInvestment),
    park: p.parkId === null ? null : { id: globalId('Park', p.parkId), name: p.parkName },
    stageHistory: {
      edges: events
        .filter((e) => e.projectId === p.id)
        .map((e) => ({
          node: {
            id: globalId('ProjectStageEvent', e.id),
            sequence: e.sequence,
            kind: e.kind,
            fromStage: e.fromStage,
            toStage: e.toStage,
            occurredOn: e.occurredOn,
          },
        })),
    },
    fundingAwards: awards
      .filter((a) => a.projectId === p.id)
      .map((a) => ({
        id: globalId('FundingAward', a.id),
        code: a.code,
        sourceLevel: a.sourceLevel,
        amount: decimal(a.amount),
        year: a.year,
      })),
  };
}

/** The statements that read projects `ids` (a SQL subquery of ids) with park, last three events and awards. */
function projectStatements(where: string, limit: number): string[] {
  const ids = `SELECT id FROM "Project" ${where} ORDER BY id LIMIT ${limit}`;
  return [
    `SELECT p.id, p.code, p.name, p."nameEn", p.stage::text AS stage, p."stageChangedAt", p."plannedInvestment"::text AS "plannedInvestment",
            p."parkId", k.name AS "parkName"
       FROM "Project" p LEFT JOIN "Park" k ON k.id = p."parkId"
      WHERE p.id IN (${ids}) ORDER BY p.id`,
    `SELECT e."projectId", e.id, e.sequence, e.kind::text AS kind, e."fromStage"::text AS "fromStage", e."toStage"::text AS "toStage", e."occurredOn"
       FROM (${ids}) p CROSS JOIN LATERAL (
         SELECT * FROM "ProjectStageEvent" WHERE "projectId" = p.id ORDER BY sequence DESC LIMIT 3) e
      ORDER BY e."projectId", e.sequence`,
    `SELECT "projectId", id, code, "sourceLevel"::text AS "sourceLevel", amount::text AS amount, year
       FROM "FundingAward" WHERE "projectId" IN (${ids}) ORDER BY id`,
  ];
}

async function projectPage(pool: pg.Pool, first: number, after: number | null): Promise<unknown> {
  const where = after === null ? '' : `WHERE id > ${after}`;
  const [count, projects, events, awards] = await readConsistently(pool, [
    'SELECT count(*)::int AS n FROM "Project"',
    ...projectStatements(where, first + 1),
  ]);
  const page = projects!.slice(0, first);
  return {
    data: {
      projects: {
        totalCount: count![0]!.n,
        pageInfo: {
          hasNextPage: projects!.length > first,
          endCursor: page.length ? cursorOf(page.at(-1)!.id) : null,
        },
        edges: page.map((p) => ({ node: projectJson(p, events!, awards!) })),
      },
    },
  };
}

async function projectNode(pool: pg.Pool, id: number): Promise<unknown> {
  const [projects, events, awards] = await readConsistently(
    pool,
    projectStatements(`WHERE id = ${id}`, 1),
  );
  const p = projects![0];
  return { data: { node: p ? projectJson(p, events!, awards!) : null } };
}

export function createFloorServer(pool: pg.Pool) {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://floor');
    const q = url.searchParams;
    let answer: Promise<unknown>;
    try {
      switch (url.pathname) {
        case '/dashboard':
          answer = dashboard(pool, intParam(q.get('year'), 'year', 2000, 2100));
          break;
        case '/projects':
          answer = projectPage(
            pool,
            intParam(q.get('first') ?? '20', 'first', 1, 100),
            q.get('after') ? decodeId(q.get('after'), 'GPC:N:') : null,
          );
          break;
        case '/node':
          answer = projectNode(pool, decodeId(q.get('id'), 'Project:'));
          break;
        default:
          res.writeHead(404).end();
          return;
      }
    } catch (error) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(String((error as Error).message));
      return;
    }
    answer.then(
      (body) => {
        const json = JSON.stringify(body);
        res
          .writeHead(200, {
            'content-type': 'application/json; charset=utf-8',
            'content-length': Buffer.byteLength(json),
          })
          .end(json);
      },
      (error: unknown) => {
        console.error(error);
        res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
      },
    );
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const pool = new pg.Pool({
    connectionString: process.env.DATABASE_URL,
    max: Number(process.env.POOL_SIZE ?? 10),
  });
  const server = createFloorServer(pool);
  server.keepAliveTimeout = 60_000;
  server.listen(Number(process.env.PORT ?? 4702), process.env.HOST ?? '127.0.0.1', () =>
    console.log(`floor ready on ${process.env.PORT}`),
  );
  const stop = () => server.close(() => void pool.end().then(() => process.exit(0)));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
