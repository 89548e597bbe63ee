/**
 * The live stage-event feed behind `projectStageChanged`: every event after a position, from the
 * log, in sequence order, then live, with no gap and no duplicate.
 *
 * The log is the only source of events; the bus only rings a bell. One `StageLogTail` per
 * server follows the log for all of that server's subscriptions:
 * 1. it listens on the bus (a `stageChanged` with a sequence past its position rings it) and
 *    polls as a safety net for a notification lost in transit;
 * 2. on each ring it reads the new events once, `sequence > position` in order, and asks the
 *    database once per distinct filter among its subscribers which of them match;
 * 3. it hands each subscriber the matching events, the same objects to all of them, so the
 *    subscription's execution can be shared too (src/realtime/shared-subscriptions.ts).
 * So a change costs a server a fixed number of statements whatever its number of subscribers.
 * Because the log is commit-ordered (src/services/stage-log.ts), once an event N is visible every event
 * below N that will ever exist is visible too: reading `sequence > position` can miss nothing
 * and reads nothing twice.
 *
 * A subscription with `after` first replays (after, P] with its own reads, P being the tail's
 * position when it joined, then continues with what the tail hands it past P: one loop, no
 * seam. A subscriber joins only between two of the tail's batches, so P is exact.
 */
import type { Prisma, PrismaClient } from '../generated/prisma/client.ts';
import { isDatabaseUnavailable } from '../masked-errors.ts';
import { ValidationError } from '../services/errors.ts';
import { type ProjectFilterValues, projectWhere } from '../services/project-filter.ts';
import { closableFeed } from './closable-feed.ts';
import type { HubPubSub, PubSubLostError } from './event-bus.ts';
/**
 * A ProjectFilter applied to stage events. `stage` matches an event into or out of one of the
 * stages (a wall display of "under construction" hears a project arrive and leave); every other
 * condition applies to the event's project as it is when the event is read.
 */
export function stageEventWhere(
  filter: ProjectFilterValues | null | undefined,
): Prisma.ProjectStageEventWhereInput {
  if (!filter) return {};
  const { stage, ...rest } = filter;
  const and: Prisma.ProjectStageEventWhereInput[] = [];
  if (stage?.length) and.push({ OR: [{ toStage: { in: stage } }, { fromStage: { in: stage } }] });
  const project = projectWhere(rest);
  if (Object.keys(project).length) and.push({ project });
  return and.length ? { AND: and } : {};
}

/** One event the feed delivers; the subscription re-reads the row by `id`. */
export interface FeedItem {
  id: number;
  sequence: bigint;
}

/** The log's head: the highest committed sequence, 0 for an empty log (one index entry read). */
export async function logHead(prisma: Pick<PrismaClient, 'projectStageEvent'>): Promise<bigint> {
  const last = await prisma.projectStageEvent.findFirst({
    orderBy: { sequence: 'desc' },
    select: { sequence: true },
  });
  return last?.sequence ?? 0n;
}

export interface StageLogTailOptions {
  prisma: PrismaClient;
  pubsub: Pick<HubPubSub, 'listen'>;
  /** Read the log at least this often even if no notification arrives. @default 10_000 // 10 s */
  pollIntervalMs?: number;
  /** Rows per log read. @default 500 */
  batchSize?: number;
  /** Where a failed read is reported (the tail retries it). */
  onReadError?: (error: unknown) => void;
}

export interface OpenFeedOptions {
  /** Start after this sequence (replay first); null: only events committed from now on. */
  after?: bigint | null;
  /** Which events to deliver; evaluated when the event is read. @default every event */
  where?: Prisma.ProjectStageEventWhereInput;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The key under which subscribers with the same filter share one matching query. */
function whereKey(where: Prisma.ProjectStageEventWhereInput): string {
  return JSON.stringify(where, (_key, value: unknown) =>
    typeof value === 'bigint' ? `${value}n` : value,
  );
}

/** One subscription's queue of events handed over by the tail. */
class Subscriber {
  readonly key: string;
  private readonly queue: FeedItem[] = [];
  private waiter: (() => void) | null = null;
  /** Why the feed ends (FeedClosedError when its client closed it). */
  failure: Error | null = null;
  /** The tail's position when it admitted this subscriber; null until then. */
  joinedAt: bigint | null = null;
  /** Resolves `join` for a subscriber that waited for a batch to be handed out. */
  admitted: (() => void) | null = null;

  constructor(readonly where: Prisma.ProjectStageEventWhereInput) {
    this.key = whereKey(where);
  }

  push(item: FeedItem): void {
    this.queue.push(item);
    this.wake();
  }

  fail(error: Error): void {
    this.failure ??= error;
    this.wake();
    const admitted = this.admitted;
    this.admitted = null;
    admitted?.();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** The next event handed over; throws the failure once the queue is empty. */
  async take(): Promise<FeedItem> {
    for (;;) {
      const item = this.queue.shift();
      if (item) return item;
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }
}

class FeedClosedError extends Error {
  override name = 'FeedClosedError';
}

/**
 * Follows the stage-event log for every live subscription of one server. Starts with the first
 * subscriber and stops (no listener, no poll) when the last one leaves.
 */
export class StageLogTail {
  private readonly prisma: PrismaClient;
  private readonly pubsub: Pick<HubPubSub, 'listen'>;
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private readonly onReadError: (error: unknown) => void;

  private readonly subscribers = new Set<Subscriber>();
  /** Subscribers waiting for the batch in flight to be handed out. */
  private joining: Subscriber[] = [];
  private running = false;
  private starting: Promise<void> | null = null;
  /** Counts starts, so that a loop of an earlier start (before the bus was lost) stops. */
  private generation = 0;
  private stopListening: (() => void) | null = null;
  /** Highest sequence handed out (or the head when the tail started). */
  private position = 0n;
  /** Highest sequence heard on the bus. */
  private heard = 0n;
  private inBatch = false;
  private wakeLoop: (() => void) | null = null;

  constructor(options: StageLogTailOptions) {
    this.prisma = options.prisma;
    this.pubsub = options.pubsub;
    this.pollIntervalMs = options.pollIntervalMs ?? 10_000;
    this.batchSize = options.batchSize ?? 500;
    this.onReadError = options.onReadError ?? (() => {});
  }

  /** Live subscriptions this tail serves (metrics and tests). */
  get size(): number {
    return this.subscribers.size + this.joining.length;
  }

  /**
   * Opens a feed. Listening starts and `after` is checked before this resolves, so a caller that
   * awaits it and then changes a stage will see that change. Throws ValidationError when `after`
   * is past the head of the log (a position from another database). The iterator ends with the
   * bus's PubSubLostError if the bus is lost; `return()` closes it at any time.
   */
  async open(options: OpenFeedOptions = {}): Promise<AsyncIterableIterator<FeedItem>> {
    const where = options.where ?? {};
    const subscriber = new Subscriber(where);
    await this.join(subscriber);
    const joinedAt = subscriber.joinedAt!;
    const after = options.after ?? null;
    if (after != null && after > joinedAt) {
      try {
        const head = await logHead(this.prisma);
        if (after > head) {
          throw new ValidationError(
            `after ${after} is past the end of the stage-event log (${head})`,
            [{ path: ['after'], message: 'not a position in this log' }],
          );
        }
      } catch (error) {
        this.leave(subscriber);
        throw error;
      }
    }

    const tail = this;
    const { prisma, batchSize } = this;
    async function* run(): AsyncGenerator<FeedItem> {
      let position = after ?? joinedAt;
      try {
        // Replay what was in the log before this subscriber joined the tail.
        while (position < joinedAt) {
          const rows = await prisma.projectStageEvent.findMany({
            where: { AND: [{ sequence: { gt: position, lte: joinedAt } }, where] },
            orderBy: { sequence: 'asc' },
            take: batchSize,
            select: { id: true, sequence: true },
          });
          for (const row of rows) {
            yield row;
            position = row.sequence;
          }
          if (rows.length < batchSize) position = joinedAt;
        }
        // Then what the tail hands over: only events past `joinedAt`, in order.
        for (;;) {
          const item = await subscriber.take();
          if (item.sequence <= position) continue;
          position = item.sequence;
          yield item;
        }
      } catch (error) {
        if (error instanceof FeedClosedError) return;
        throw error;
      } finally {
        tail.leave(subscriber);
      }
    }

    return closableFeed(run(), () => {
      tail.leave(subscriber);
      // Wakes the generator waiting in `take`.
      subscriber.fail(new FeedClosedError());
    });
  }

  /** Ends every feed and stops following the log (the server is stopping). */
  close(): void {
    this.failAll(new FeedClosedError());
  }

  private async join(subscriber: Subscriber): Promise<void> {
    if (!this.running) await this.start();
    if (!this.inBatch) {
      subscriber.joinedAt = this.position;
      this.subscribers.add(subscriber);
      return;
    }
    // A batch is being read: join when it has been handed out, at the position after it.
    this.joining.push(subscriber);
    await new Promise<void>((resolve) => (subscriber.admitted = resolve));
    if (subscriber.joinedAt == null) throw subscriber.failure ?? new FeedClosedError();
  }

  private leave(subscriber: Subscriber): void {
    this.subscribers.delete(subscriber);
    this.joining = this.joining.filter((s) => s !== subscriber);
    if (this.size === 0) this.ring();
  }

  private start(): Promise<void> {
    this.starting ??= (async () => {
      const generation = ++this.generation;
      let lost: Error | null = null;
      this.heard = 0n;
      this.stopListening = this.pubsub.listen('stageChanged', {
        onEvent: (event) => {
          const sequence = BigInt(event.sequence);
          if (sequence > this.heard) this.heard = sequence;
          this.ring();
        },
        onLost: (error: PubSubLostError) => {
          lost = error;
          if (generation === this.generation) this.failAll(error);
        },
      });
      try {
        const head = await logHead(this.prisma);
        if (lost) throw lost;
        this.position = head;
      } catch (error) {
        this.stop();
        throw error;
      }
      this.running = true;
      void this.loop(generation);
    })().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private stop(): void {
    this.running = false;
    this.generation += 1;
    this.inBatch = false;
    this.stopListening?.();
    this.stopListening = null;
    this.ring();
  }

  private failAll(error: Error): void {
    const all = [...this.subscribers, ...this.joining];
    this.subscribers.clear();
    this.joining = [];
    this.stop();
    for (const subscriber of all) subscriber.fail(error);
  }

  private ring(): void {
    const w = this.wakeLoop;
    this.wakeLoop = null;
    w?.();
  }

  private async loop(generation: number): Promise<void> {
    let failures = 0;
    const current = () => generation === this.generation;
    while (current()) {
      // Wait for a ring (an event past the position, or a subscriber leaving) or the poll. The
      // first subscriber joins while the loop waits here for the first time.
      if (this.heard <= this.position) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          this.wakeLoop = resolve;
          timer = setTimeout(resolve, this.pollIntervalMs);
        });
        clearTimeout(timer);
        if (!current()) return;
      }
      if (this.size === 0) {
        this.stop();
        return;
      }
      try {
        await this.readNew(current);
        failures = 0;
      } catch (error) {
        if (!current()) return;
        this.onReadError(error);
        // Keep the subscribers: retry with a growing pause (up to 5 s) until the database answers.
        failures += 1;
        await sleep(Math.min(5_000, 100 * 2 ** failures));
      }
    }
  }

  /** Reads and hands out every event past the position, in batches. */
  private async readNew(current: () => boolean): Promise<void> {
    this.inBatch = true;
    try {
      for (;;) {
        const rows = await this.prisma.projectStageEvent.findMany({
          where: { sequence: { gt: this.position } },
          orderBy: { sequence: 'asc' },
          take: this.batchSize,
          select: { id: true, sequence: true },
        });
        const matching = rows.length ? await this.match(rows) : new Map<string, Set<number>>();
        if (!current()) return;
        // Synchronous from here to the next read: nobody joins or leaves halfway through.
        for (const s of this.subscribers) {
          const only = s.key === '{}' ? null : matching.get(s.key);
          for (const row of rows) if (!only || only.has(row.id)) s.push(row);
        }
        if (rows.length) this.position = rows[rows.length - 1]!.sequence;
        if (rows.length < this.batchSize) break;
      }
    } finally {
      if (current()) {
        this.inBatch = false;
        this.admitJoining();
      }
    }
  }

  /**
   * Which of `rows` each distinct filter among the subscribers matches: one query per filter. A
   * filter the database refuses ends its own subscribers with that error; the others go on (only
   * an unreachable database fails the read, which is then retried for everyone).
   */
  private async match(rows: FeedItem[]): Promise<Map<string, Set<number>>> {
    const filters = new Map<string, Prisma.ProjectStageEventWhereInput>();
    for (const s of this.subscribers) if (s.key !== '{}') filters.set(s.key, s.where);
    const ids = rows.map((r) => r.id);
    const matching = new Map<string, Set<number>>();
    const refused = new Map<string, Error>();
    await Promise.all(
      [...filters].map(async ([key, where]) => {
        try {
          const found = await this.prisma.projectStageEvent.findMany({
            where: { AND: [{ id: { in: ids } }, where] },
            select: { id: true },
          });
          matching.set(key, new Set(found.map((f) => f.id)));
        } catch (error) {
          if (isDatabaseUnavailable(error)) throw error;
          refused.set(key, error instanceof Error ? error : new Error(String(error)));
        }
      }),
    );
    for (const s of [...this.subscribers]) {
      const error = refused.get(s.key);
      if (!error) continue;
      this.subscribers.delete(s);
      s.fail(error);
    }
    return matching;
  }

  private admitJoining(): void {
    const joining = this.joining;
    this.joining = [];
    for (const s of joining) {
      s.joinedAt = this.position;
      this.subscribers.add(s);
      const admitted = s.admitted;
      s.admitted = null;
      admitted?.();
    }
  }
}
