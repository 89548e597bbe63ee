/**
 * How the realtime code writes an async iterator: always as a Repeater (@repeaterjs/repeater,
 * what Yoga's own pubsub, the live-query store and its patch generator return). Its executor
 * pushes values (an unbuffered `push` resolves once the reader has taken the value, so a feed
 * reads ahead by one value at most), ends the feed by returning or throwing, and takes down what
 * it set up after `await stop` or in a `finally`.
 *
 * Two shapes recur, and live here:
 * - `HoldingFeed`: a feed that holds something from before its first `next()` (a place in the
 *   stage-log tail, a client's place in a shared live query, the feed it maps). A Repeater runs
 *   its executor only from the first `next()`, so a feed returned before it is read would never
 *   let go; this one does.
 * - `Bell`: how a loop waits for work (a change heard, an event handed over) without storing a
 *   promise's resolver: it iterates a Repeater of rings.
 */
import { DroppingBuffer, Repeater, type RepeaterBuffer } from '@graphql-yoga/subscription';

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
 * ends every wait. A ring before the first `wait()` is not kept: a loop checks for work before
 * it waits.
 */
export class Bell {
  private readonly rings: Repeater<void>;
  private ringer: (() => void) | null = null;

  constructor(pollMs?: number) {
    this.rings = new Repeater<void>(async (push, stop) => {
      this.ringer = () => void push();
      const timer = pollMs === undefined ? undefined : setInterval(this.ringer, pollMs);
      await stop;
      clearInterval(timer);
    }, new DroppingBuffer(1));
  }

  ring(): void {
    this.ringer?.();
  }

  /** Resolves at the next ring (at once if rung since the last wait): true, or false once closed. */
  async wait(): Promise<boolean> {
    return !(await this.rings.next()).done;
  }

  close(): void {
    void this.rings.return();
  }
}
