/**
 * `npm run bench`: the whole benchmark, in one bounded run on this machine.
 *
 * 1. Generates the synthetic district into a fresh PostgreSQL database (tests/bench/generate.ts).
 * 2. Starts the hub (src/main.ts), twice more (one to write to during its runs, one with its caches off), PostGraphile v5
 *    and the floor on Node 24, checks their answers, counts SQL statements per request, and
 *    loads them with autocannon in interleaved rounds (tests/bench/http-bench.ts).
 * 3. Profiles the hub under each read (node --cpu-prof).
 * 4. Subscription fan-out on one hub and on two hubs through Redis (tests/bench/fanout.ts).
 * 5. Writes tests/bench/RESULTS.md (between its markers) and the raw figures as JSON.
 *
 * Options: `--only=http`, `--only=fanout` or `--only=analytics` (one part; the analytics reads
 * write their own table), `--reuse` (keep the generated database).
 * Settings: tests/bench/config.ts (BENCH_* environment variables). Needs PostgreSQL at
 * BENCH_ADMIN_URL and `redis-server` on the PATH; everything else is loopback.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { districtSize, runAnalytics, writeAnalyticsResults } from './analytics.ts';
import { bench, benchDir, databaseUrl, outDir } from './config.ts';
import { type FanoutResult, runFanout, startPrivateRedis } from './fanout.ts';
import { generateDistrict } from './generate.ts';
import {
  autocannonRequests,
  connectionsFor,
  countStatements,
  planRequests,
  type RunResult,
  runLoad,
  type StatementCount,
  type VerifyResult,
  verify,
} from './http-bench.ts';
import { ensureNode24 } from './node24.ts';
import {
  OPERATIONS,
  type OperationName,
  SERVER_LABELS,
  SERVERS,
  type ServerName,
} from './operations.ts';
import { startCountingProxy } from './pg-proxy.ts';
import { monotonicUs, type ProfileSummary, summarizeProfile } from './profile.ts';
import {
  type BenchReport,
  type FanoutStatementCount,
  type FanoutStatements,
  renderResults,
  writeResults,
} from './report.ts';
import { type RunningServer, startServer } from './servers.ts';

const args = process.argv.slice(2);
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const reuse = args.includes('--reuse');
const wants = (part: 'http' | 'fanout') => !only || only === part;
const started = Date.now();
const log = (line: string) =>
  console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s] ${line}`);

function machine(node24: string): BenchReport['machine'] {
  const sh = (cmd: string, argv: string[]) => {
    try {
      return execFileSync(cmd, argv, { encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  };
  const lscpu = sh('lscpu', []);
  return {
    date: new Date().toISOString(),
    nproc: Number(sh('nproc', [])),
    memoryGiB: os.totalmem() / 2 ** 30,
    cpuModel: /Model name:\s*(.+)/.exec(lscpu)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown',
    runnerNode: process.version,
    serverNode: sh(node24, ['--version']),
    postgres: 'unknown',
    redis: sh('redis-server', ['--version']).match(/v=(\S+)/)?.[1] ?? 'unknown',
    loadBefore: os.loadavg(),
    loadAfter: [],
  };
}

async function postgresVersion(): Promise<string> {
  const client = new pg.Client({ connectionString: bench.adminUrl });
  await client.connect();
  try {
    return (await client.query<{ v: string }>('SELECT version() AS v')).rows[0]!.v.split(
      ' on ',
    )[0]!;
  } finally {
    await client.end();
  }
}

async function databaseExists(): Promise<boolean> {
  const client = new pg.Client({ connectionString: bench.adminUrl });
  await client.connect();
  try {
    return (
      (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [bench.databaseName]))
        .rowCount === 1
    );
  } finally {
    await client.end();
  }
}

async function generatedYears(): Promise<number[]> {
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  try {
    const { rows } = await client.query<{ year: number }>(
      'SELECT DISTINCT year FROM "Target" ORDER BY year',
    );
    return rows.map((r) => r.year);
  } finally {
    await client.end();
  }
}

/** Profiles one hub under each read in turn; returns a summary per read. */
async function profileHub(
  node: string,
  plan: Awaited<ReturnType<typeof planRequests>>,
): Promise<Partial<Record<OperationName, ProfileSummary>>> {
  const dir = path.join(outDir, 'profile-http');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // Caches off: the profile shows the work behind each read, not a cached answer.
  const hub = await startServer('hub', {
    node,
    port: bench.basePort + 20,
    nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    env: { HUB_CACHE_MS: '0' },
    label: 'hub-profile',
  });
  const windows: Partial<Record<OperationName, { fromUs: number; toUs: number }>> = {};
  try {
    for (const op of OPERATIONS) {
      const requests = autocannonRequests(op, plan.hub[op]);
      await autocannon({
        url: hub.url,
        connections: connectionsFor(op),
        duration: bench.http.warmupS,
        requests,
      });
      const fromUs = monotonicUs();
      await autocannon({
        url: hub.url,
        connections: connectionsFor(op),
        duration: bench.profileS,
        requests,
      });
      windows[op] = { fromUs, toUs: monotonicUs() };
      log(`  profiled ${op}`);
    }
  } finally {
    await hub.stop();
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no CPU profile written in ${dir}`);
  return Object.fromEntries(
    OPERATIONS.map((op) => [op, summarizeProfile(path.join(dir, file), 25, windows[op])]),
  );
}

/**
 * Statements of the subscription path, counted on a hub whose only work is delivering, with 20
 * and with 200 subscribers: without N+1 the second count is no larger than the first.
 */
async function countFanoutStatements(node: string, redisUrl: string): Promise<FanoutStatements> {
  const changes = 5;
  const idleS = 30;
  const counts: FanoutStatementCount[] = [];
  for (const subscribers of [20, 200]) {
    const proxy = await startCountingProxy({
      host: new URL(databaseUrl()).hostname,
      port: Number(new URL(databaseUrl()).port || 5432),
    });
    const viaProxy = new URL(databaseUrl());
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    const counted: Record<string, { statements: number; texts: string[] }> = {};
    try {
      await runFanout({
        node,
        subscribers,
        changes,
        idleS,
        redisUrl,
        databaseUrl: viaProxy.toString(),
        port: bench.basePort + 30,
        runIndex: 9,
        log,
        onPhase: (phase) => {
          counted[phase] = proxy.snapshot();
          proxy.reset();
        },
      });
    } finally {
      await proxy.close();
    }
    counts.push({
      subscribers,
      changes,
      subscribe: counted.subscribed!.statements / subscribers,
      perChange: counted.changed!.statements / changes,
      idlePerMinute: counted.idled!.statements / (idleS / 60),
      sample: counted.changed!.texts.slice(0, 12),
    });
  }
  return { counts };
}

async function main(): Promise<void> {
  const node = ensureNode24();
  mkdirSync(outDir, { recursive: true });
  // The settings of each part, so that a part reused from the last run keeps its own.
  const httpSettings = {
    connections: bench.http.connections,
    durationS: bench.http.durationS,
    dashboardConnections: bench.http.dashboardConnections,
    dashboardDurationS: bench.http.dashboardDurationS,
    warmupS: bench.http.warmupS,
    rounds: bench.http.rounds,
    operations: OPERATIONS,
    poolSize: bench.poolSize,
  };
  const fanoutSettings = {
    subscribers: bench.fanout.subscribers,
    redisSubscribers: bench.fanout.redisSubscribers,
    floorSubscribers: bench.fanout.floorSubscribers,
    floorRounds: bench.fanout.floorRounds,
    /** Even rounds run in the reverse order (below). */
    floorOrder: 'alternating',
    wsClient: bench.fanout.client,
    clientPingMs: bench.fanout.clientPingMs,
    changes: bench.fanout.changes,
    intervalMs: bench.fanout.intervalMs,
    clientProcesses: bench.fanout.clientProcesses,
    drainS: bench.fanout.drainS,
    subscribeS: bench.fanout.subscribeS,
  };
  const report: BenchReport = {
    machine: machine(node),
    district: null,
    verify: null,
    runs: [],
    statements: [],
    profiles: {},
    fanout: [],
    fanoutStatements: null,
    settings: { ...httpSettings, ...fanoutSettings },
    durationMinutes: 0,
    partDates: {},
  };
  report.machine.postgres = await postgresVersion();
  // One part alone: the other part's figures come from the last run (results.json), marked so.
  const previousFile = path.join(outDir, 'results.json');
  if (only && existsSync(previousFile)) {
    const previous = JSON.parse(readFileSync(previousFile, 'utf8')) as BenchReport;
    // The reused part's settings are the last run's (absent there: not known, so not written).
    for (const key of Object.keys(only === 'fanout' ? httpSettings : fanoutSettings)) {
      if (key in previous.settings) report.settings[key] = previous.settings[key];
      else delete report.settings[key];
    }
    if (only === 'fanout')
      Object.assign(report, {
        verify: previous.verify,
        runs: previous.runs,
        statements: previous.statements,
        profiles: previous.profiles,
      });
    if (only === 'http')
      Object.assign(report, {
        fanout: previous.fanout,
        fanoutStatements: previous.fanoutStatements,
        profiles: { fanout: previous.profiles.fanout },
      });
    report.district ??= previous.district;
    report.partDates = { ...previous.partDates };
  }
  log(
    `Node ${report.machine.serverNode} at ${node}; ${report.machine.postgres}; load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );

  let years: number[];
  if (reuse && (await databaseExists())) {
    years = await generatedYears();
    log(`reusing ${bench.databaseName} (years ${years.join(', ')})`);
  } else {
    log(`generating the district into ${bench.databaseName}`);
    const district = await generateDistrict({ log });
    report.district = { counts: district.counts, seconds: district.seconds, years: district.years };
    years = district.years;
  }

  if (!only || only === 'analytics') {
    const year = years.at(-2) ?? years.at(-1)!;
    log(`pipeline analytics reads (year ${year})`);
    const results = await runAnalytics(node, year, log);
    writeAnalyticsResults(results, {
      ...(await districtSize()),
      year,
      date: new Date().toISOString().slice(0, 10),
      load: os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' '),
    });
    log('wrote the analytics table into tests/bench/RESULTS.md');
    if (only === 'analytics') return;
  }

  if (wants('http')) {
    report.partDates = { ...report.partDates, http: new Date().toISOString() };
    log(`starting ${SERVERS.map((s) => SERVER_LABELS[s]).join('; ')} on Node 24`);
    const started: RunningServer[] = [];
    try {
      const servers = {} as Record<ServerName, RunningServer>;
      for (const [i, s] of SERVERS.entries()) {
        servers[s] = await startServer(s, { node, port: bench.basePort + i });
        started.push(servers[s]);
      }
      const plan = await planRequests(servers, years);
      const checked: VerifyResult = await verify(servers, plan);
      report.verify = checked;
      log(
        `checked every request: ${checked.problems.length ? checked.problems.join('; ') : 'all answered'}; floor equals hub: ${checked.floorEqualsHub}; cache-off hub equals hub: ${checked.uncachedEqualsHub}`,
      );
      log('counting SQL statements per request (servers restarted behind a counting proxy)');
      const counts: StatementCount[] = await countStatements(
        node,
        plan,
        bench.basePort + 10,
        new URL(databaseUrl()),
        log,
      );
      report.statements = counts;
      log(`HTTP load: ${bench.http.rounds} interleaved rounds of ${bench.http.durationS} s`);
      const runs: RunResult[] = await runLoad(servers, plan, log, async (kind) => {
        const i = SERVERS.indexOf(kind);
        const fresh = await startServer(kind, {
          node,
          port: bench.basePort + i,
          label: `${kind}-restarted`,
        });
        started.push(fresh);
        return fresh;
      });
      const restarts = runs.filter((r) => r.restarted).length;
      if (restarts) log(`${restarts} runs followed a restart of their server (see the log above)`);
      report.runs = runs;
      await Promise.all(started.map((s) => s.stop()));
      started.length = 0;
      if (bench.profileS > 0) {
        log('profiling the hub under each read');
        Object.assign(report.profiles, await profileHub(node, plan));
      }
    } finally {
      await Promise.all(started.map((s) => s.stop()));
    }
  }

  if (wants('fanout')) {
    report.partDates = { ...report.partDates, fanout: new Date().toISOString() };
    const redis = await startPrivateRedis(bench.redisPort);
    try {
      log('counting the statements of the subscription path');
      report.fanoutStatements = await countFanoutStatements(node, redis.url);
      let runIndex = 0;
      const results: FanoutResult[] = [];
      // The runs compared with the floor (same subscriber count) come in interleaved rounds below.
      const compared = (n: number) => bench.fanout.floorSubscribers.includes(n);
      const oneServer = (n: number) =>
        runFanout({ node, subscribers: n, port: bench.basePort + 40, runIndex: runIndex++, log });
      /** Changes on a hub, subscribers on a second hub (or the floor) hearing them through Redis. */
      const viaRedis = (n: number, subscriberServer: 'hub' | 'fanoutFloor' = 'hub') =>
        runFanout({
          node,
          subscribers: n,
          redisUrl: redis.url,
          subscriberServer,
          port: bench.basePort + 40,
          runIndex: runIndex++,
          log,
        });
      for (const n of bench.fanout.subscribers.filter((n) => !compared(n))) {
        log(`fan-out: ${n} subscribers on one server`);
        results.push(await oneServer(n));
      }
      for (const n of bench.fanout.redisSubscribers.filter((n) => !compared(n))) {
        log(`fan-out: ${n} subscribers, changes on a second server, through Redis`);
        results.push(await viaRedis(n));
      }
      for (const n of bench.fanout.dashboardSubscribers) {
        for (const feed of ['dashboardUpdated', 'liveDashboard'] as const) {
          log(`fan-out: ${n} dashboard clients (${feed}) on one server, a change a second`);
          results.push(
            await runFanout({
              node,
              subscribers: n,
              feed,
              intervalMs: bench.fanout.dashboardIntervalMs,
              port: bench.basePort + 40,
              runIndex: runIndex++,
              log,
            }),
          );
        }
      }
      // Each round runs the hub on one server, the hub through Redis and the floor; even rounds
      // in the reverse order, so that neither the floor nor the hub always runs first or last
      // (after another run's teardown, into PostgreSQL's and the kernel's state it left).
      for (let round = 1; round <= bench.fanout.floorRounds; round++) {
        const of = `round ${round} of ${bench.fanout.floorRounds}`;
        for (const n of bench.fanout.floorSubscribers) {
          const runs: [string, () => Promise<FanoutResult>][] = [];
          if (bench.fanout.subscribers.includes(n))
            runs.push([`${n} subscribers on one server`, () => oneServer(n)]);
          if (bench.fanout.redisSubscribers.includes(n))
            runs.push([
              `${n} subscribers, changes on a second server, through Redis`,
              () => viaRedis(n),
            ]);
          runs.push([
            `${n} subscribers on the fan-out floor, changes on a hub, through Redis`,
            () => viaRedis(n, 'fanoutFloor'),
          ]);
          if (round % 2 === 0) runs.reverse();
          for (const [what, run] of runs) {
            log(`fan-out: ${what} (${of})`);
            results.push({ ...(await run()), round });
          }
        }
      }
      report.fanout = results;
      if (bench.profileS > 0) {
        log('profiling one fan-out run (1,000 subscribers, 20 changes)');
        const dir = path.join(outDir, 'profile-fanout');
        rmSync(dir, { recursive: true, force: true });
        const profiled = await runFanout({
          node,
          subscribers: 1_000,
          changes: 20,
          port: bench.basePort + 40,
          runIndex: runIndex++,
          log,
          profileDir: dir,
        });
        const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
        if (file)
          report.profiles.fanout = summarizeProfile(
            path.join(dir, file),
            25,
            profiled.deliveryWindowUs,
          );
      }
    } finally {
      await redis.stop();
    }
  }

  report.machine.loadAfter = os.loadavg();
  report.durationMinutes = (Date.now() - started) / 60_000;
  writeFileSync(path.join(outDir, 'results.json'), JSON.stringify(report, null, 2));
  const resultsFile = path.join(benchDir, 'RESULTS.md');
  writeResults(resultsFile, renderResults(report));
  log(
    `wrote ${path.relative(process.cwd(), resultsFile)} and ${path.join(outDir, 'results.json')}`,
  );
  console.log(
    '\n' +
      renderResults(report)
        .split('\n')
        .filter(
          (l) =>
            l.startsWith('|') ||
            l.startsWith('###') ||
            l.startsWith('####') ||
            l.startsWith('hub /'),
        )
        .join('\n'),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
