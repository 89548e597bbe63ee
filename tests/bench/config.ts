/**
 * Settings shared by every part of the benchmark (`npm run bench`), read once from the
 * environment. Every run is bounded: durations, rounds and waits are fixed numbers here.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function int(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** A comma-separated list of positive integers; `none`: no runs. */
function list(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (!raw) return fallback;
  if (raw === 'none') return [];
  return raw.split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n <= 0)
      throw new Error(`${name} must be a comma-separated list of positive integers`);
    return n;
  });
}

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const benchDir = fileURLToPath(new URL('./', import.meta.url));
/** Profiles, raw JSON results and logs of the last run (ignored by git, see *.cpuprofile). */
export const outDir = path.join(repoRoot, 'node_modules', '.cache', 'lzhub-bench', 'out');

export const bench = {
  /** PostgreSQL server holding the benchmark database (created and dropped by the generator). */
  adminUrl: process.env.BENCH_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
  databaseName: process.env.BENCH_DATABASE ?? 'lzhub_bench',
  /** A private Redis for the two-server fan-out, so no other hub on the shared one hears us. */
  redisPort: int('BENCH_REDIS_PORT', 6391),
  /** First TCP port of the servers the benchmark starts (loopback only). */
  basePort: int('BENCH_BASE_PORT', 4700),
  /** Pool size of every server's PostgreSQL pool: the hub's default, 10. */
  poolSize: int('BENCH_POOL_SIZE', 10),
  http: {
    /** Concurrent HTTP connections of autocannon. */
    connections: int('BENCH_CONNECTIONS', 20),
    /** Seconds of one measured run (one server, one operation). */
    durationS: int('BENCH_DURATION_S', 8),
    /** The dashboard is database-bound (a scan of the stage-event log): fewer connections, longer runs. */
    dashboardConnections: int('BENCH_DASHBOARD_CONNECTIONS', 4),
    dashboardDurationS: int('BENCH_DASHBOARD_DURATION_S', 15),
    /** Seconds of warm-up per server and operation, before any measured run. */
    warmupS: int('BENCH_WARMUP_S', 4),
    /** Interleaved rounds: hub, PostGraphile, floor, hub, ... per operation and round. */
    rounds: int('BENCH_ROUNDS', 3),
    /** The reads to load (`dashboard,projectPage,node,analyst`); unset: all of them. */
    operations: process.env.BENCH_OPERATIONS
      ? process.env.BENCH_OPERATIONS.split(',').map((s) => s.trim())
      : null,
    /** Distinct requests drawn for the analyst mix (each run picks from them at random). */
    analystRequests: int('BENCH_ANALYST_REQUESTS', 20_000),
  },
  fanout: {
    /** Subscriber counts on one server. */
    subscribers: list('BENCH_SUBSCRIBERS', [1_000, 5_000, 10_000]),
    /** Subscriber counts for the two-server (Redis) run. */
    redisSubscribers: list('BENCH_REDIS_SUBSCRIBERS', [1_000, 5_000, 10_000]),
    /** Dashboard clients kept current two ways (`dashboardUpdated`, `dashboard @live`), one server. */
    dashboardSubscribers: list('BENCH_DASHBOARD_SUBSCRIBERS', [1_000]),
    /** Milliseconds between two stage changes in the dashboard runs (one a second). */
    dashboardIntervalMs: int('BENCH_DASHBOARD_INTERVAL_MS', 1_000),
    /** Subscriber counts for the fan-out floor (tests/bench/fanout-floor-server.ts). */
    floorSubscribers: list('BENCH_FLOOR_SUBSCRIBERS', [10_000]),
    /**
     * Interleaved rounds of the runs compared with the floor (the floor's counts on one hub, on
     * two hubs through Redis, and on the floor), so each ratio is a median over rounds. Five: on
     * this shared machine the same code's CPU per delivery moved by up to half between rounds,
     * and one odd round of three decided a median (tests/bench/RESULTS.md, 2026-12-02).
     */
    floorRounds: int('BENCH_FLOOR_ROUNDS', 5),
    /** Stage changes per run. */
    changes: int('BENCH_CHANGES', 100),
    /** Milliseconds between the starts of two stage changes. */
    intervalMs: int('BENCH_CHANGE_INTERVAL_MS', 500),
    /** `raw` (the protocol over ws, lightest) or `graphql-ws` (the library's client). */
    client: (process.env.BENCH_WS_CLIENT === 'graphql-ws' ? 'graphql-ws' : 'raw') as
      | 'raw'
      | 'graphql-ws',
    /**
     * Milliseconds between a subscriber's own keep-alive pings (graphql-ws `ping` messages); 0
     * (the default): it sends none and only answers the server's. The wall display pings every
     * 10 s (src/wall/wall.js): BENCH_CLIENT_PING_MS=10000 measures clients like it.
     */
    clientPingMs: int('BENCH_CLIENT_PING_MS', 0),
    /** Client processes sharing the subscribers. */
    clientProcesses: int('BENCH_CLIENT_PROCESSES', 4),
    /** How long to wait for the last deliveries after the last change, at most. */
    drainS: int('BENCH_DRAIN_S', 120),
    /** How long subscribing may take, at most (the probe event must reach everyone). */
    subscribeS: int('BENCH_SUBSCRIBE_S', 240),
  },
  /** A CPU profile of the hub under load: seconds per operation (0: no profile). */
  profileS: int('BENCH_PROFILE_S', 10),
};

export function databaseUrl(name = bench.databaseName): string {
  const url = new URL(bench.adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The editor key the benchmark gives the hub (HUB_API_KEYS) and sends with every request. */
export const EDITOR_KEY = 'bench-editor-key-0123456789abcdef';
