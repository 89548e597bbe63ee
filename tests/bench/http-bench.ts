/**
 * HTTP load: the three reads on the hub (three ways: see ServerName), PostGraphile and the
 * floor, with autocannon, in interleaved rounds (for each operation: hub, hub with writes, hub
 * caches off, PostGraphile, floor, hub, ...), after a warm-up of each. Before loading, every request body is
 * sent once and checked (200, no GraphQL errors; the floor's and the cache-off hub's answers
 * must equal the hub's). Also counts SQL statements per request through the counting proxy
 * (tests/bench/pg-proxy.ts).
 */
import { isDeepStrictEqual } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { bench, databaseUrl, EDITOR_KEY } from './config.ts';
import { advance, movableProjects } from './fanout.ts';
import {
  COUNTED_SERVERS,
  HUB_DASHBOARD,
  HUB_FILTERED_PAGE,
  HUB_NODE,
  HUB_PROJECT_PAGE,
  OPERATIONS,
  type OperationName,
  PG_DASHBOARD,
  PG_FILTERED_PAGE,
  PG_NODE,
  PG_PROJECT_PAGE,
  SERVERS,
  type ServerName,
  serversFor,
} from './operations.ts';
import { type StatementLog, startCountingProxy } from './pg-proxy.ts';
import { alive, BackendCpu, cpuSeconds, type RunningServer, startServer } from './servers.ts';

/** One HTTP request as autocannon sends it. */
export interface BenchRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
}

/** For each server and operation, the requests a run cycles through. */
export type RequestPlan = Record<ServerName, Record<OperationName, BenchRequest[]>>;

const gql = (query: string, variables: Record<string, unknown>): BenchRequest => ({
  method: 'POST',
  path: '/graphql',
  body: JSON.stringify({ query, variables }),
});

const headersFor = (r: BenchRequest): Record<string, string> =>
  r.method === 'POST'
    ? { 'content-type': 'application/json', authorization: `Bearer ${EDITOR_KEY}` }
    : { authorization: `Bearer ${EDITOR_KEY}` };

interface PageAnswer {
  pageInfo: { endCursor: string | null };
}

/** A GraphQL answer as the benchmark reads it; `text` holds a body that was not JSON. */
interface Answer {
  data?: { projects?: PageAnswer; allProjects?: PageAnswer };
  errors?: unknown[];
  text?: string;
}

async function send(
  base: string,
  r: BenchRequest,
): Promise<{ status: number; json: Answer; bytes: number }> {
  const res = await fetch(base + r.path, {
    method: r.method,
    headers: headersFor(r),
    body: r.body,
  });
  const text = await res.text();
  let json: Answer;
  try {
    json = JSON.parse(text) as Answer;
  } catch {
    json = { text };
  }
  return { status: res.status, json, bytes: Buffer.byteLength(text) };
}

const PAGES = 10;
const NODES = 50;
/** Page size of the analyst mix, and how deep its cursors go (pages up to the tenth). */
const ANALYST_PAGE = 20;
const ANALYST_DEPTH = PAGES * ANALYST_PAGE;

/** mulberry32: the same analyst requests on every run, and the same draws for every server. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hubGlobalId = (type: string, n: number) => Buffer.from(`${type}:${n}`).toString('base64');
const pgGlobalId = (type: string, n: number) =>
  Buffer.from(JSON.stringify([type, n])).toString('base64');

interface ProjectKeys {
  id: number;
  stage: string;
  parkId: number | null;
  sectorId: number | null;
}

/**
 * The analyst mix, as index-aligned request lists for the hub and PostGraphile: half node
 * lookups of any of the projects, half filtered pages (no filter, a stage, a park, a sector, or
 * a stage and a sector) starting after any edge of the first ten pages. Cursors are made as each
 * server makes them: the hub's from the row id, PostGraphile's from one it returned (`pgCursor`,
 * whose last element is the row id).
 */
async function planAnalyst(pgCursor: string): Promise<{ hub: BenchRequest[]; pg: BenchRequest[] }> {
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  let projects: ProjectKeys[];
  try {
    projects = (
      await client.query<ProjectKeys>(
        'SELECT id, stage::text AS stage, "parkId", "sectorId" FROM "Project" ORDER BY id',
      )
    ).rows;
  } finally {
    await client.end();
  }
  const pgPrefix = JSON.parse(Buffer.from(pgCursor, 'base64').toString('utf8')) as unknown[];
  const pgCursorOf = (id: number) =>
    Buffer.from(JSON.stringify([...pgPrefix.slice(0, -1), id])).toString('base64');
  const random = prng(18);
  const any = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)]!;
  const stages = [...new Set(projects.map((p) => p.stage))];
  const parks = [...new Set(projects.flatMap((p) => (p.parkId === null ? [] : [p.parkId])))];
  const sectors = [...new Set(projects.flatMap((p) => (p.sectorId === null ? [] : [p.sectorId])))];
  const hub: BenchRequest[] = [];
  const pgl: BenchRequest[] = [];
  /** The first ten pages' ids of each filter drawn so far. */
  const listed = new Map<string, number[]>();
  while (hub.length < bench.http.analystRequests) {
    if (random() < 0.5) {
      const n = any(projects).id;
      hub.push(gql(HUB_NODE, { id: hubGlobalId('Project', n) }));
      pgl.push(gql(PG_NODE, { id: pgGlobalId('Project', n) }));
      continue;
    }
    const kind = Math.floor(random() * 5);
    const stage = kind === 1 || kind === 4 ? any(stages) : undefined;
    const parkId = kind === 2 ? any(parks) : undefined;
    const sectorId = kind === 3 || kind === 4 ? any(sectors) : undefined;
    const key = `${stage}/${parkId}/${sectorId}`;
    let ids = listed.get(key);
    if (!ids) {
      ids = projects
        .filter(
          (p) =>
            (stage === undefined || p.stage === stage) &&
            (parkId === undefined || p.parkId === parkId) &&
            (sectorId === undefined || p.sectorId === sectorId),
        )
        .slice(0, ANALYST_DEPTH)
        .map((p) => p.id);
      listed.set(key, ids);
    }
    if (!ids.length) continue;
    // After any edge of the first ten pages, or from the start.
    const at = Math.floor(random() * ids.length);
    const after = at === 0 ? null : ids[at - 1]!;
    hub.push(
      gql(HUB_FILTERED_PAGE, {
        first: ANALYST_PAGE,
        after: after === null ? null : Buffer.from(`GPC:N:${after}`).toString('base64'),
        filter: {
          ...(stage && { stage: [stage] }),
          ...(parkId && { parkId: hubGlobalId('Park', parkId) }),
          ...(sectorId && { sectorId: hubGlobalId('Sector', sectorId) }),
        },
      }),
    );
    pgl.push(
      gql(PG_FILTERED_PAGE, {
        first: ANALYST_PAGE,
        after: after === null ? null : pgCursorOf(after),
        condition: {
          ...(stage && { stage }),
          ...(parkId && { parkId }),
          ...(sectorId && { sectorId }),
        },
      }),
    );
  }
  return { hub, pg: pgl };
}

/**
 * The requests: dashboards of each generated year, the first ten pages of 20 projects (the
 * cursors as each server gives them) and fifty projects spread over the table by id.
 */
export async function planRequests(
  servers: Record<ServerName, RunningServer>,
  years: number[],
): Promise<RequestPlan> {
  const hubCursors: (string | null)[] = [null];
  const pgCursors: (string | null)[] = [null];
  for (let i = 1; i < PAGES; i++) {
    const h = await send(
      servers.hub.url,
      gql(HUB_PROJECT_PAGE, { first: 20, after: hubCursors[i - 1] }),
    );
    hubCursors.push(h.json.data!.projects!.pageInfo.endCursor);
    const p = await send(
      servers.postgraphile.url,
      gql(PG_PROJECT_PAGE, { first: 20, after: pgCursors[i - 1] }),
    );
    pgCursors.push(p.json.data!.allProjects!.pageInfo.endCursor);
  }
  const ids = Array.from({ length: NODES }, (_, i) => 1 + i * 199);
  const hubId = (n: number) => hubGlobalId('Project', n);
  const pgId = (n: number) => pgGlobalId('Project', n);
  const analyst = await planAnalyst(pgCursors[1]!);
  const hub: Record<OperationName, BenchRequest[]> = {
    dashboard: years.map((year) => gql(HUB_DASHBOARD, { year })),
    projectPage: hubCursors.map((after) => gql(HUB_PROJECT_PAGE, { first: 20, after })),
    node: ids.map((n) => gql(HUB_NODE, { id: hubId(n) })),
    analyst: analyst.hub,
  };
  return {
    hub,
    // The same server code with writes or its caches off: the same requests, so the rows compare like for like.
    hubWrites: hub,
    hubBusy: hub,
    hubUncached: hub,
    postgraphile: {
      dashboard: years.map((year) => gql(PG_DASHBOARD, { year })),
      projectPage: pgCursors.map((after) => gql(PG_PROJECT_PAGE, { first: 20, after })),
      node: ids.map((n) => gql(PG_NODE, { id: pgId(n) })),
      analyst: analyst.pg,
    },
    floor: {
      dashboard: years.map((year) => ({ method: 'GET', path: `/dashboard?year=${year}` })),
      projectPage: hubCursors.map((after) => ({
        method: 'GET',
        path: `/projects?first=20${after ? `&after=${encodeURIComponent(after)}` : ''}`,
      })),
      node: ids.map((n) => ({ method: 'GET', path: `/node?id=${encodeURIComponent(hubId(n))}` })),
      analyst: [],
    },
  };
}

export interface VerifyResult {
  /** Response bytes of the first request of each server and operation. */
  bytes: Record<ServerName, Record<OperationName, number>>;
  /** Every floor answer equals the hub's. */
  floorEqualsHub: boolean;
  /** Every answer of the hub with its caches off equals the hub's (absent in results of runs before the variant). */
  uncachedEqualsHub?: boolean;
  problems: string[];
}

/**
 * Sends every planned request once: 200, no GraphQL errors, floor == hub and hub with the cache
 * off == hub, by deep equality of the whole JSON (the hub's dashboard operation does not ask for
 * `generatedAt`, the one field that differs between two computations of the same data).
 */
export async function verify(
  servers: Record<ServerName, RunningServer>,
  plan: RequestPlan,
): Promise<VerifyResult> {
  const problems: string[] = [];
  const bytes = {} as VerifyResult['bytes'];
  let floorEqualsHub = true;
  let uncachedEqualsHub = true;
  const analystAnswers: Partial<Record<ServerName, unknown[]>> = {};
  for (const s of SERVERS) {
    bytes[s] = {} as Record<OperationName, number>;
    for (const op of OPERATIONS) {
      if (!serversFor(op).includes(s)) continue;
      const answers = [];
      for (const r of checked(plan[s][op], op)) {
        const a = await send(servers[s].url, r);
        if (a.status !== 200 || a.json?.errors || !a.json?.data)
          problems.push(
            `${s} ${op} ${r.path}: ${a.status} ${JSON.stringify(a.json).slice(0, 300)}`,
          );
        answers.push(a);
      }
      bytes[s][op] = answers[0]?.bytes ?? 0;
      if (op === 'analyst') analystAnswers[s] = answers.map((a) => a.json);
      if (s === 'floor' || s === 'hubUncached') {
        // The hub asked again: it answered each dashboard moments before, so this is usually its cached answer.
        for (const [i, r] of checked(plan.hub[op], op).entries()) {
          const hub = await send(servers.hub.url, r);
          if (!isDeepStrictEqual(hub.json, answers[i]?.json)) {
            if (s === 'floor') floorEqualsHub = false;
            else uncachedEqualsHub = false;
            problems.push(`${s} ${op} #${i} differs from the hub`);
          }
        }
      }
    }
  }
  // The analyst mix asks both servers the same: the same projects, in the same order.
  const hubAnalyst = analystAnswers.hub ?? [];
  for (const [i, answer] of (analystAnswers.postgraphile ?? []).entries()) {
    if (analystShape(answer, 'postgraphile') !== analystShape(hubAnalyst[i], 'hub'))
      problems.push(
        `analyst #${i}: PostGraphile's projects differ from the hub's (${analystShape(answer, 'postgraphile')} / ${analystShape(hubAnalyst[i], 'hub')})`,
      );
  }
  return { bytes, floorEqualsHub, uncachedEqualsHub, problems };
}

/** Requests sent once before loading: all, but a sample of the analyst mix's thousands. */
const ANALYST_CHECKED = 60;
const checked = (requests: BenchRequest[], op: OperationName) =>
  op === 'analyst' ? requests.slice(0, ANALYST_CHECKED) : requests;

/** What the analyst mix's answers hold, on either server. */
interface AnalystList {
  totalCount: number;
  pageInfo: { hasNextPage: boolean };
  edges: { node: { id: string } }[];
}
interface AnalystAnswer {
  data?: { node?: { id: string } | null; projects?: AnalystList; allProjects?: AnalystList };
}

/** An analyst answer reduced to what both servers must agree on: total, row ids, next page. */
function analystShape(answer: unknown, server: 'hub' | 'postgraphile'): string {
  const rowId = (id: string) => {
    const decoded = Buffer.from(id, 'base64').toString('utf8');
    return server === 'hub' ? Number(decoded.split(':')[1]) : Number(JSON.parse(decoded)[1]);
  };
  const data = (answer as AnalystAnswer | null)?.data;
  if (data?.node !== undefined) return `node ${data.node ? rowId(data.node.id) : null}`;
  const list = server === 'hub' ? data?.projects : data?.allProjects;
  if (!list) return 'no answer';
  return `total ${list.totalCount}, next ${list.pageInfo.hasNextPage}, ids ${list.edges.map((e) => rowId(e.node.id)).join(',')}`;
}

export interface RunResult {
  server: ServerName;
  operation: OperationName;
  round: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  non2xx: number;
  /** 200 answers that carried GraphQL errors (rate limits, timeouts...). */
  graphqlErrors: number;
  firstError: string | null;
  /** CPU milliseconds per request: the server process, and its PostgreSQL backends. */
  serverCpuMs: number;
  dbCpuMs: number;
  /** The server had died and was started again before this run. */
  restarted?: boolean;
  /** The hub's variants: share of the requests answered from the response cache (its /metrics). */
  fromMemory?: number;
  /** `hubWrites`, `hubBusy`: stage changes committed during the run, and those that failed. */
  writes?: number;
  writeErrors?: number;
}

/** Concurrent connections for an operation: fewer for the dashboard, which is database-bound. */
/** Seconds of a measured run: the dashboard gets more, as it completes few requests per second. */
export const durationFor = (op: OperationName) =>
  op === 'dashboard' ? bench.http.dashboardDurationS : bench.http.durationS;

export const connectionsFor = (op: OperationName) =>
  op === 'dashboard' ? bench.http.dashboardConnections : bench.http.connections;

/**
 * Waits until no statement runs on the benchmark database: requests a server had queued when
 * autocannon stopped would otherwise run into the next server's measurement.
 */
export async function settle(backends: BackendCpu, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await backends.active()) > 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 250));
  await new Promise((r) => setTimeout(r, 500));
}

/**
 * What autocannon sends: each of `requests` in turn, or for the analyst mix one drawn at random
 * for every request, by draws seeded with `draw`. Each measured run has its own (its round), the
 * same for every server in that round: the mix's requests seldom repeat, within a run or across
 * runs, as an analyst's do not.
 */
export function autocannonRequests(
  op: OperationName,
  requests: BenchRequest[],
  onResponse?: (status: number, body: string) => void,
  draw = 0,
): autocannon.Request[] {
  if (op !== 'analyst')
    return requests.map((r) => ({
      method: r.method,
      path: r.path,
      body: r.body,
      headers: headersFor(r),
      onResponse,
    }));
  const random = prng(24 + 1_000 * draw);
  const first = requests[0]!;
  return [
    {
      method: first.method,
      path: first.path,
      headers: headersFor(first),
      setupRequest: (req) => ({
        ...req,
        body: requests[Math.floor(random() * requests.length)]!.body,
      }),
      onResponse,
    },
  ];
}

/** Loads a read's requests; counts answers that carry GraphQL errors. */
async function load(
  base: string,
  op: OperationName,
  requests: BenchRequest[],
  seconds: number,
  connections: number,
  /** The analyst mix's draws (see autocannonRequests). @default 0, the warm-up's */
  draw = 0,
) {
  let graphqlErrors = 0;
  let firstError: string | null = null;
  const result = await autocannon({
    url: base,
    connections,
    duration: seconds,
    requests: autocannonRequests(
      op,
      requests,
      (_status: number, body: string) => {
        if (
          body.startsWith('{"errors"') ||
          body.includes('],"errors":') ||
          body.includes('},"errors":')
        ) {
          graphqlErrors++;
          firstError ??= body.slice(0, 300);
        }
      },
      draw,
    ),
  });
  return Object.assign(result, { graphqlErrors, firstError });
}

/**
 * A hub's answers to queries so far, from its /metrics: served from the response cache
 * (`hub_response_cache_total{result="hit"}`) and executed (`graphql_envelop_request_duration_count`).
 */
async function answers(server: RunningServer): Promise<{ hits: number; executed: number }> {
  const lines = (await (await fetch(`${server.url}/metrics`)).text()).split('\n');
  const sum = (prefix: string, label = '') =>
    lines
      .filter((l) => l.startsWith(prefix) && l.includes(label))
      .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
  // Queries only: the writes of `hubWrites` are executed too.
  return {
    hits: sum('hub_response_cache_total{result="hit"}'),
    executed: sum('graphql_envelop_request_duration_count{', 'operationType="query"'),
  };
}

/**
 * Stage changes through a hub, one every `intervalMs` until stopped, each moving the next of
 * `moves` one stage on (projects spread over the table).
 */
export class Writer {
  private next = 0;
  constructor(
    private readonly moves: { id: number; to: string }[],
    private readonly intervalMs = 1_000,
  ) {}

  start(server: RunningServer): { stop(): Promise<{ writes: number; writeErrors: number }> } {
    const intervalMs = this.intervalMs;
    let writes = 0;
    let writeErrors = 0;
    const pending: Promise<void>[] = [];
    const timer = setInterval(() => {
      const move = this.moves[this.next++];
      if (!move) {
        writeErrors++;
        return;
      }
      pending.push(
        advance(server, move.id, move.to).then(
          () => void writes++,
          () => void writeErrors++,
        ),
      );
    }, intervalMs);
    return {
      async stop() {
        clearInterval(timer);
        await Promise.all(pending);
        return { writes, writeErrors };
      },
    };
  }
}

export async function measure(
  server: RunningServer,
  kind: ServerName,
  operation: OperationName,
  requests: BenchRequest[],
  round: number,
  backends: BackendCpu,
  writer?: Writer,
): Promise<RunResult> {
  await settle(backends);
  const hub = kind !== 'postgraphile' && kind !== 'floor';
  const answers0 = hub ? await answers(server) : null;
  const cpu0 = cpuSeconds(server.pid);
  const db0 = await backends.sample();
  const writing = writer?.start(server);
  const r = await load(
    server.url,
    operation,
    requests,
    durationFor(operation),
    connectionsFor(operation),
    round,
  );
  const written = await writing?.stop();
  const cpu1 = cpuSeconds(server.pid);
  const db1 = await backends.sample();
  const total = r.requests.total || 1;
  // Counted by the server at both ends, so requests in flight when autocannon stops count alike.
  const answers1 = hub ? await answers(server) : null;
  const hits = answers1 && answers0 ? answers1.hits - answers0.hits : 0;
  const executed = answers1 && answers0 ? answers1.executed - answers0.executed : 0;
  const fromMemory = hub ? hits / Math.max(1, hits + executed) : undefined;
  return {
    fromMemory,
    ...written,
    server: kind,
    operation,
    round,
    requestsPerSecond: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests: r.requests.total,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    graphqlErrors: r.graphqlErrors,
    firstError: r.firstError,
    serverCpuMs: ((cpu1 - cpu0) * 1000) / total,
    dbCpuMs: (BackendCpu.delta(db0, db1) * 1000) / total,
  };
}

/**
 * Warm-up, then interleaved measured rounds. A server found dead before its run (on a shared
 * machine a stray kill can end it) is started again by `restart` and warmed up, and the run is
 * marked; its run is measured on the new process.
 */
export async function runLoad(
  servers: Record<ServerName, RunningServer>,
  plan: RequestPlan,
  log: (line: string) => void,
  restart?: (kind: ServerName) => Promise<RunningServer>,
): Promise<RunResult[]> {
  const backends = new BackendCpu();
  const results: RunResult[] = [];
  // Enough projects for every measured run of `hubWrites` (one change a second) and `hubBusy`
  // (ten a second), each project moved once, all drawn from over the whole table.
  const seconds = bench.http.rounds * OPERATIONS.reduce((sum, op) => sum + durationFor(op), 0);
  const moves = await movableProjects(11 * (seconds + 60), 0, 'SPREAD');
  const writers: Partial<Record<ServerName, Writer>> = {
    hubWrites: new Writer(moves.slice(0, seconds + 60), 1_000),
    hubBusy: new Writer(moves.slice(seconds + 60), 100),
  };
  try {
    for (const op of OPERATIONS) {
      for (const s of serversFor(op)) {
        log(`  warm-up ${op} on ${s} (${bench.http.warmupS} s)`);
        await settle(backends);
        await load(servers[s].url, op, plan[s][op], bench.http.warmupS, connectionsFor(op));
      }
    }
    for (let round = 1; round <= bench.http.rounds; round++) {
      for (const op of OPERATIONS) {
        for (const s of serversFor(op)) {
          let restarted = false;
          if (!alive(servers[s]) && restart) {
            log(`  ${s} is not running any more: starting it again`);
            servers[s] = await restart(s);
            await load(servers[s].url, op, plan[s][op], bench.http.warmupS, connectionsFor(op));
            restarted = true;
          }
          const r = {
            ...(await measure(servers[s], s, op, plan[s][op], round, backends, writers[s])),
            restarted,
          };
          results.push(r);
          log(
            `  round ${round} ${op.padEnd(11)} ${s.padEnd(12)} ${r.requestsPerSecond.toFixed(1).padStart(8)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms` +
              `  cpu ${r.serverCpuMs.toFixed(2)} ms/req, db ${r.dbCpuMs.toFixed(2)} ms/req` +
              `${r.fromMemory !== undefined ? `  from memory ${(r.fromMemory * 100).toFixed(1)}%` : ''}${r.writes !== undefined ? `  writes ${r.writes} (${r.writeErrors} failed)` : ''}${r.errors || r.non2xx || r.graphqlErrors ? `  ERRORS ${r.errors} non2xx ${r.non2xx} graphql ${r.graphqlErrors} ${r.firstError ?? ''}` : ''}`,
          );
        }
      }
    }
  } finally {
    await backends.close();
  }
  return results;
}

export interface StatementCount {
  server: ServerName;
  /** `projectPage` is the second page (after a cursor); `projectPageFirst` the first. */
  operation: OperationName | 'projectPage100' | 'projectPageFirst';
  statements: number;
  roundTrips: number;
  texts: string[];
}

/**
 * Statements per request: each server started again behind a counting proxy; each operation
 * sent three times to warm up, then once counted. The page is also counted with 100 projects:
 * with no N+1 its count does not grow with the page; and the first page, which a later page
 * (after a cursor) must not exceed.
 */
export async function countStatements(
  node: string,
  plan: RequestPlan,
  port: number,
  targetUrl: URL,
  log: (line: string) => void,
): Promise<StatementCount[]> {
  const counts: StatementCount[] = [];
  for (const [i, kind] of COUNTED_SERVERS.entries()) {
    const proxy = await startCountingProxy({
      host: targetUrl.hostname,
      port: Number(targetUrl.port || 5432),
    });
    const viaProxy = new URL(targetUrl);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    // The hub with its caches off: what is counted is each read's computation, which the caches
    // run once per change instead of once per request.
    const env = kind === 'hub' ? { HUB_CACHE_MS: '0' } : undefined;
    const server = await startServer(kind, {
      node,
      port: port + i,
      databaseUrl: viaProxy.toString(),
      env,
      label: `${kind}-counting`,
    });
    try {
      const page100 = (r: BenchRequest): BenchRequest =>
        r.method === 'GET'
          ? { ...r, path: r.path.replace('first=20', 'first=100') }
          : { ...r, body: r.body!.replace('"first":20', '"first":100') };
      const cases: [StatementCount['operation'], BenchRequest][] = [
        ['dashboard', plan[kind].dashboard.at(-2)!],
        ['projectPageFirst', plan[kind].projectPage[0]!],
        ['projectPage', plan[kind].projectPage[1]!],
        ['projectPage100', page100(plan[kind].projectPage[1]!)],
        ['node', plan[kind].node[3]!],
      ];
      for (const [operation, request] of cases) {
        for (let w = 0; w < 3; w++) await send(server.url, request);
        await new Promise((r) => setTimeout(r, 100));
        proxy.reset();
        const answer = await send(server.url, request);
        await new Promise((r) => setTimeout(r, 200));
        if (answer.status !== 200 || answer.json?.errors)
          throw new Error(
            `${kind} ${operation} failed while counting: ${JSON.stringify(answer.json).slice(0, 300)}`,
          );
        const snap: StatementLog = proxy.snapshot();
        counts.push({
          server: kind,
          operation,
          statements: snap.statements,
          roundTrips: snap.roundTrips,
          texts: snap.texts,
        });
        log(
          `  ${kind.padEnd(12)} ${operation.padEnd(14)} ${snap.statements} statements, ${snap.roundTrips} round trips`,
        );
      }
    } finally {
      await server.stop();
      await proxy.close();
    }
  }
  return counts;
}
