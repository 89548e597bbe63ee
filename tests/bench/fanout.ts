/**
 * Subscription fan-out: N graphql-ws subscribers of `projectStageChanged` on one hub (spread
 * over a few client processes), then a series of stage changes through `advanceProjectStage`.
 * Measures delivery latency (mutation sent → event received, per subscriber and event), events
 * lost, duplicates, order, the server's memory per subscriber and its CPU while idle and while
 * delivering. With `redis`, two hubs share a private Redis: subscribers on one, changes on the
 * other.
 *
 * A probe change first proves that every subscription is live (graphql-ws does not acknowledge
 * a subscribe) and is not measured. Every wait is bounded (BENCH_SUBSCRIBE_S, BENCH_DRAIN_S):
 * an event not delivered when the drain window closes counts as not delivered.
 *
 * Run alone: `node --import tsx tests/bench/fanout.ts [subscribers] [--redis] [--floor]`.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { bench, databaseUrl, EDITOR_KEY, outDir } from './config.ts';
import type { ClientCommand, ClientReport } from './fanout-client.ts';
import { ensureNode24 } from './node24.ts';
import {
  alive,
  cpuSeconds,
  type RunningServer,
  rssBytes,
  startServer,
  trackChild,
} from './servers.ts';

/** What a wall display subscribes to (schema/operations/50-live-stage-changes.graphql). */
export const SUBSCRIPTION = /* GraphQL */ `
  subscription LiveStageChanges {
    projectStageChanged {
      sequence kind fromStage toStage occurredOn recordedAt actor note
      project { code name stage }
    }
  }
`;

/**
 * The dashboard a wall shows, as the two ways of keeping it current: `dashboardUpdated` and a
 * `@live` query. `recentStageChanges` names the newest change it reflects (timing).
 */
const DASHBOARD_SELECTION = `year generatedAt projects { count plannedInvestment } stageFunnel { stage current { count } reachedInYear { count } } recentStageChanges { sequence }`;
const year = new Date().getFullYear();
export const FEEDS = {
  stageChanged: SUBSCRIPTION,
  dashboardUpdated: `subscription LiveDashboard { dashboardUpdated(year: ${year}) { ${DASHBOARD_SELECTION} } }`,
  liveDashboard: `query LiveDashboardQuery @live { dashboard(year: ${year}) { ${DASHBOARD_SELECTION} } }`,
} as const;
export type Feed = keyof typeof FEEDS;

const ADVANCE = /* GraphQL */ `
  mutation Advance($input: AdvanceProjectStageInput!) {
    advanceProjectStage(input: $input) {
      __typename
      ... on AdvanceProjectStageSuccess { event { sequence } }
      ... on Error { message }
    }
  }
`;

const PIPELINE = [
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
];

export interface FanoutResult {
  label: string;
  /** Which of the interleaved rounds compared with the floor (tests/bench/run.ts); none: run once. */
  round?: number;
  /** What the subscribers followed (older results: stage changes). */
  feed?: Feed;
  /** Who served the subscribers. */
  subscriberServer: 'hub' | 'fanoutFloor';
  servers: 1 | 2;
  subscribers: number;
  /** Subscribers connected (connection acknowledged). */
  connected: number;
  /** Of those, subscribers whose subscription was live when the probe wait ended (they had the probe). */
  live: number;
  subscribeSeconds: number;
  changes: number;
  /** Changes that committed (the others failed: see mutationErrors). */
  committed: number;
  mutationErrors: number;
  firstMutationError: string | null;
  expected: number;
  delivered: number;
  /** Expected deliveries that had not arrived when the drain window closed. */
  lost: number;
  duplicates: number;
  outOfOrder: number;
  unexpected: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
  /** Mutation round trip (send → response), p50, ms. */
  mutationP50: number;
  /** Seconds from the last change until every delivery arrived (or the window closed). */
  drainSeconds: number;
  complete: boolean;
  rssBeforeMB: number;
  rssSubscribedMB: number;
  rssAfterMB: number;
  /** (RSS subscribed − RSS before) / subscribers connected. */
  kbPerSubscriber: number;
  /** Subscribers' server CPU while nothing happens (idle window), percent of one core. */
  idleCpuPercent: number;
  /** Subscribers' server CPU from the first change until the drain ended, seconds. */
  deliveryCpuSeconds: number;
  /** The client processes' CPU over the same time, seconds (all of them). */
  clientCpuSeconds: number;
  /** Monotonic µs of the first change and the drain's end (to cut a CPU profile to it). */
  deliveryWindowUs: { fromUs: number; toUs: number };
  subscriptionErrors: number;
  firstError: string | null;
}

function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

class ClientProcess {
  readonly child: ChildProcess;
  private waiters: ((r: ClientReport) => void)[] = [];

  constructor() {
    this.child = fork(fileURLToPath(new URL('./fanout-client.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx', '--max-old-space-size=2048'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    trackChild(this.child);
    this.child.on('message', (r: ClientReport) => this.waiters.shift()?.(r));
  }

  ask<T extends ClientReport['type']>(
    cmd: ClientCommand,
    timeoutMs: number,
  ): Promise<Extract<ClientReport, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`client process did not answer ${cmd.type} within ${timeoutMs / 1000} s`),
          ),
        timeoutMs,
      );
      this.waiters.push((r) => {
        clearTimeout(timer);
        resolve(r as Extract<ClientReport, { type: T }>);
      });
      this.child.send(cmd);
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    await this.ask<'closed'>({ type: 'close' }, 30_000).catch(() => this.child.kill('SIGKILL'));
    await Promise.race([exited, sleep(5_000).then(() => this.child.kill('SIGKILL'))]);
  }
}

/** Moves a project one stage on; resolves with the event's sequence, rejects with why not. */
export async function advance(
  server: RunningServer,
  projectId: number,
  toStage: string,
): Promise<string> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    signal: AbortSignal.timeout(90_000),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${EDITOR_KEY}` },
    body: JSON.stringify({
      query: ADVANCE,
      variables: {
        input: { projectId: Buffer.from(`Project:${projectId}`).toString('base64'), toStage },
      },
    }),
  });
  const body = (await res.json()) as {
    data?: { advanceProjectStage?: { __typename: string; event?: { sequence: string } } };
    errors?: { message: string }[];
  };
  const result = body?.data?.advanceProjectStage;
  if (result?.__typename !== 'AdvanceProjectStageSuccess' || !result.event)
    throw new Error(
      `advanceProjectStage failed: ${JSON.stringify(body?.errors?.[0]?.message ?? body).slice(0, 300)}`,
    );
  return result.event.sequence;
}

/**
 * Projects that can move one pipeline stage forward, `count` of them, skipping `offset`; by
 * ascending id (the fan-out runs) or descending (the HTTP runs' writes), so the two never meet.
 */
export async function movableProjects(
  count: number,
  offset: number,
  /** `SPREAD`: in an order unrelated to id, so the projects lie all over the district. */
  order: 'ASC' | 'DESC' | 'SPREAD' = 'ASC',
): Promise<{ id: number; to: string }[]> {
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: number; stage: string }>(
      `SELECT id, stage::text AS stage FROM "Project" WHERE stage::text = ANY($1) ORDER BY ${order === 'SPREAD' ? 'md5(id::text)' : `id ${order}`} LIMIT $2 OFFSET $3`,
      [PIPELINE.slice(0, -1), count, offset],
    );
    if (rows.length < count)
      throw new Error(`only ${rows.length} movable projects left; regenerate the district`);
    return rows.map((r) => ({ id: r.id, to: PIPELINE[PIPELINE.indexOf(r.stage) + 1]! }));
  } finally {
    await client.end();
  }
}

/** A private Redis on loopback for the two-server run; stopped afterwards. */
export async function startPrivateRedis(
  port: number,
): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxclients',
      '1000',
    ],
    {
      stdio: 'ignore',
    },
  );
  trackChild(child);
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const probe = spawn('redis-cli', ['-p', String(port), 'ping'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      let out = '';
      probe.stdout!.on('data', (d) => (out += d));
      probe.on('exit', () => resolve(out.includes('PONG')));
    });
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not start`);
    await sleep(200);
  }
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface FanoutOptions {
  node: string;
  subscribers: number;
  /** Two hubs through this Redis URL: subscribers on the first, changes on the second. */
  redisUrl?: string;
  port: number;
  /** Distinguishes runs: projects moved and loopback source addresses. */
  runIndex: number;
  log: (line: string) => void;
  /** Profile the subscribers' server (node --cpu-prof into this folder). */
  profileDir?: string;
  /**
   * The subscribers' server's database URL (e.g. through the counting proxy); the server that
   * takes the changes, when there are two, always uses the benchmark database directly.
   * @default the benchmark database
   */
  databaseUrl?: string;
  /** Stage changes. @default bench.fanout.changes */
  changes?: number;
  /**
   * Who serves the subscribers: the hub, or the fan-out floor (tests/bench/fanout-floor-server.ts,
   * needs `redisUrl`; the hub still takes the changes). @default 'hub'
   */
  subscriberServer?: 'hub' | 'fanoutFloor';
  /** Called at each phase boundary: subscribed, probed, idled, changed. */
  onPhase?: (
    phase: 'start' | 'subscribed' | 'probed' | 'idled' | 'changed',
  ) => Promise<void> | void;
  /** Seconds of the idle window. @default 10 */
  idleS?: number;
  /** What the subscribers follow. @default 'stageChanged' */
  feed?: Feed;
  /** Milliseconds between two changes. @default bench.fanout.intervalMs */
  intervalMs?: number;
}

export async function runFanout(options: FanoutOptions): Promise<FanoutResult> {
  const { subscribers, log } = options;
  const { clientProcesses, drainS, subscribeS } = bench.fanout;
  const intervalMs = options.intervalMs ?? bench.fanout.intervalMs;
  const changes = options.changes ?? bench.fanout.changes;
  const kind = options.subscriberServer ?? 'hub';
  const floor = kind === 'fanoutFloor';
  if (floor && !options.redisUrl)
    throw new Error('the fan-out floor hears changes through Redis: give redisUrl');
  const what = 'hub';
  const feed = options.feed ?? 'stageChanged';
  const followed =
    feed === 'dashboardUpdated'
      ? ', `dashboardUpdated`'
      : feed === 'liveDashboard'
        ? ', `dashboard @live`'
        : '';
  const label = `${subscribers.toLocaleString('en')} subscribers${followed}, ${floor ? 'fan-out floor (changes on a hub, via Redis)' : options.redisUrl ? `two ${what}s via Redis` : `one ${what}`}`;
  const env = options.redisUrl ? { REDIS_URL: options.redisUrl } : undefined;
  const nodeFlags = options.profileDir
    ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`]
    : undefined;
  const dbUrl = options.databaseUrl;
  const a = await startServer(kind, {
    node: options.node,
    port: options.port,
    env,
    nodeFlags,
    databaseUrl: dbUrl,
    label: `${kind}-fanout-${options.runIndex}-a`,
  });
  const b = options.redisUrl
    ? await startServer(floor ? 'hub' : kind, {
        node: options.node,
        port: options.port + 1,
        env,
        label: `${floor ? 'hub' : kind}-fanout-${options.runIndex}-b`,
      })
    : a;
  const idleS = options.idleS ?? 10;
  const clients: ClientProcess[] = [];
  try {
    const moves = await movableProjects(changes + 1, options.runIndex * (changes + 1));
    // Warm both servers' schema, plans and pools before the baseline.
    for (let i = 0; i < 5; i++) {
      for (const s of new Set([a, b])) {
        await fetch(`${s.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${EDITOR_KEY}` },
          body: JSON.stringify({
            query: '{ projects(first: 5) { totalCount edges { node { name stage } } } }',
          }),
        }).then((r) => r.arrayBuffer());
      }
    }
    await sleep(1_000);
    const rssBefore = rssBytes(a.pid);
    await options.onPhase?.('start');

    const t0 = nowMs();
    const wsUrl = `${a.url.replace('http', 'ws')}/graphql`;
    const per = Math.ceil(subscribers / clientProcesses);
    const opened = await Promise.all(
      Array.from({ length: clientProcesses }, (_, w) => {
        const count = Math.max(0, Math.min(per, subscribers - w * per));
        const c = new ClientProcess();
        clients.push(c);
        return c.ask<'opened'>(
          {
            type: 'open',
            url: wsUrl,
            count,
            query: FEEDS[feed],
            authorization: `Bearer ${EDITOR_KEY}`,
            localAddress: `127.0.${10 + options.runIndex}.${1 + w}`,
            batch: 100,
            client: bench.fanout.client,
            pingMs: bench.fanout.clientPingMs,
          },
          subscribeS * 1000,
        );
      }),
    );
    const connected = opened.reduce((n, o) => n + o.connected, 0);
    const openFailures = opened.reduce((n, o) => n + o.failed, 0);
    await sleep(500);
    await options.onPhase?.('subscribed');
    log(
      `  ${label}: ${connected} connected, ${openFailures} failed${opened.find((o) => o.firstError)?.firstError ? ` (${opened.find((o) => o.firstError)!.firstError})` : ''}`,
    );

    const status = async (sequences: string[]) => {
      const replies = await Promise.all(
        clients.map((c) => c.ask<'status'>({ type: 'status', sequences }, 60_000)),
      );
      const received: Record<string, number> = {};
      for (const s of sequences)
        received[s] = replies.reduce((n, r) => n + (r.received[s] ?? 0), 0);
      return {
        received,
        errors: replies.reduce((n, r) => n + r.errors, 0),
        ended: replies.reduce((n, r) => n + r.ended, 0),
        firstError: replies.find((r) => r.firstError)?.firstError ?? null,
      };
    };

    // The probe: once it reached everyone, every subscription is live.
    // The probe (and every change) may fail under load: that is a finding, not a reason to stop.
    const mutationErrors: string[] = [];
    let probe: string | null = null;
    for (let attempt = 0; attempt < 3 && probe === null; attempt++) {
      probe = await advance(b, moves[0]!.id, moves[0]!.to).catch((error: Error) => {
        mutationErrors.push(`probe: ${error.message}`);
        return null;
      });
    }
    let live = 0;
    const probeDeadline = t0 + subscribeS * 1000;
    while (probe !== null && nowMs() < probeDeadline) {
      // A server that died will not deliver: say so now, not after the whole subscribe window.
      for (const server of [a, b])
        if (!alive(server))
          throw new Error(`${server.name} exited during ${label} (see its log in ${outDir})`);
      live = (await status([probe])).received[probe]!;
      if (live >= connected) break;
      await sleep(500);
    }
    const subscribeSeconds = (nowMs() - t0) / 1000;
    log(`  ${label}: probe reached ${live} of ${connected} in ${subscribeSeconds.toFixed(1)} s`);
    await sleep(1_000);
    const rssSubscribed = rssBytes(a.pid);
    await options.onPhase?.('probed');

    const idle0 = cpuSeconds(a.pid);
    await sleep(idleS * 1000);
    const idleCpuPercent = ((cpuSeconds(a.pid) - idle0) / idleS) * 100;
    await options.onPhase?.('idled');

    const sent: Record<string, number> = {};
    const mutationMs: number[] = [];
    const cpu0 = cpuSeconds(a.pid);
    const clientCpu = () => clients.reduce((n, c) => n + cpuSeconds(c.child.pid!), 0);
    const clientCpu0 = clientCpu();
    const start = nowMs();
    // On schedule, without waiting for the previous change to answer: a slow mutation delays its
    // own event, not the next change.
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < changes; i++) {
      const wait = start + i * intervalMs - nowMs();
      if (wait > 0) await sleep(wait);
      const move = moves[i + 1]!;
      const at = nowMs();
      inFlight.push(
        advance(b, move.id, move.to).then(
          (sequence) => {
            sent[sequence] = at;
            mutationMs.push(nowMs() - at);
          },
          (error: Error) => {
            mutationErrors.push(error.message);
          },
        ),
      );
    }
    await Promise.all(inFlight);
    const lastChange = nowMs();
    const sequences = Object.keys(sent);
    // Every connected subscriber should get every committed change, live in time for the probe or not.
    const expected = connected * sequences.length;
    let delivered = 0;
    let complete = false;
    let lastStatus = await status(sequences);
    while (nowMs() < lastChange + drainS * 1000) {
      lastStatus = await status(sequences);
      delivered = sequences.reduce(
        (n, s) => n + Math.min(connected, lastStatus.received[s] ?? 0),
        0,
      );
      if (delivered >= expected) {
        complete = true;
        break;
      }
      await sleep(500);
    }
    const drainSeconds = (nowMs() - lastChange) / 1000;
    await options.onPhase?.('changed');
    const deliveryCpuSeconds = cpuSeconds(a.pid) - cpu0;
    const clientCpuSeconds = clientCpu() - clientCpu0;
    const rssAfter = rssBytes(a.pid);

    const collected = await Promise.all(
      clients.map((c) =>
        c.ask<'collected'>(
          {
            type: 'collect',
            sent,
            ignore: probe ? [probe] : [],
            cumulative: feed !== 'stageChanged',
          },
          120_000,
        ),
      ),
    );
    const latencies = collected.flatMap((c) => c.latencies).sort((x, y) => x - y);
    mutationMs.sort((x, y) => x - y);
    const result: FanoutResult = {
      label,
      feed,
      subscriberServer: kind,
      servers: options.redisUrl ? 2 : 1,
      subscribers,
      connected,
      live,
      subscribeSeconds,
      changes,
      committed: sequences.length,
      mutationErrors: mutationErrors.length,
      firstMutationError: mutationErrors[0] ?? null,
      expected,
      delivered: latencies.length,
      lost: Math.max(0, expected - latencies.length),
      duplicates: collected.reduce((n, c) => n + c.duplicates, 0),
      outOfOrder: collected.reduce((n, c) => n + c.outOfOrder, 0),
      unexpected: collected.reduce((n, c) => n + c.unexpected, 0),
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies.at(-1) ?? null,
      mutationP50: percentile(mutationMs, 50) ?? 0,
      drainSeconds,
      complete,
      rssBeforeMB: rssBefore / 2 ** 20,
      rssSubscribedMB: rssSubscribed / 2 ** 20,
      rssAfterMB: rssAfter / 2 ** 20,
      kbPerSubscriber: connected ? (rssSubscribed - rssBefore) / 1024 / connected : 0,
      idleCpuPercent,
      deliveryCpuSeconds,
      clientCpuSeconds,
      deliveryWindowUs: {
        fromUs: Math.round(start * 1000),
        toUs: Math.round((lastChange + drainSeconds * 1000) * 1000),
      },
      subscriptionErrors: lastStatus.errors,
      firstError: lastStatus.firstError,
    };
    log(
      `  ${label}: ${sequences.length} of ${changes} changes committed${mutationErrors.length ? ` (${mutationErrors.length} failed: ${mutationErrors[0]})` : ''}; ` +
        `delivered ${result.delivered}/${expected}, lost ${result.lost}, p50 ${result.p50} ms, p99 ${result.p99} ms, max ${result.max} ms, ` +
        `${result.kbPerSubscriber.toFixed(1)} KiB/subscriber, idle CPU ${idleCpuPercent.toFixed(0)}%, drain ${drainSeconds.toFixed(1)} s, ` +
        `server CPU ${deliveryCpuSeconds.toFixed(1)} s, clients CPU ${clientCpuSeconds.toFixed(1)} s`,
    );
    return result;
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([...new Set([a, b])].map((s) => s.stop()));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const count = Number(process.argv[2] ?? 1000);
  const useFloor = process.argv.includes('--floor');
  const redis =
    process.argv.includes('--redis') || useFloor ? await startPrivateRedis(bench.redisPort) : null;
  try {
    const result = await runFanout({
      node: ensureNode24(),
      subscribers: count,
      redisUrl: redis?.url,
      port: bench.basePort + 50,
      runIndex: Number(process.env.BENCH_RUN_INDEX ?? 0),
      log: console.log,
      profileDir: process.env.BENCH_FANOUT_PROFILE_DIR,
      subscriberServer: useFloor ? 'fanoutFloor' : 'hub',
    });
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await redis?.stop();
  }
}
