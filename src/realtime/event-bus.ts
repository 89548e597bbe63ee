/**
 * The hub's event bus: a typed topic map, in memory on one server and through Redis
 * (@graphql-yoga/redis-event-target) when REDIS_URL is set, so every server hears every write.
 *
 * Events are notifications, not data: the database is the source of truth, and a subscriber
 * that hears "sequence 42 committed" re-reads the log from its own position. So a dropped or
 * late message delays an update but never loses one. What the bus does promise is to say when
 * it can no longer deliver: when the Redis connection is lost, every listener's `onLost` runs
 * (its subscription ends with an error and the client resumes with `after`), and no new
 * listener is accepted until the connection and its channel subscriptions are back.
 *
 * Both kinds deliver a server's own events to its own listeners at once, inside `publish`
 * (Redis then carries them to the other servers, and a server skips its own coming back): so a
 * writer's caches hear its write before the write answers, by the one path every event takes.
 */
import { randomUUID } from 'node:crypto';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { Repeater, SlidingBuffer } from '@graphql-yoga/subscription';
import { Redis } from 'ioredis';
import type { HubConfig } from '../config.ts';
import type { Logger } from '../logger.ts';

/** Published after a stage change has committed. Subscribers re-read the log by sequence. */
export interface StageChangedEvent {
  /** The event's `sequence` (decimal string: BigInt does not survive JSON). */
  sequence: string;
  projectId: number;
}

/**
 * Published after any other committed write that a dashboard shows: a project's details, a
 * funding award, a reported figure, a target, a logistics observation, a park snapshot.
 */
export interface DataChangedEvent {
  domain: 'project' | 'funding' | 'figure' | 'target' | 'logistics' | 'park';
  /** The year the change counts for, when it belongs to one year (dashboards skip other years). */
  year?: number | null;
  /**
   * Global ids of the rows the write created or changed (and rows whose own fields it changes,
   * such as a project's park), so live queries that read them re-execute. Absent: unknown.
   */
  nodes?: string[];
}

/** Every topic and its payload. */
export interface HubTopics {
  stageChanged: StageChangedEvent;
  dataChanged: DataChangedEvent;
}

export type HubTopic = keyof HubTopics;

const TOPICS: readonly HubTopic[] = ['stageChanged', 'dataChanged'];

/** The bus could not deliver (Redis connection lost or reconnecting): resume from the log. */
export class PubSubLostError extends Error {
  override name = 'PubSubLostError';
}

export interface HubListener<K extends HubTopic> {
  /** Runs synchronously for each event, in the order this server received them. */
  onEvent(payload: HubTopics[K]): void;
  /** Runs once if the bus can no longer deliver; the listener is then already removed. */
  onLost(error: PubSubLostError): void;
}

export interface HubPubSub {
  readonly kind: 'memory' | 'redis';
  /**
   * The bus's Redis connection for commands (not the subscribed one) and its key prefix, so
   * state every server must share (rate-limit counts) lives where the bus does.
   */
  readonly redis?: { client: Redis; keyPrefix: string };
  /** Publishes to every server's listeners. Call only after the write has committed. */
  publish<K extends HubTopic>(topic: K, payload: HubTopics[K]): void;
  /**
   * Adds a listener, active as soon as this returns (so a caller can listen first and read the
   * database second without missing anything in between). Returns the function that removes
   * it. When the bus is not connected, calls `onLost` at once (asynchronously) instead.
   */
  listen<K extends HubTopic>(topic: K, listener: HubListener<K>): () => void;
  /**
   * The topic's events as an async iterator (Yoga's `PubSub.subscribe` shape), ending with a
   * PubSubLostError when the bus is lost. Keeps the latest 1,024 unread events.
   */
  subscribe<K extends HubTopic>(topic: K): Repeater<HubTopics[K]>;
  /** Listeners of a topic on this server now (live subscriptions; metrics and tests). */
  listenerCount(topic: HubTopic): number;
  /** Resolves once the bus delivers events (at once in memory; Redis subscribed on Redis). */
  ready(): Promise<void>;
  /** Checks the bus is connected now (readiness probe): rejects when Redis is unreachable. */
  ping(): Promise<void>;
  /** Ends every listener and closes the Redis connections. */
  close(): Promise<void>;
}

/** Local fan-out shared by both kinds: listeners per topic, and the lost signal. */
class LocalFanOut {
  private readonly listeners = new Map<HubTopic, Set<HubListener<HubTopic>>>(
    TOPICS.map((t) => [t, new Set()]),
  );

  add<K extends HubTopic>(topic: K, listener: HubListener<K>): () => void {
    const set = this.listeners.get(topic)!;
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  count(topic: HubTopic): number {
    return this.listeners.get(topic)?.size ?? 0;
  }

  dispatch<K extends HubTopic>(topic: K, payload: HubTopics[K]): void {
    // A copy: a listener may remove itself (or another) while running.
    for (const listener of [...(this.listeners.get(topic) ?? [])]) listener.onEvent(payload);
  }

  /** Removes every listener and tells each that the bus is lost. */
  loseAll(error: PubSubLostError): void {
    const all = [...this.listeners.values()].flatMap((set) => [...set]);
    for (const set of this.listeners.values()) set.clear();
    for (const listener of all) listener.onLost(error);
  }
}

function repeaterOver<K extends HubTopic>(
  bus: Pick<HubPubSub, 'listen'>,
  topic: K,
): Repeater<HubTopics[K]> {
  return new Repeater<HubTopics[K]>((push, stop) => {
    const remove = bus.listen(topic, {
      onEvent: (payload) => void push(payload),
      onLost: (error) => stop(error),
    });
    void stop.then(remove);
  }, new SlidingBuffer(1024));
}

/** One server: events go to this process's listeners only. */
export function createMemoryPubSub(): HubPubSub {
  const local = new LocalFanOut();
  let closed = false;
  const bus: HubPubSub = {
    kind: 'memory',
    publish: (topic, payload) => local.dispatch(topic, payload),
    listen(topic, listener) {
      if (closed) {
        queueMicrotask(() => listener.onLost(new PubSubLostError('the event bus is closed')));
        return () => undefined;
      }
      return local.add(topic, listener);
    },
    subscribe: (topic) => repeaterOver(bus, topic),
    listenerCount: (topic) => local.count(topic),
    ready: () => Promise.resolve(),
    async ping() {
      if (closed) throw new PubSubLostError('the event bus is closed');
    },
    async close() {
      closed = true;
      local.loseAll(new PubSubLostError('the event bus is closed'));
    },
  };
  return bus;
}

export interface RedisPubSubOptions {
  /** Prefix of the Redis channel names, so several hubs can share one Redis. @default 'lzhub:' */
  channelPrefix?: string;
  /** Redis CLIENT names: `<name>-publish`, `<name>-subscribe` (CLIENT LIST shows them). @default 'lzhub' */
  connectionName?: string;
}

/**
 * Several servers: events go through Redis. Two connections (a subscribed connection can only
 * listen): one publishes, one subscribes to every topic's channel once, at start-up, and hands
 * each message to this server's listeners.
 */
export function createRedisPubSub(
  url: string,
  logger: Logger,
  options: RedisPubSubOptions = {},
): HubPubSub {
  const prefix = options.channelPrefix ?? 'lzhub:';
  const channel = (topic: HubTopic) => `${prefix}${topic}`;
  const name = options.connectionName ?? 'lzhub';
  const publishClient = new Redis(url, { connectionName: `${name}-publish` });
  const subscribeClient = new Redis(url, { connectionName: `${name}-subscribe` });
  const target = createRedisEventTarget<CustomEvent>({ publishClient, subscribeClient });
  const local = new LocalFanOut();
  /** Marks this bus's messages, so it skips them when Redis brings them back. */
  const origin = randomUUID();

  /** Delivering: connected and every topic channel subscribed. */
  let healthy = false;
  let closed = false;
  let readyWaiters: { resolve(): void; reject(e: Error): void }[] = [];

  for (const topic of TOPICS) {
    target.addEventListener(channel(topic), (event: CustomEvent) => {
      const message = event.detail as { origin?: string; payload?: HubTopics[typeof topic] };
      if (healthy && message.origin !== origin && message.payload)
        local.dispatch(topic, message.payload);
    });
  }

  const markHealthy = () => {
    // SUBSCRIBE is idempotent; awaiting it proves the server has every channel (ioredis also
    // resubscribes by itself after a reconnect, but does not say when it is done).
    subscribeClient
      .subscribe(...TOPICS.map(channel))
      .then(() => {
        if (closed || subscribeClient.status !== 'ready') return;
        if (!healthy) logger.info('event bus: Redis subscribed');
        healthy = true;
        for (const w of readyWaiters) w.resolve();
        readyWaiters = [];
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'event bus: Redis SUBSCRIBE failed'));
  };
  const markLost = (why: string) => {
    if (!healthy) return;
    healthy = false;
    logger.warn(`event bus: Redis connection lost (${why}); ending live subscriptions`);
    local.loseAll(
      new PubSubLostError(
        `the event bus lost its Redis connection (${why}); resubscribe with \`after\``,
      ),
    );
  };

  subscribeClient.on('ready', markHealthy);
  subscribeClient.on('close', () => markLost('closed'));
  subscribeClient.on('end', () => markLost('ended'));
  subscribeClient.on('error', (error: Error) =>
    logger.warn({ err: error }, 'event bus: Redis subscribe connection error'),
  );
  publishClient.on('error', (error: Error) =>
    logger.warn({ err: error }, 'event bus: Redis publish connection error'),
  );

  const bus: HubPubSub = {
    kind: 'redis',
    redis: { client: publishClient, keyPrefix: prefix },
    publish(topic, payload) {
      if (healthy) local.dispatch(topic, payload);
      // The write has committed; a lost notification only delays subscribers (they re-read the
      // log on the next one, or on their poll), so a failure is logged, not thrown.
      publishClient
        .publish(channel(topic), JSON.stringify({ origin, payload }))
        .catch((error: unknown) => {
          logger.warn({ err: error, topic }, 'event bus: Redis PUBLISH failed');
        });
    },
    listen(topic, listener) {
      if (!healthy) {
        const why = closed ? 'the event bus is closed' : 'the event bus is not connected to Redis';
        queueMicrotask(() => listener.onLost(new PubSubLostError(why)));
        return () => undefined;
      }
      return local.add(topic, listener);
    },
    subscribe: (topic) => repeaterOver(bus, topic),
    listenerCount: (topic) => local.count(topic),
    async ping() {
      if (!healthy)
        throw new PubSubLostError(
          closed ? 'the event bus is closed' : 'the event bus is not connected to Redis',
        );
      await publishClient.ping();
    },
    ready() {
      if (healthy) return Promise.resolve();
      if (closed) return Promise.reject(new PubSubLostError('the event bus is closed'));
      return new Promise((resolve, reject) => readyWaiters.push({ resolve, reject }));
    },
    async close() {
      if (closed) return;
      closed = true;
      markLost('closing');
      healthy = false;
      for (const w of readyWaiters) w.reject(new PubSubLostError('the event bus is closed'));
      readyWaiters = [];
      await Promise.allSettled([publishClient.quit(), subscribeClient.quit()]);
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
  return bus;
}

/** The bus the configuration asks for: Redis when REDIS_URL is set, else in memory. */
export function createHubPubSub(config: Pick<HubConfig, 'redisUrl'>, logger: Logger): HubPubSub {
  return config.redisUrl ? createRedisPubSub(config.redisUrl, logger) : createMemoryPubSub();
}
