/**
 * The realtime engine of one server, wired once: the event bus, the change watch its caches and
 * live queries follow, each year's dashboard computed once per change, and the one reader of the
 * stage-event log behind every `projectStageChanged`. A server's own writes reach its change
 * watch by the one path every event takes: the bus delivers them locally inside `publish`.
 */
import type { HubConfig } from '../config.ts';
import type { Database } from '../db/index.ts';
import type { Logger } from '../logger.ts';
import { ChangeWatch } from './change-watch.ts';
import { DashboardCache } from './dashboard-cache.ts';
import { createHubPubSub, type HubPubSub } from './event-bus.ts';
import { StageLogTail } from './stage-tail.ts';

export interface RealtimeOptions {
  config: HubConfig;
  db: Database;
  logger: Logger;
  /** A bus of the caller's (which it closes); by default the one the configuration asks for. */
  pubsub?: HubPubSub;
  /** Called for each stage change this server publishes (metrics). */
  onStagePublished?: () => void;
  /** How often the stage-event log is re-read without a notification. @default 10_000 // 10 s */
  feedPollMs?: number;
  /** The clock the dashboard cache's maximum age is measured by. @default Date.now */
  now?: () => number;
}

export interface Realtime {
  /** The bus every write of this server publishes on. */
  pubsub: HubPubSub;
  /** The changes this server hears of: what its caches drop what they keep on. */
  watch: ChangeWatch;
  /** Each year's dashboard, computed once per change. */
  dashboards: DashboardCache;
  /** One reader of the stage-event log for all of this server's stage subscriptions. */
  stageTail: StageLogTail;
  /** Ends every feed and stops following changes; closes the bus unless it was given. */
  close(): Promise<void>;
}

export function startRealtime(options: RealtimeOptions): Realtime {
  const { config, db, logger } = options;
  const bus = options.pubsub ?? createHubPubSub(config, logger);
  const watch = new ChangeWatch(bus);
  const dashboards = new DashboardCache({
    prisma: db.prisma,
    watch,
    maxAgeMs: config.cacheMs,
    now: options.now,
  });
  const onStagePublished = options.onStagePublished;
  const pubsub: HubPubSub = onStagePublished
    ? {
        ...bus,
        publish(topic, payload) {
          if (topic === 'stageChanged') onStagePublished();
          bus.publish(topic, payload);
        },
      }
    : bus;
  const stageTail = new StageLogTail({
    prisma: db.prisma,
    pubsub,
    pollIntervalMs: options.feedPollMs,
    onReadError: (error) =>
      logger.warn({ err: error }, 'reading the stage-event log failed; retrying'),
  });
  return {
    pubsub,
    watch,
    dashboards,
    stageTail,
    async close() {
      stageTail.close();
      dashboards.close();
      watch.close();
      if (!options.pubsub) await bus.close();
    },
  };
}
