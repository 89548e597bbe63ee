/**
 * The live dashboard behind `dashboardUpdated(year)`: the dashboard at once, then again after
 * every change that affects it, coalesced under bursts.
 *
 * Every committed write publishes on the bus (`stageChanged` for stage events, `dataChanged`
 * for other writes, with the year they count for when they belong to one). The feed marks
 * itself dirty on each, and recomputes at most once per `coalesceMs`: a burst of 200 stage
 * changes gives a handful of recomputes, the last one after the burst, never a stale end state.
 * A recompute equal to the last dashboard sent (apart from `generatedAt`) is not sent again.
 * As with stage events, the bus only rings a bell: the dashboard is always read afresh from
 * the database, and a slow poll covers a notification lost in transit.
 */
import type { PrismaClient } from '../generated/prisma/client.ts';
import { computeDashboard, type DashboardData } from '../services/dashboard.ts';
import { closableFeed } from './closable-feed.ts';
import type { HubPubSub, PubSubLostError } from './event-bus.ts';

export interface DashboardFeedOptions {
  prisma: PrismaClient;
  pubsub: Pick<HubPubSub, 'listen'>;
  year: number;
  /** At most one recompute per this many milliseconds. @default 250 */
  coalesceMs?: number;
  /** Recompute at least this often even without a notification. @default 60_000 // 1 min */
  pollIntervalMs?: number;
  /** For tests: how to compute the dashboard. @default computeDashboard */
  compute?: (prisma: PrismaClient, year: number) => Promise<DashboardData>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Fingerprints of the dashboards computed, by object: every feed of a year gets the same object
 * from the dashboard cache, so one change costs one fingerprint, not one per display (at 1,000
 * displays the per-feed JSON.stringify was most of a second of CPU per change).
 */
const fingerprints = new WeakMap<DashboardData, string>();

/** The dashboard without its read time, to tell whether anything shown has changed. */
function fingerprint(dashboard: DashboardData): string {
  let print = fingerprints.get(dashboard);
  if (print === undefined) {
    print = JSON.stringify({ ...dashboard, generatedAt: null }, (_key, value: unknown) =>
      typeof value === 'bigint' ? value.toString() : value,
    );
    fingerprints.set(dashboard, print);
  }
  return print;
}

/**
 * Opens a dashboard feed: listening starts before this resolves. The iterator yields the
 * dashboard now, then each changed one; it ends with PubSubLostError if the bus is lost.
 */
export async function openDashboardFeed(
  options: DashboardFeedOptions,
): Promise<AsyncIterableIterator<DashboardData>> {
  const {
    prisma,
    year,
    coalesceMs = 250,
    pollIntervalMs = 60_000,
    compute = computeDashboard,
  } = options;
  let dirty = false;
  let failure: PubSubLostError | null = null;
  let closed = false;
  let wake: (() => void) | null = null;
  const ring = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const markDirty = () => {
    dirty = true;
    ring();
  };
  const onLost = (error: PubSubLostError) => {
    failure ??= error;
    ring();
  };
  const stops = [
    options.pubsub.listen('stageChanged', { onEvent: markDirty, onLost }),
    options.pubsub.listen('dataChanged', {
      onEvent: (event) => {
        if (event.year == null || event.year === year) markDirty();
      },
      onLost,
    }),
  ];
  const stopListening = () => {
    for (const stop of stops) stop();
  };

  async function* run(): AsyncGenerator<DashboardData> {
    try {
      let lastSent = '';
      let lastComputed = 0;
      for (;;) {
        if (failure) throw failure;
        dirty = false;
        lastComputed = Date.now();
        const dashboard = await compute(prisma, year);
        const print = fingerprint(dashboard);
        if (print !== lastSent) {
          lastSent = print;
          yield dashboard;
        }
        // Wait for a change (or the poll), then let a burst settle until `coalesceMs` has
        // passed since the last recompute.
        if (!dirty && !failure && !closed) {
          let timer: NodeJS.Timeout | undefined;
          await new Promise<void>((resolve) => {
            wake = resolve;
            timer = setTimeout(resolve, pollIntervalMs);
          });
          clearTimeout(timer);
        }
        if (closed) return;
        const wait = lastComputed + coalesceMs - Date.now();
        if (wait > 0) await sleep(wait);
        if (closed) return;
      }
    } finally {
      stopListening();
    }
  }

  return closableFeed(run(), () => {
    closed = true;
    stopListening();
    ring();
  });
}
