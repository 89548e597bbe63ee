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
 * Because the log is commit-ordered (src/services/stage-log.ts), once an event N is visible every
 * event below N that will ever exist is visible too: reading `sequence > position` can miss
 * nothing and reads nothing twice.
 *
 * A subscription with `after` first replays (after, P] with its own reads, P being the tail's
 * position when it joined, then continues with what the tail hands it past P: one loop, no
 * seam. A subscriber joins only between two of the tail's batches, so P is exact.
 */
import { createDeferred } from '@graphql-tools/utils';
import type { Prisma, PrismaClient } from '../generated/prisma/client.ts';
import { isDatabaseUnavailable } from '../masked-errors.ts';
import { ValidationError } from '../services/errors.ts';
import { logHead } from '../services/stage-log.ts';
import type { HubPubSub, PubSubLostError } from './event-bus.ts';
import { Bell, type HandsOver, handOver, Inbox, type Taker } from './feed.ts';
import { FellBehindError, type LivePayload, MAX_BEHIND } from './feed-errors.ts';

/** One event the feed delivers; the subscription re-reads the row by `id`. */
export interface FeedItem {
  id: number;
  sequence: bigint;
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
  /**
   * Events one subscriber may have handed over and not read (an SSE client that stopped reading,
   * a stalled display): one more ends its feed, after those, with FellBehindError. At least
   * `batchSize`, since a batch is handed over in one go. @default MAX_BEHIND
   */
  maxBehind?: number;
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

/**
 * One subscription's feed: a replay of the log up to where it joined the tail (when it asked
 * for one), then the events the tail hands over. The tail hands each event to thousands of
 * these, so a hand-over is one push into an Inbox (src/realtime/feed.ts), never a wait.
 */
class Subscriber
  implements AsyncIterableIterator<LivePayload<FeedItem>>, HandsOver<LivePayload<FeedItem>>
{
  readonly key: string;
  /** Events handed over by the tail and not yet read (the tail never waits for a reader). */
  private readonly live: Inbox<LivePayload<FeedItem>>;
  /** Why the feed ended, once it has (FeedClosedError when its client closed it). */
  failure: Error | null = null;
  /** The tail's position when it admitted this subscriber; null until then. */
  joinedAt: bigint | null = null;
  /** Settles when a subscriber that had to wait for a batch is admitted (or fails first). */
  admitted: ReturnType<typeof createDeferred<void>> | null = null;
  /** The last event read (or handed over past, before the feed's `after`). */
  private position = 0n;
  /** Replayed events read from the log and not yet taken. */
  private replayed: FeedItem[] = [];
  /** Whether the replay has reached `joinedAt`. */
  private replayDone = true;

  constructor(
    readonly where: Prisma.ProjectStageEventWhereInput,
    private readonly tail: { prisma: PrismaClient; batchSize: number; maxBehind: number },
    private readonly leave: (subscriber: Subscriber) => void,
    after: bigint | null = null,
  ) {
    this.key = whereKey(where);
    // The tail may hand events over before `startAfter` (while `open` checks an `after` past
    // its position): those at or before `after` are skipped from the start.
    if (after !== null) this.position = after;
    this.live = new Inbox<LivePayload<FeedItem>>(() => {
      this.failure ??= new FeedClosedError();
      this.leave(this);
    });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Starts the feed after `after` (null: at `joinedAt`), replaying the log up to `joinedAt`. */
  startAfter(after: bigint | null): void {
    this.position = after ?? this.joinedAt!;
    this.replayDone = this.position >= this.joinedAt!;
  }

  /** An event the tail hands over (in sequence order); one at or before `position` is skipped. */
  push(item: FeedItem): void {
    if (this.failure) return;
    if (this.replayDone && item.sequence <= this.position) return;
    // A client that does not read would make the tail hold every event for it: past the bound its
    // feed ends after what it holds, and the client resumes from the log with `after`. It leaves
    // the tail now, not when its client reads to the end (which a stalled one never does).
    if (this.live.held < this.tail.maxBehind) this.live.push(item);
    else {
      this.fail(new FellBehindError(this.tail.maxBehind));
      this.leave(this);
    }
  }

  admit(position: bigint): void {
    this.joinedAt = position;
    this.admitted?.resolve();
  }

  /**
   * Ends the feed after what was handed over, with a last `{ liveError }` payload (the live
   * fields' convention, src/realtime/feed-errors.ts); FeedClosedError ends it at once.
   */
  fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.admitted?.reject(error);
    if (error instanceof FeedClosedError) void this.live.return();
    else {
      this.live.push({ liveError: error });
      this.live.end();
    }
  }

  next(): Promise<IteratorResult<LivePayload<FeedItem>>> {
    if (!this.replayDone) return this.replay();
    return this.live.next();
  }

  return(): Promise<IteratorResult<LivePayload<FeedItem>>> {
    return this.live.return();
  }

  /** What the tail hands over goes straight to `taker`, once the replay is read (`next()`). */
  [handOver](taker: Taker<LivePayload<FeedItem>>): boolean {
    return this.replayDone && this.live[handOver](taker);
  }

  /** The next event from the log before `joinedAt`; then the tail's. */
  private async replay(): Promise<IteratorResult<LivePayload<FeedItem>>> {
    const joinedAt = this.joinedAt!;
    try {
      while (!this.replayed.length && this.position < joinedAt && !this.failure) {
        const rows = await this.tail.prisma.projectStageEvent.findMany({
          where: { AND: [{ sequence: { gt: this.position, lte: joinedAt } }, this.where] },
          orderBy: { sequence: 'asc' },
          take: this.tail.batchSize,
          select: { id: true, sequence: true },
        });
        this.replayed = rows;
        // Fewer than a batch: nothing is left before `joinedAt` that matches.
        if (rows.length < this.tail.batchSize) this.position = joinedAt;
        else this.position = rows[rows.length - 1]!.sequence;
      }
    } catch (error) {
      // A failed read ends the feed with its error (the client resumes with `after`).
      this.fail(error instanceof Error ? error : new Error(String(error)));
    }
    const item = this.replayed.shift();
    if (item && !(this.failure instanceof FeedClosedError)) return { value: item, done: false };
    this.replayed = [];
    this.replayDone = true;
    this.position = joinedAt;
    const failure = this.failure;
    if (failure && !(failure instanceof FeedClosedError)) {
      // The replay ended short of `joinedAt`: what the tail handed over lies past the events not
      // replayed, and a client resuming after one of them would never get those. End with the
      // error alone (the Inbox drops what it holds, and leaves the tail).
      void this.live.return();
      return { value: { liveError: failure }, done: false };
    }
    return this.live.next();
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
  readonly prisma: PrismaClient;
  private readonly pubsub: Pick<HubPubSub, 'listen'>;
  private readonly pollIntervalMs: number;
  readonly batchSize: number;
  readonly maxBehind: number;
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
  /** Wakes the loop: an event past the position heard, a subscriber leaving, the poll. */
  private bell: Bell | null = null;

  constructor(options: StageLogTailOptions) {
    this.prisma = options.prisma;
    this.pubsub = options.pubsub;
    this.pollIntervalMs = options.pollIntervalMs ?? 10_000;
    this.batchSize = options.batchSize ?? 500;
    this.maxBehind = options.maxBehind ?? MAX_BEHIND;
    if (this.maxBehind < this.batchSize)
      throw new RangeError(
        `maxBehind (${this.maxBehind}) is less than batchSize (${this.batchSize})`,
      );
    this.onReadError = options.onReadError ?? (() => {});
  }

  /** Live subscriptions this tail serves (metrics and tests). */
  get size(): number {
    return this.subscribers.size + this.joining.length;
  }

  /**
   * Opens a feed. Listening starts and `after` is checked before this resolves, so a caller that
   * awaits it and then changes a stage will see that change. Throws ValidationError when `after`
   * is past the head of the log (a position from another database). The feed ends with a
   * `{ liveError }` payload (the bus's PubSubLostError if the bus is lost, a failed replay or
   * filter); `return()` closes it at any time.
   */
  async open(options: OpenFeedOptions = {}): Promise<AsyncIterableIterator<LivePayload<FeedItem>>> {
    const where = options.where ?? {};
    const after = options.after ?? null;
    const subscriber = new Subscriber(where, this, (s) => this.leave(s), after);
    await this.join(subscriber);
    const joinedAt = subscriber.joinedAt!;
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

    subscriber.startAfter(after);
    return subscriber;
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
    subscriber.admitted = createDeferred<void>();
    this.joining.push(subscriber);
    await subscriber.admitted.promise;
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
      this.bell = new Bell(this.pollIntervalMs);
      void this.loop(generation, this.bell);
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
    this.bell?.close();
    this.bell = null;
  }

  private failAll(error: Error): void {
    const all = [...this.subscribers, ...this.joining];
    this.subscribers.clear();
    this.joining = [];
    this.stop();
    for (const subscriber of all) subscriber.fail(error);
  }

  private ring(): void {
    this.bell?.ring();
  }

  private async loop(generation: number, bell: Bell): Promise<void> {
    let failures = 0;
    const current = () => generation === this.generation;
    while (current()) {
      // Wait for a ring (an event past the position, or a subscriber leaving) or the poll. The
      // first subscriber joins while the loop waits here for the first time.
      if (this.heard <= this.position) {
        await bell.wait();
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
      this.subscribers.add(s);
      s.admit(this.position);
    }
  }
}
