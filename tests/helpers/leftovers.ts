/**
 * Leftovers: everything a suite opened that must be closed even when a test fails half-way
 * (hubs, databases, subscriptions, sockets, buses). One list per suite:
 *
 *   const leftovers = useLeftovers();          // registers an afterAll that flushes it
 *   const hub = leftovers.push(await startTestHub());
 *   leftovers.push(() => socket.close());
 *
 * Things are closed newest first. A suite that must close its subscriptions after each test
 * calls `await leftovers.flush()` in its own `afterEach`.
 */
import { afterAll } from 'vitest';

/** A function to call, or something with `close()` or `dispose()`. */
export type Leftover = (() => unknown) | { close(): unknown } | { dispose(): unknown };

export interface Leftovers {
  /** Keeps `thing` (and any `more`) to be closed later; returns `thing`. */
  push<T extends Leftover>(thing: T, ...more: Leftover[]): T;
  /** Closes everything kept so far, newest first, and forgets it. */
  flush(): Promise<void>;
}

export function useLeftovers(): Leftovers {
  const kept: Leftover[] = [];
  const leftovers: Leftovers = {
    push(thing, ...more) {
      kept.push(thing, ...more);
      return thing;
    },
    async flush() {
      for (const thing of kept.splice(0).reverse()) {
        if (typeof thing === 'function') await thing();
        else if ('close' in thing) await thing.close();
        else await thing.dispose();
      }
    },
  };
  afterAll(() => leftovers.flush());
  return leftovers;
}
