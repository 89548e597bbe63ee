/**
 * The pipeline-analytics reads on the generated district (`--only=analytics`, or part of a full
 * run): the year's dashboard beside `dashboard(asOf:)`, `projects(asOf:)`, `stageDurations`,
 * `approvalBreaches`, `stageChangeTrend` and `stalledProjects`. For each: SQL statements per
 * request (counting proxy, caches off), then latency and throughput with autocannon on the hub
 * with its caches off (every request computed) and as it runs (answers kept per change).
 * The figures go to RESULTS.md between their own markers.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { bench, benchDir, databaseUrl, EDITOR_KEY } from './config.ts';
import { startCountingProxy } from './pg-proxy.ts';
import { startServer } from './servers.ts';

const gqlBody = (query: string, variables: Record<string, unknown>) =>
  JSON.stringify({ query, variables });

/** The reads, each with the request the bench sends (a year of the generated district). */
export function analyticsReads(year: number): { name: string; body: string }[] {
  const asOf = `${year}-06-30`;
  const period = { from: `${year}-01-01`, to: `${year}-12-31` };
  return [
    {
      name: 'dashboard (the year, for comparison)',
      body: gqlBody(
        'query D($year: Int) { dashboard(year: $year) { projects { count } stageFunnel { stage current { count } reached { count } reachedInYear { count } } targets { computedRate } } }',
        { year },
      ),
    },
    {
      name: 'dashboard(asOf)',
      body: gqlBody(
        'query DA($year: Int, $asOf: Date) { dashboard(year: $year, asOf: $asOf) { asOf { eventsCounted estimatedCount uncertainCount } projects { count } stageFunnel { stage current { count } reached { count } reachedInYear { count } } targets { computedRate } } }',
        { year, asOf },
      ),
    },
    {
      name: 'projects(asOf), 20 and totalCount',
      body: gqlBody(
        'query PA($asOf: Date) { projects(asOf: $asOf, first: 20, filter: { stage: [UNDER_CONSTRUCTION, LANDED] }) { totalCount edges { node { code stage stageSince daysAtStage stageSinceEstimated park { name } } } } }',
        { asOf },
      ),
    },
    {
      name: 'stageDurations, 11 next-stage pairs',
      body: gqlBody(
        'query SD($from: Date!, $to: Date!) { stageDurations(from: $from, to: $to) { from to count estimatedCount medianDays p90Days medianWorkingDays p90WorkingDays } }',
        period,
      ),
    },
    {
      name: 'approvalBreaches, 50 and totalCount',
      body: gqlBody(
        'query AB { approvalBreaches(first: 50) { limitWorkingDays totalCount items { project { code name } startedOn approvedOn workingDays overBy } } }',
        {},
      ),
    },
    {
      name: 'stageChangeTrend, 12 months',
      body: gqlBody(
        'query T($from: Date, $to: Date) { stageChangeTrend(interval: MONTH, from: $from, to: $to) { total buckets { start count byStage { stage count } } } }',
        period,
      ),
    },
    {
      name: 'stalledProjects, 20 and totalCount',
      body: gqlBody(
        '{ stalledProjects(minDays: 90, first: 20) { totalCount edges { node { code stageSince daysAtStage } } } }',
        {},
      ),
    },
  ];
}

interface LoadResult {
  /** Requests answered in the run (0: none finished within it). */
  completed: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

export interface AnalyticsResult {
  read: string;
  statements: number;
  uncached: LoadResult;
  cached: LoadResult;
}

const headers = { 'content-type': 'application/json', authorization: `Bearer ${EDITOR_KEY}` };

async function post(url: string, body: string): Promise<{ data?: unknown; errors?: unknown }> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers, body });
  return (await res.json()) as { data?: unknown; errors?: unknown };
}

async function loadOne(url: string, body: string, seconds: number, connections: number) {
  let errors = 0;
  const r = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/graphql',
        body,
        headers,
        onResponse: (status: number, text: string) => {
          if (status !== 200 || text.includes('"errors"')) errors++;
        },
      },
    ],
  });
  return {
    completed: r.requests.total,
    requestsPerSecond: Math.round(r.requests.average),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: errors + r.errors + r.non2xx,
  };
}

/** Counts statements per read, then loads each on the hub without and with its caches. */
export async function runAnalytics(
  node: string,
  year: number,
  log: (line: string) => void,
): Promise<AnalyticsResult[]> {
  const reads = analyticsReads(year);
  const target = new URL(databaseUrl());
  const proxy = await startCountingProxy({
    host: target.hostname,
    port: Number(target.port || 5432),
  });
  const viaProxy = new URL(target);
  viaProxy.host = `127.0.0.1:${proxy.port}`;
  const counted = await startServer('hub', {
    node,
    port: bench.basePort + 50,
    databaseUrl: viaProxy.toString(),
    env: { HUB_CACHE_MS: '0' },
    label: 'hub-analytics-counting',
  });
  const statements: number[] = [];
  try {
    for (const read of reads) {
      for (let w = 0; w < 2; w++) await post(counted.url, read.body);
      await new Promise((r) => setTimeout(r, 100));
      proxy.reset();
      const answer = await post(counted.url, read.body);
      await new Promise((r) => setTimeout(r, 200));
      if (answer.errors || !answer.data)
        throw new Error(`${read.name} failed: ${JSON.stringify(answer).slice(0, 300)}`);
      statements.push(proxy.snapshot().statements);
      log(`  ${read.name}: ${statements.at(-1)} statements`);
    }
  } finally {
    await counted.stop();
    await proxy.close();
  }

  const seconds = bench.http.durationS;
  const connections = bench.http.dashboardConnections;
  const results: AnalyticsResult[] = reads.map((r, i) => ({
    read: r.name,
    statements: statements[i]!,
    uncached: { completed: 0, requestsPerSecond: 0, p50: 0, p99: 0, errors: 0 },
    cached: { completed: 0, requestsPerSecond: 0, p50: 0, p99: 0, errors: 0 },
  }));
  for (const mode of ['uncached', 'cached'] as const) {
    const hub = await startServer('hub', {
      node,
      port: bench.basePort + 51,
      env: mode === 'uncached' ? { HUB_CACHE_MS: '0' } : undefined,
      label: `hub-analytics-${mode}`,
    });
    try {
      for (const [i, read] of reads.entries()) {
        await loadOne(hub.url, read.body, bench.http.warmupS, connections);
        results[i]![mode] = await loadOne(hub.url, read.body, seconds, connections);
        log(`  ${mode} ${read.name}: ${JSON.stringify(results[i]![mode])}`);
      }
    } finally {
      await hub.stop();
    }
  }
  return results;
}

/** Projects and stage events in the generated district. */
export async function districtSize(): Promise<{ projects: number; events: number }> {
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  try {
    const { rows } = await client.query<{ projects: number; events: number }>(
      'SELECT (SELECT COUNT(*) FROM "Project")::int AS projects, (SELECT COUNT(*) FROM "ProjectStageEvent")::int AS events',
    );
    return rows[0]!;
  } finally {
    await client.end();
  }
}

/** req/s, p50, p99 of a run; dashes when no request finished within it. */
const cells = (l: LoadResult) =>
  l.completed ? `${l.requestsPerSecond} | ${l.p50} | ${l.p99}` : `none within the run | — | —`;

const START = '<!-- analytics:start -->';
const END = '<!-- analytics:end -->';

/** Writes the analytics table into RESULTS.md between its markers (appended the first time). */
export function writeAnalyticsResults(
  results: AnalyticsResult[],
  context: { projects: number; events: number; year: number; date: string; load: string },
): void {
  const file = path.join(benchDir, 'RESULTS.md');
  const lines = [
    START,
    '## Pipeline analytics reads',
    '',
    `Measured ${context.date} on the generated district (${context.projects.toLocaleString('en')} projects, ` +
      `${context.events.toLocaleString('en')} stage events), year ${context.year}, as of ${context.year}-06-30; ` +
      `${bench.http.dashboardConnections} connections, ${bench.http.durationS} s per run after ${bench.http.warmupS} s ` +
      'of warm-up, one run each. "Caches off" computes every request (HUB_CACHE_MS=0); "as it runs" keeps answers ' +
      `until a change (none during these runs). Statements: per request, caches off, through the counting proxy. ` +
      `Load average at the end: ${context.load} (the machine is shared; compare rows within this table).`,
    '',
    '| read | SQL statements | caches off: req/s | p50 ms | p99 ms | as it runs: req/s | p50 ms | p99 ms | errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.read} | ${r.statements} | ${cells(r.uncached)} | ${cells(r.cached)} | ${r.uncached.errors + r.cached.errors} |`,
    ),
    END,
  ].join('\n');
  const text = readFileSync(file, 'utf8');
  const from = text.indexOf(START);
  const to = text.indexOf(END);
  const next =
    from >= 0 && to > from
      ? text.slice(0, from) + lines + text.slice(to + END.length)
      : `${text.trimEnd()}\n\n${lines}\n`;
  writeFileSync(file, next);
}
