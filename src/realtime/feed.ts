/**
 * How the realtime code writes a feed that produces values: as a Repeater (@repeaterjs/repeater,
 * what Yoga's own pubsub, the live-query store and its patch generator return); a feed that only
 * maps another uses graphql-tools' `mapAsyncIterator` (a Repeater's push-and-wait on every
 * delivery costs several promises, measured in tests/bench/RESULTS.md). A Repeater's executor
 * pushes values (an unbuffered `push` resolves once the reader has taken the value, so a feed
 * reads ahead by one value at most), ends the feed by returning or throwing, and takes down what
 * it set up after `await stop` or in a `finally`.
 *
 * Two shapes recur, and live here:
 * - `HoldingFeed`: a feed that holds something from before its first `next()` (a place in the
 *   stage-log tail, a client's place in a shared live query, the feed it maps). A Repeater runs
 *   its executor only from the first `next()`, so a feed returned before it is read would never
 *   let go; this one does.
 * - `Bell`: how a loop waits for work (a change heard, an event handed over): the one place that
 *   keeps a waiter's resolver, because it is on the path of every delivery.
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

/**
 * Wake-up calls for a loop that waits for work: `ring()` while it works and its next `wait()`
 * returns at once (rings coalesce into one); with `pollMs` it is also rung that often; `close()`
 * ends every wait. A loop checks for work after each wake-up, so a ring that finds no waiter is
 * kept as one pending wake-up.
 *
 * It is on the path of every delivery (each subscriber's feed waits on one), so it is the one
 * place that keeps a waiter's resolver: a Repeater's push and next cost several promises per ring.
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
