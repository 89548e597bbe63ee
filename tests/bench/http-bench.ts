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
import { bench, EDITOR_KEY } from './config.ts';
import { advance, movableProjects } from './fanout.ts';
import {
  COUNTED_SERVERS,
  HUB_DASHBOARD,
  HUB_NODE,
  HUB_PROJECT_PAGE,
  OPERATIONS,
  type OperationName,
  PG_DASHBOARD,
  PG_NODE,
  PG_PROJECT_PAGE,
  SERVERS,
  type ServerName,
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
  const hubId = (n: number) => Buffer.from(`Project:${n}`).toString('base64');
  const pgId = (n: number) => Buffer.from(JSON.stringify(['Project', n])).toString('base64');
  const hub: Record<OperationName, BenchRequest[]> = {
    dashboard: years.map((year) => gql(HUB_DASHBOARD, { year })),
    projectPage: hubCursors.map((after) => gql(HUB_PROJECT_PAGE, { first: 20, after })),
    node: ids.map((n) => gql(HUB_NODE, { id: hubId(n) })),
  };
  return {
    hub,
    // The same server code with writes or its caches off: the same requests, so the rows compare like for like.
    hubWrites: hub,
    hubUncached: hub,
    postgraphile: {
      dashboard: years.map((year) => gql(PG_DASHBOARD, { year })),
      projectPage: pgCursors.map((after) => gql(PG_PROJECT_PAGE, { first: 20, after })),
      node: ids.map((n) => gql(PG_NODE, { id: pgId(n) })),
    },
    floor: {
      dashboard: years.map((year) => ({ method: 'GET', path: `/dashboard?year=${year}` })),
      projectPage: hubCursors.map((after) => ({
        method: 'GET',
        path: `/projects?first=20${after ? `&after=${encodeURIComponent(after)}` : ''}`,
      })),
      node: ids.map((n) => ({ method: 'GET', path: `/node?id=${encodeURIComponent(hubId(n))}` })),
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
  for (const s of SERVERS) {
    bytes[s] = {} as Record<OperationName, number>;
    for (const op of OPERATIONS) {
      const answers = [];
      for (const r of plan[s][op]) {
        const a = await send(servers[s].url, r);
        if (a.status !== 200 || a.json?.errors || !a.json?.data)
          problems.push(
            `${s} ${op} ${r.path}: ${a.status} ${JSON.stringify(a.json).slice(0, 300)}`,
          );
        answers.push(a);
      }
      bytes[s][op] = answers[0]?.bytes ?? 0;
      if (s === 'floor' || s === 'hubUncached') {
        // The hub asked again: it answered each dashboard moments before, so this is usually its cached answer.
        for (const [i, r] of plan.hub[op].entries()) {
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
  return { bytes, floorEqualsHub, uncachedEqualsHub, problems };
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
  /** `hubWrites`: stage changes committed during the run, and those that failed. */
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

/** Loads `requests` (cycled per connection); counts answers that carry GraphQL errors. */
async function load(base: string, requests: BenchRequest[], seconds: number, connections: number) {
  let graphqlErrors = 0;
  let firstError: string | null = null;
  const result = await autocannon({
    url: base,
    connections,
    duration: seconds,
    requests: requests.map((r) => ({
      method: r.method,
      path: r.path,
      body: r.body,
      headers: headersFor(r),
      onResponse: (_status: number, body: string) => {
        if (
          body.startsWith('{"errors"') ||
          body.includes('],"errors":') ||
          body.includes('},"errors":')
        ) {
          graphqlErrors++;
          firstError ??= body.slice(0, 300);
        }
      },
    })),
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
 * `moves` one stage on (the projects with the highest ids; the fan-out runs take the lowest).
 */
export class Writer {
  private next = 0;
  constructor(private readonly moves: { id: number; to: string }[]) {}

  start(
    server: RunningServer,
    intervalMs = 1_000,
  ): { stop(): Promise<{ writes: number; writeErrors: number }> } {
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
  const r = await load(server.url, requests, durationFor(operation), connectionsFor(operation));
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
  // Enough projects for a change every second of every measured run of `hubWrites`.
  const seconds = bench.http.rounds * OPERATIONS.reduce((sum, op) => sum + durationFor(op), 0);
  const writer = new Writer(await movableProjects(seconds + 60, 0, 'DESC'));
  try {
    for (const op of OPERATIONS) {
      for (const s of SERVERS) {
        log(`  warm-up ${op} on ${s} (${bench.http.warmupS} s)`);
        await settle(backends);
        await load(servers[s].url, plan[s][op], bench.http.warmupS, connectionsFor(op));
      }
    }
    for (let round = 1; round <= bench.http.rounds; round++) {
      for (const op of OPERATIONS) {
        for (const s of SERVERS) {
          let restarted = false;
          if (!alive(servers[s]) && restart) {
            log(`  ${s} is not running any more: starting it again`);
            servers[s] = await restart(s);
            await load(servers[s].url, plan[s][op], bench.http.warmupS, connectionsFor(op));
            restarted = true;
          }
          const r = {
            ...(await measure(
              servers[s],
              s,
              op,
              plan[s][op],
              round,
              backends,
              s === 'hubWrites' ? writer : undefined,
            )),
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
  operation: OperationName | 'projectPage100';
  statements: number;
  roundTrips: number;
  texts: string[];
}

/**
 * Statements per request: each server started again behind a counting proxy; each operation
 * sent three times to warm up, then once counted. The page is also counted with 100 projects:
 * with no N+1 its count does not grow with the page.
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
