/**
 * How the realtime code writes a feed that produces values: as a Repeater (@repeaterjs/repeater,
 * what Yoga's own pubsub, the live-query store and its patch generator return); a feed that only
 * maps another uses graphql-tools' `mapAsyncIterator` (a Repeater's push-and-wait on every
 * delivery costs several promises, measured in tests/bench/RESULTS.md). A Repeater's executor
 * pushes values (an unbuffered `push` resolves once the reader has taken the value, so a feed
 * reads ahead by one value at most), ends the feed by returning or throwing, and takes down what
 * it set up after `await stop` or in a `finally`.
 *
 * Three shapes recur, and live here:
 * - `HoldingFeed`: a feed that holds something from before its first `next()` (a client's place
 *   in a shared live query). A Repeater runs its executor only from the first `next()`, so a feed
 *   returned before it is read would never let go; this one does.
 * - `Inbox`: the per-subscriber end of a fan-out, where one producer hands the same value to
 *   thousands of feeds (the stage-log tail): a push never waits and costs one resolved promise,
 *   or none once the reader has taken the hand-over (`handOver`: each push goes straight to its
 *   `Taker`, in the producer's loop).
 * - `Bell`: how a loop waits for work (a change heard, an event handed over).
 * Inbox and Bell are the two places that keep a waiter's resolver, because they are on the path
 * of every delivery: a Repeater's push and next cost several promises each (at 10,000
 * subscribers, 20,000 deliveries a second, that was most of the server's CPU).
 *
 * Two feeds on that path are iterator objects over an Inbox or another feed, for the same reason
 * and because an async generator cannot be returned while it awaits its source (a client that
 * completes would stay subscribed until the next event): a stage-tail subscriber (its replay,
 * then its Inbox: src/realtime/stage-tail.ts) and a subscriber's shared results, which write
 * some results aside and take the tail's hand-over (src/realtime/shared-subscriptions.ts,
 * `relayResults`).
 */
import { Repeater, type RepeaterBuffer } from '@graphql-yoga/subscription';

type Executor<T> = ConstructorParameters<typeof Repeater<T>>[0];

/**
 * A Repeater that ends when its executor settles (returns, or throws: the reader then gets the
 * error after the values pushed before it), and runs `release` once when it ends: then, or at
 * `return()`, even a `return()` before the first `next()` (when the executor never runs).
 */
export class HoldingFeed<T> extends Repeater<T> {
  private readonly release: () => void;

  constructor(executor: Executor<T>, release: () => void, buffer?: RepeaterBuffer) {
    let released = false;
    const releaseOnce = () => {
      if (released) return;
      released = true;
      release();
    };
    super(async (push, stop) => {
      try {
        return await executor(push, stop);
      } finally {
        // A Repeater whose executor returns without calling `stop` would never end.
        stop();
        releaseOnce();
      }
    }, buffer);
    this.release = releaseOnce;
  }

  override return(value?: unknown): Promise<IteratorResult<T>> {
    this.release();
    return super.return(value);
  }
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/**
 * A reader that takes each value as it is pushed, with no promise per value: the shared
 * subscription layer's relay (src/realtime/shared-subscriptions.ts), so that a fan-out of one
 * event to 10,000 subscribers is one loop, not 10,000 awaits.
 */
export interface Taker<T> {
  /** The next value, in order. */
  take(value: T): void;
  /** The feed has ended: after everything pushed, or (`returned`) at once, dropping the rest. */
  end(returned?: boolean): void;
}

/**
 * Offered by a feed that can hand its values to a Taker as they are pushed, in place of `next()`.
 * True: from now on (first what it holds) the feed hands everything to the taker and its end;
 * false: not now (read on with `next()`, and offer again later).
 */
export const handOver = Symbol('handOver');
export interface HandsOver<T> {
  [handOver](taker: Taker<T>): boolean;
}

/**
 * A feed that one producer pushes to without waiting and one reader takes from, in order. The
 * producer ends it with `end()`: the reader gets what was pushed before, then done (a feed that
 * fails pushes its error as a last value: src/realtime/feed-errors.ts). `return()` ends it at
 * once (what was pushed and not read is dropped). Either way `release` runs once, when the
 * reader has come to the end.
 */
export class Inbox<T> implements AsyncIterableIterator<T>, HandsOver<T> {
  private readonly items: T[] = [];
  private reader: ((result: IteratorResult<T>) => void) | null = null;
  private taker: Taker<T> | null = null;
  private ending = false;
  private finished = false;

  constructor(private readonly release: () => void = () => {}) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Items pushed and not yet read. */
  get held(): number {
    return this.items.length;
  }

  /** Hands `item` to the reader, or keeps it until read; nothing once the feed is ending. */
  push(item: T): void {
    if (this.ending) return;
    if (this.taker) {
      this.taker.take(item);
      return;
    }
    const reader = this.reader;
    if (reader) {
      this.reader = null;
      reader({ value: item, done: false });
    } else this.items.push(item);
  }

  /** Ends the feed after what was pushed. */
  end(): void {
    if (this.ending) return;
    this.ending = true;
    if (this.reader || this.taker) this.finish();
  }

  /** Hands what it holds, then every push and the end, to `taker` (not while a `next()` waits). */
  [handOver](taker: Taker<T>): boolean {
    if (this.reader || this.taker || this.finished) return false;
    this.taker = taker;
    for (const item of this.items.splice(0)) taker.take(item);
    if (this.ending) this.finish();
    return true;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length) return Promise.resolve({ value: this.items.shift()!, done: false });
    if (this.finished) return Promise.resolve(DONE);
    return new Promise((resolve) => {
      this.reader = resolve;
      if (this.ending) this.finish();
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.items.length = 0;
    this.ending = true;
    this.finish(true);
    return Promise.resolve(DONE);
  }

  /** The reader (or taker) has come to the end, or returned: done, and `release` once. */
  private finish(returned = false): void {
    const reader = this.reader;
    const taker = this.taker;
    this.reader = null;
    this.taker = null;
    if (!this.finished) {
      this.finished = true;
      this.release();
    }
    reader?.(DONE);
    taker?.end(returned);
  }
}

/**
 * Wake-up calls for a loop that waits for work: `ring()` while it works and its next `wait()`
 * returns at once (rings coalesce into one); with `pollMs` it is also rung that often; `close()`
 * ends every wait. A loop checks for work after each wake-up, so a ring that finds no waiter is
 * kept as one pending wake-up.
 */
export class Bell {
  private readonly waiters: ((open: boolean) => void)[] = [];
  private rung = false;
  private closed = false;
  private readonly timer: ReturnType<typeof setInterval> | undefined;

  constructor(pollMs?: number) {
    this.timer = pollMs === undefined ? undefined : setInterval(() => this.ring(), pollMs);
  }

  ring(): void {
    if (this.closed) return;
    const waiter = this.waiters.shift();
    if (waiter) waiter(true);
    else this.rung = true;
  }

  /** Resolves at the next ring (at once if rung since the last wait): true, or false once closed. */
  wait(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (this.rung) {
      this.rung = false;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    for (const waiter of this.waiters.splice(0)) waiter(false);
  }
}
