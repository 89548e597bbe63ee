/**
 * The stage-event log's reader (src/realtime/stage-tail.ts) against a fake log, for what the
 * end-to-end subscription tests cannot arrange: a database read that fails, a subscriber that
 * joins while a batch is being read, and the tail stopping when its last subscriber leaves.
 */
import { describe, expect, it, vi } from 'vitest';
import type { PrismaClient } from '../src/generated/prisma/client.ts';
import type { HubListener, HubPubSub } from '../src/realtime/event-bus.ts';
import { FellBehindError, isLiveError, type LivePayload } from '../src/realtime/feed-errors.ts';
import { type FeedItem, StageLogTail } from '../src/realtime/stage-tail.ts';
import { deferred } from './helpers/subscription.ts';

/** The few Prisma conditions the tail uses: AND, a sequence range, an id list. */
interface Where {
  AND?: Where[];
  sequence?: { gt: bigint; lte?: bigint };
  id?: { in: FeedItem['id'][] };
  /** Stands for a filter the database refuses. */
  refused?: boolean;
}

function matches(e: FeedItem, where: Where): boolean {
  if (where.AND) return where.AND.every((w) => matches(e, w));
  if (
    where.sequence &&
    !(
      e.sequence > where.sequence.gt &&
      (where.sequence.lte === undefined || e.sequence <= where.sequence.lte)
    )
  )
    return false;
  if (where.id?.in && !where.id.in.includes(e.id)) return false;
  return true;
}

/** A log in memory, read through the two calls the tail makes; `gate` can hold reads back. */
function fakeLog() {
  const events: FeedItem[] = [];
  const state = {
    events,
    failNextReads: 0,
    reads: 0,
    gate: null as Promise<void> | null,
    /** Resolved when a read reaches the gate and is held there. */
    held: deferred(),
    append(n: number) {
      for (let i = 0; i < n; i++) {
        const sequence = BigInt(events.length + 1);
        events.push({ id: events.length + 1, sequence });
      }
    },
  };
  const prisma = {
    projectStageEvent: {
      async findFirst() {
        const last = events.at(-1);
        return last ? { sequence: last.sequence } : null;
      },
      async findMany(args: { where: Where; take?: number }) {
        state.reads += 1;
        // The gate holds back the tail's matching queries (which events match a filter).
        if (state.gate && args.where.AND?.[0]?.id) {
          state.held.resolve();
          await state.gate;
        }
        if (state.failNextReads > 0) {
          state.failNextReads -= 1;
          throw Object.assign(new Error('Connection terminated unexpectedly'), {
            code: 'ECONNRESET',
          });
        }
        // A filter the database refuses (as PostgreSQL refuses text it cannot store).
        if (args.where.AND?.some((w) => w.refused))
          throw Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), {
            code: '22021',
          });
        const rows = events.filter((e) => matches(e, args.where));
        return rows.slice(0, args.take ?? rows.length).map((e) => ({ ...e }));
      },
    },
  } as unknown as PrismaClient;
  return { prisma, state };
}

function fakeBus() {
  const listeners = new Set<HubListener<'stageChanged'>>();
  /** Resolved when the last listener stops listening. */
  const unheard = deferred();
  const bus = {
    listen(_topic: 'stageChanged', listener: HubListener<'stageChanged'>) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) unheard.resolve();
      };
    },
  } as unknown as Pick<HubPubSub, 'listen'>;
  return {
    bus,
    listeners,
    unheard: unheard.promise,
    ring: (sequence: number) => {
      for (const l of listeners) l.onEvent({ sequence: String(sequence) } as never);
    },
  };
}

const take = async (feed: AsyncIterableIterator<LivePayload<FeedItem>>, n: number) => {
  const out: bigint[] = [];
  while (out.length < n) {
    const item = await feed.next();
    if (item.done) break;
    if (isLiveError(item.value)) throw item.value.liveError;
    out.push(item.value.sequence);
  }
  return out;
};

describe('StageLogTail', () => {
  it('should keep its subscribers through a failed read and deliver once the database answers', async () => {
    const { prisma, state } = fakeLog();
    const { bus, ring } = fakeBus();
    const errors: unknown[] = [];
    const tail = new StageLogTail({
      prisma,
      pubsub: bus,
      pollIntervalMs: 60_000,
      onReadError: (e) => errors.push(e),
    });
    const feed = await tail.open();
    state.append(2);
    state.failNextReads = 2;
    ring(2);
    expect(await take(feed, 2)).toEqual([1n, 2n]);
    expect(errors).toHaveLength(2);
    await feed.return!();
  });

  it('should admit a subscriber that joins during a read after that read, filtered, with the rest replayed', async () => {
    const { prisma, state } = fakeLog();
    const { bus, ring } = fakeBus();
    const tail = new StageLogTail({ prisma, pubsub: bus, pollIntervalMs: 60_000 });
    // A filtered subscriber, so that each batch is matched against its filter.
    const first = await tail.open({ where: { id: { in: [1, 2, 3, 4, 5] } } });
    state.append(3);
    let open!: () => void;
    state.gate = new Promise((resolve) => (open = resolve));
    ring(3);
    await state.held.promise;
    // The tail is matching 1..3 against the filters it has: this subscriber, whose filter it
    // does not have, waits for the batch to be handed out and starts after it.
    const joining = tail.open({ after: 0n, where: { id: { in: [2, 4] } } });
    expect(tail.size).toBe(2);
    state.gate = null;
    open();
    const second = await joining;
    state.append(2);
    ring(5);
    expect(await take(first, 5)).toEqual([1n, 2n, 3n, 4n, 5n]);
    // 2 from its replay (it asked for everything after 0), 4 from the tail: no gap, no repeat,
    // and nothing its filter leaves out (the batch in flight was matched before it joined).
    expect(await take(second, 2)).toEqual([2n, 4n]);
    await Promise.all([first.return!(), second.return!()]);
  });

  it('should end only the subscribers whose filter the database refuses, and go on for the others', async () => {
    const { prisma, state } = fakeLog();
    const { bus, ring } = fakeBus();
    const errors: unknown[] = [];
    const tail = new StageLogTail({
      prisma,
      pubsub: bus,
      pollIntervalMs: 60_000,
      onReadError: (e) => errors.push(e),
    });
    const refused = await tail.open({ where: { refused: true } as never });
    const fine = await tail.open({ where: { id: { in: [1, 2] } } });
    state.append(2);
    ring(2);
    const last = await refused.next();
    expect(String((last.value as { liveError: unknown }).liveError)).toMatch(
      /invalid byte sequence/,
    );
    expect(await refused.next()).toEqual({ value: undefined, done: true });
    expect(await take(fine, 2)).toEqual([1n, 2n]);
    // Not a failed read to retry for everyone.
    expect(errors).toEqual([]);
    expect(tail.size).toBe(1);
    await fine.return!();
  });

  it('should stop listening and polling when the last subscriber leaves, and start again', async () => {
    // The poll's timer runs on a clock the test moves.
    vi.useFakeTimers();
    try {
      const { prisma, state } = fakeLog();
      const { bus, listeners, unheard, ring } = fakeBus();
      const tail = new StageLogTail({ prisma, pubsub: bus, pollIntervalMs: 30 });
      const a = await tail.open();
      const b = await tail.open();
      expect(listeners.size).toBe(1);
      expect(tail.size).toBe(2);
      // Polling while subscribed: the clock's 120 ms are four polls, each a read.
      let reads = state.reads;
      await vi.advanceTimersByTimeAsync(120);
      expect(state.reads).toBeGreaterThan(reads);
      await a.return!();
      await b.return!();
      await unheard;
      expect(listeners.size).toBe(0);
      reads = state.reads;
      await vi.advanceTimersByTimeAsync(120);
      expect(state.reads).toBe(reads);

      const c = await tail.open();
      state.append(1);
      ring(1);
      expect(await take(c, 1)).toEqual([1n]);
      await c.return!();
    } finally {
      vi.useRealTimers();
    }
  });

  it('should not deliver events at or before `after` that the tail handed over while `after` was checked', async () => {
    const { prisma, state } = fakeLog();
    const { bus, ring } = fakeBus();
    const tail = new StageLogTail({ prisma, pubsub: bus, pollIntervalMs: 60_000 });
    const first = await tail.open();
    // Three events committed that the tail has not heard of yet (its position is still 0): a
    // client resuming after 2 (seen on another server) is past the tail's position, so the
    // head is read to check `after`; the tail reads 1..3 meanwhile.
    state.append(3);
    const findFirst = prisma.projectStageEvent.findFirst.bind(prisma.projectStageEvent);
    let openHead!: () => void;
    const headGate = new Promise<void>((resolve) => (openHead = resolve));
    (prisma.projectStageEvent as { findFirst: unknown }).findFirst = async (...args: never[]) => {
      await headGate;
      return findFirst(...args);
    };
    const resuming = tail.open({ after: 2n });
    await new Promise((resolve) => setTimeout(resolve, 10));
    ring(3);
    expect(await take(first, 3)).toEqual([1n, 2n, 3n]);
    openHead();
    const second = await resuming;
    state.append(1);
    ring(4);
    expect(await take(second, 2)).toEqual([3n, 4n]);
    await Promise.all([first.return!(), second.return!()]);
  });

  it('should end a feed whose replay fails with the error, not with later events past the gap', async () => {
    const { prisma, state } = fakeLog();
    const { bus, ring } = fakeBus();
    const tail = new StageLogTail({ prisma, pubsub: bus, pollIntervalMs: 60_000 });
    const first = await tail.open();
    state.append(3);
    ring(3);
    expect(await take(first, 3)).toEqual([1n, 2n, 3n]);
    // Joins at 3 and must replay 1..3; 4 and 5 are handed over before its replay is read.
    const second = await tail.open({ after: 0n });
    state.append(2);
    ring(5);
    expect(await take(first, 2)).toEqual([4n, 5n]);
    state.failNextReads = 1;
    const seen: unknown[] = [];
    for (let item = await second.next(); !item.done; item = await second.next())
      seen.push(isLiveError(item.value) ? 'error' : item.value.sequence);
    // A client resumes with `after` = the last event it saw: 4 or 5 here would skip 1..3 for good.
    expect(seen).toEqual(['error']);
    expect(tail.size).toBe(1);
    await first.return!();
  });

  it('should end the feed of a client that stops reading once it holds maxBehind events, after those', async () => {
    const { prisma, state } = fakeLog();
    const { bus, ring } = fakeBus();
    const tail = new StageLogTail({
      prisma,
      pubsub: bus,
      pollIntervalMs: 60_000,
      batchSize: 1,
      maxBehind: 3,
    });
    const stalled = await tail.open();
    const reading = await tail.open();
    // The tail hands each event to both in one loop: once the reader has it, so has the other.
    for (let n = 1; n <= 5; n++) {
      state.append(1);
      ring(n);
      expect(await take(reading, 1)).toEqual([BigInt(n)]);
    }
    // It left the tail when it fell behind, before its client read anything: no more matching
    // queries for it, nor events held.
    expect(tail.size).toBe(1);
    const seen: unknown[] = [];
    for (let i = 0; i < 5; i++) {
      const item = await stalled.next();
      if (item.done) break;
      seen.push(isLiveError(item.value) ? item.value.liveError : item.value.sequence);
    }
    // What it held, then why it ended: resuming after 3 replays 4 and 5 from the log.
    expect(seen.slice(0, 3)).toEqual([1n, 2n, 3n]);
    expect(seen[3]).toBeInstanceOf(FellBehindError);
    expect(seen).toHaveLength(4);
    expect(tail.size).toBe(1);
    // The reader is not held back by the stalled one.
    state.append(1);
    ring(6);
    expect(await take(reading, 1)).toEqual([6n]);
    await reading.return!();
  });

  it('should refuse a maxBehind below the batch it hands over in one go', () => {
    const { prisma } = fakeLog();
    const { bus } = fakeBus();
    expect(() => new StageLogTail({ prisma, pubsub: bus, batchSize: 500, maxBehind: 499 })).toThrow(
      RangeError,
    );
  });
});
