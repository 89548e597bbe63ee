/**
 * Starting and stopping the servers under test as child processes (each its own process, so
 * its RSS and CPU time can be read from /proc), and reading PostgreSQL backends' CPU time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { bench, databaseUrl, EDITOR_KEY, outDir, repoRoot } from './config.ts';
import type { ServerName } from './operations.ts';

export interface RunningServer {
  name: string;
  kind: ServerKind;
  pid: number;
  /** Base URL: http://127.0.0.1:PORT */
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export interface StartOptions {
  node: string;
  port: number;
  /** @default the benchmark database */
  databaseUrl?: string;
  /** Extra environment (REDIS_URL...). */
  env?: Record<string, string>;
  /** Extra Node flags (--cpu-prof ...). */
  nodeFlags?: string[];
  /** Name in logs and file names. @default the kind */
  label?: string;
}

/** The servers the benchmark starts: the HTTP servers (the hub three times: see ServerName), and the fan-out floor. */
export type ServerKind = ServerName | 'fanoutFloor';

const SCRIPTS: Record<ServerKind, string> = {
  hub: 'tests/bench/hub-server.ts',
  hubWrites: 'tests/bench/hub-server.ts',
  hubBusy: 'tests/bench/hub-server.ts',
  hubUncached: 'tests/bench/hub-server.ts',
  postgraphile: 'tests/bench/postgraphile-server.ts',
  floor: 'tests/bench/floor-server.ts',
  fanoutFloor: 'tests/bench/fanout-floor-server.ts',
};

/** The hub's environment in the benchmark: PostgreSQL, no seed, quiet, an editor key, no write or per-client stream limit. */
export function hubEnv(port: number, url: string): Record<string, string> {
  return {
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: url,
    HUB_SEED: 'false',
    LOG_LEVEL: 'warn',
    HUB_API_KEYS: `editor:${EDITOR_KEY}`,
    HUB_RATE_LIMIT_WRITES: '1000000',
    // Thousands of subscribers come from a few loopback addresses here.
    HUB_MAX_STREAMS_PER_CLIENT: '1000000',
  };
}

/** The environment of a server the benchmark starts; the hub's variants differ from the hub only here (or not at all). */
function envFor(kind: ServerKind, port: number, url: string): Record<string, string> {
  if (kind === 'hub' || kind === 'hubWrites' || kind === 'hubBusy') return hubEnv(port, url);
  // 0 computes every dashboard afresh (src/realtime/dashboard-cache.ts).
  if (kind === 'hubUncached') return { ...hubEnv(port, url), HUB_CACHE_MS: '0' };
  return {
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: url,
    POOL_SIZE: String(bench.poolSize),
  };
}

async function waitReady(
  url: string,
  kind: ServerKind,
  child: ChildProcess,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: string | null = null;
  child.once('exit', (code, signal) => {
    exited = `exited with ${code ?? signal}`;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${kind} ${exited} before it was ready (see its log in ${outDir})`);
    try {
      const res =
        kind === 'floor'
          ? await fetch(`${url}/node?id=${Buffer.from('Project:1').toString('base64')}`)
          : await fetch(`${url}/graphql`, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                authorization: `Bearer ${EDITOR_KEY}`,
              },
              body: JSON.stringify({ query: '{ __typename }' }),
            });
      if (res.ok) {
        await res.arrayBuffer();
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${kind} was not ready within ${timeoutMs / 1000} s`);
}

/** Every child still running: killed if this process ends first, so no server outlives a run. */
const children = new Set<ChildProcess>();
let exitHooked = false;

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    for (const child of children) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => process.exit(130));
  }
}

/** Kills `child` if this process ends first (client processes, a private Redis). */
export function trackChild(child: ChildProcess): void {
  hookExit();
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Fails when something already listens on the port (a ready check would then ask the wrong server). */
export function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', () =>
      reject(
        new Error(`port ${port} is already in use; stop what listens there or set BENCH_BASE_PORT`),
      ),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

export async function startServer(kind: ServerKind, options: StartOptions): Promise<RunningServer> {
  hookExit();
  await assertPortFree(options.port);
  const label = options.label ?? kind;
  const url = options.databaseUrl ?? databaseUrl();
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    NODE_ENV: 'production',
    ...envFor(kind, options.port, url),
    ...options.env,
  };
  mkdirSync(outDir, { recursive: true });
  const logFile = createWriteStream(path.join(outDir, `${label}.log`));
  const child = spawn(
    options.node,
    [...(options.nodeFlags ?? []), '--import', 'tsx', SCRIPTS[kind]],
    {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout!.pipe(logFile);
  child.stderr!.pipe(logFile);
  children.add(child);
  let stopping = false;
  child.once('exit', (code, signal) => {
    children.delete(child);
    if (stopping) return;
    // Not asked to stop: say so where it will be seen (the hub logs at warn, so a SIGTERM is silent).
    const line = `${new Date().toISOString()} ${label} (pid ${child.pid}) exited unexpectedly: ${signal ?? `code ${code}`}`;
    logFile.write(`${line}\n`);
    console.error(line);
  });
  const base = `http://127.0.0.1:${options.port}`;
  try {
    await waitReady(base, kind, child);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    name: label,
    kind,
    pid: child.pid!,
    url: base,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** The server is still running. */
export const alive = (server: RunningServer) =>
  server.child.exitCode === null && server.child.signalCode === null;

/** Resident set size of a process, bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kb * 1024;
}

const CLOCK_TICKS = 100;

/** User + system CPU time of a process, seconds (0 if it is gone). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** CPU time of the PostgreSQL backends serving the benchmark database, per backend pid. */
export class BackendCpu {
  private readonly pool = new pg.Pool({ connectionString: bench.adminUrl, max: 1 });

  async sample(): Promise<Map<number, number>> {
    const { rows } = await this.pool.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [bench.databaseName],
    );
    return new Map(rows.map((r) => [r.pid, cpuSeconds(r.pid)]));
  }

  /** Statements running now on the benchmark database (other than this one). */
  async active(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND pid <> pg_backend_pid()",
      [bench.databaseName],
    );
    return rows[0]!.n;
  }

  /** CPU seconds the backends alive at `after` used since `before` (backends new since then count from 0). */
  static delta(before: Map<number, number>, after: Map<number, number>): number {
    let total = 0;
    for (const [pid, cpu] of after) total += cpu - (before.get(pid) ?? 0);
    return total;
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
