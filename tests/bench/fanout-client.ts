/**
 * A fan-out client process: opens many graphql-ws subscribers (one WebSocket each) and records
 * when each stage event reaches each of them, on the system-wide monotonic clock, so the parent
 * can compute delivery latency from the moment it sent the mutation. Forked by
 * tests/bench/fanout.ts; it talks to the parent over IPC only.
 *
 * Two clients: `raw` (default) speaks the graphql-transport-ws protocol directly over `ws`
 * (connection_init with the credentials, subscribe, answer pings): the least work per message,
 * so that thousands of subscribers in a few processes measure the server rather than the
 * clients; `graphql-ws` uses the graphql-ws library's client, as an application would. With
 * `pingMs`, both send a keep-alive `ping` that often once acknowledged, as the wall display does.
 */
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

/** Parent → client. */
export type ClientCommand =
  | {
      type: 'open';
      url: string;
      count: number;
      query: string;
      authorization: string;
      localAddress: string;
      batch: number;
      client: 'raw' | 'graphql-ws';
      /** Milliseconds between the subscriber's own pings; 0: none. */
      pingMs: number;
    }
  | { type: 'status'; sequences: string[] }
  | {
      type: 'collect';
      sent: Record<string, number>;
      ignore: string[];
      /**
       * The feed shows state (a dashboard): an update showing a later change shows every earlier
       * one too, so a change coalesced with the next counts as delivered with that update.
       */
      cumulative?: boolean;
    }
  | { type: 'close' };

/** Client → parent. */
export type ClientReport =
  | { type: 'opened'; connected: number; failed: number; firstError: string | null }
  | {
      type: 'status';
      received: Record<string, number>;
      ended: number;
      errors: number;
      firstError: string | null;
    }
  | {
      type: 'collected';
      latencies: number[];
      missing: Record<string, number>;
      duplicates: number;
      outOfOrder: number;
      unexpected: number;
    }
  | { type: 'closed' };

/** Milliseconds on CLOCK_MONOTONIC, the same clock in every process of the machine. */
export const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

interface Subscriber {
  /** Closes the subscriber's connection. */
  dispose(): Promise<void> | void;
  /** Receive time per sequence (first delivery). */
  got: Map<string, number>;
  last: bigint;
}

const subscribers: Subscriber[] = [];
let duplicates = 0;
let outOfOrder = 0;
let ended = 0;
let errors = 0;
let firstError: string | null = null;

function noteError(error: unknown): void {
  errors++;
  firstError ??= error instanceof Error ? error.message : JSON.stringify(error);
}

function reply(report: ClientReport): void {
  process.send!(report);
}

/**
 * The stage event a result reports: a `projectStageChanged` event's sequence, or the newest change
 * a dashboard (`dashboardUpdated`, `dashboard @live`) shows, so an update is timed from the
 * mutation whose change it first shows.
 */
interface ResultData {
  projectStageChanged?: { sequence?: string };
  dashboardUpdated?: DashboardShown;
  dashboard?: DashboardShown;
}
interface DashboardShown {
  recentStageChanges?: { sequence?: string }[];
}

function sequenceOf(data: ResultData | null | undefined): string | undefined {
  return (
    data?.projectStageChanged?.sequence ??
    (data?.dashboardUpdated ?? data?.dashboard)?.recentStageChanges?.[0]?.sequence
  );
}

/** Records one `next` result of a subscriber. */
function record(sub: Subscriber, sequence: string | undefined, raw: unknown): void {
  const t = nowMs();
  if (!sequence) {
    noteError(raw);
    return;
  }
  if (sub.got.has(sequence)) duplicates++;
  else sub.got.set(sequence, t);
  const n = BigInt(sequence);
  if (n < sub.last) outOfOrder++;
  sub.last = n;
}

/** One subscriber over the bare protocol; resolves once acknowledged (true) or closed (false). */
function openRaw(
  cmd: Extract<ClientCommand, { type: 'open' }>,
  sub: Subscriber,
  onError: (e: string) => void,
): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new WebSocket(cmd.url, 'graphql-transport-ws', {
      localAddress: cmd.localAddress,
      perMessageDeflate: false,
    });
    let acknowledged = false;
    let pinging: ReturnType<typeof setInterval> | undefined;
    sub.dispose = () =>
      new Promise<void>((done) => {
        clearInterval(pinging);
        if (socket.readyState === WebSocket.CLOSED) return done();
        socket.once('close', () => done());
        socket.close(1000, 'Normal Closure');
        setTimeout(() => {
          socket.terminate();
          done();
        }, 5_000).unref();
      });
    socket.on('open', () =>
      socket.send(
        JSON.stringify({ type: 'connection_init', payload: { authorization: cmd.authorization } }),
      ),
    );
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as {
        type: string;
        payload?: { data?: ResultData };
      };
      switch (message.type) {
        case 'next':
          record(sub, sequenceOf(message.payload?.data), message.payload);
          break;
        case 'connection_ack':
          acknowledged = true;
          socket.send(
            JSON.stringify({ id: '1', type: 'subscribe', payload: { query: cmd.query } }),
          );
          if (cmd.pingMs > 0)
            pinging = setInterval(() => {
              if (socket.readyState === WebSocket.OPEN) socket.send('{"type":"ping"}');
            }, cmd.pingMs);
          resolve(true);
          break;
        case 'ping':
          socket.send('{"type":"pong"}');
          break;
        case 'error':
          ended++;
          noteError(message.payload);
          break;
        case 'complete':
          ended++;
          break;
        default:
          break;
      }
    });
    socket.on('error', (error) => onError(error.message));
    socket.on('close', (code, reason) => {
      clearInterval(pinging);
      if (!acknowledged) {
        onError(`closed ${code} ${String(reason)}`);
        resolve(false);
      } else ended++;
    });
  });
}

async function open(cmd: Extract<ClientCommand, { type: 'open' }>): Promise<void> {
  // Each client process binds its own loopback source address, so thousands of sockets across
  // runs never run out of ephemeral ports on 127.0.0.1.
  class BoundWebSocket extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { localAddress: cmd.localAddress, perMessageDeflate: false });
    }
  }
  let connected = 0;
  let failed = 0;
  let openError: string | null = null;
  const onError = (e: string) => {
    openError ??= e;
  };
  for (let start = 0; start < cmd.count; start += cmd.batch) {
    const size = Math.min(cmd.batch, cmd.count - start);
    const results = await Promise.all(
      Array.from({ length: size }, () => {
        const sub: Subscriber = { dispose: () => undefined, got: new Map(), last: 0n };
        subscribers.push(sub);
        if (cmd.client === 'raw') return openRaw(cmd, sub, onError);
        return new Promise<boolean>((resolve) => {
          const client: Client = createClient({
            url: cmd.url,
            webSocketImpl: BoundWebSocket,
            connectionParams: { authorization: cmd.authorization },
            lazy: false,
            retryAttempts: 0,
            keepAlive: cmd.pingMs,
            on: {
              connected: () => resolve(true),
              closed: (event) => {
                onError(`closed: ${JSON.stringify(event)}`);
                resolve(false);
              },
              error: (error) => onError(error instanceof Error ? error.message : String(error)),
            },
          });
          sub.dispose = () => client.dispose();
          client.subscribe<{ projectStageChanged: { sequence: string } }>(
            { query: cmd.query },
            {
              next: (result) => record(sub, sequenceOf(result.data), result.errors ?? result),
              error: (error) => {
                ended++;
                noteError(error);
              },
              complete: () => {
                ended++;
              },
            },
          );
        });
      }),
    );
    for (const ok of results) ok ? connected++ : failed++;
  }
  reply({ type: 'opened', connected, failed, firstError: openError });
}

function status(sequences: string[]): void {
  const received: Record<string, number> = {};
  for (const s of sequences)
    received[s] = subscribers.reduce((n, sub) => n + (sub.got.has(s) ? 1 : 0), 0);
  reply({ type: 'status', received, ended, errors, firstError });
}

function collect(sent: Record<string, number>, ignore: string[], cumulative = false): void {
  const latencies: number[] = [];
  const missing: Record<string, number> = {};
  let unexpected = 0;
  for (const sub of subscribers) {
    const shown = cumulative
      ? [...sub.got].map(([sequence, t]) => [BigInt(sequence), t] as const)
      : [];
    for (const [sequence, at] of Object.entries(sent)) {
      let t = sub.got.get(sequence);
      if (t === undefined && cumulative) {
        // The first update that showed this change or a later one.
        for (const [later, when] of shown)
          if (later >= BigInt(sequence) && (t === undefined || when < t)) t = when;
      }
      if (t === undefined) missing[sequence] = (missing[sequence] ?? 0) + 1;
      else latencies.push(Math.round((t - at) * 100) / 100);
    }
    for (const sequence of sub.got.keys())
      if (!(sequence in sent) && !ignore.includes(sequence)) unexpected++;
  }
  reply({ type: 'collected', latencies, missing, duplicates, outOfOrder, unexpected });
}

async function close(): Promise<void> {
  await Promise.all(subscribers.map((s) => s.dispose()));
  reply({ type: 'closed' });
  process.exit(0);
}

process.on('message', (cmd: ClientCommand) => {
  switch (cmd.type) {
    case 'open':
      void open(cmd);
      break;
    case 'status':
      status(cmd.sequences);
      break;
    case 'collect':
      collect(cmd.sent, cmd.ignore, cmd.cumulative);
      break;
    case 'close':
      void close();
      break;
  }
});
process.on('disconnect', () => process.exit(0));
