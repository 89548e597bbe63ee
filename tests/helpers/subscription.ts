/**
 * What both subscription clients (graphql-ws, SSE) hand a test: every result received, ways to
 * wait for more, and how the subscription ended.
 */
import type { GraphQLResponse } from './server.ts';

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** How a subscription ended: `complete`, an `error` (transport or protocol), or closed by the test. */
export type SubscriptionEnd =
  | { kind: 'complete' }
  | { kind: 'error'; error: unknown }
  | { kind: 'disposed' };

/** A generous wait: long enough for a loaded CI machine, short enough to fail a hung test. */
export const GENEROUS_WAIT_MS = 30_000;

export class SubscriptionRecorder<T = Record<string, unknown>> {
  /** Every result (`next` payload) in arrival order. */
  readonly results: GraphQLResponse<T>[] = [];
  private waiters: { count: number; done: Deferred<void> }[] = [];
  private readonly endDeferred = deferred<SubscriptionEnd>();
  private endedWith: SubscriptionEnd | null = null;
  /** Resolves when the subscription ends, whichever way. */
  readonly ended: Promise<SubscriptionEnd> = this.endDeferred.promise;

  constructor(readonly label: string) {}

  push(result: GraphQLResponse<T>): void {
    this.results.push(result);
    this.waiters = this.waiters.filter((w) => {
      if (this.results.length < w.count) return true;
      w.done.resolve();
      return false;
    });
  }

  end(how: SubscriptionEnd): void {
    if (this.endedWith) return;
    this.endedWith = how;
    this.endDeferred.resolve(how);
    for (const w of this.waiters) {
      w.done.reject(
        new Error(
          `${this.label}: ended (${how.kind}) after ${this.results.length} results, waiting for ${w.count}: ${describeEnd(how)}`,
        ),
      );
    }
    this.waiters = [];
  }

  get endState(): SubscriptionEnd | null {
    return this.endedWith;
  }

  /** Resolves once `count` results have arrived; rejects if the subscription ends first or after `timeoutMs`. */
  async waitForResults(count: number, timeoutMs = GENEROUS_WAIT_MS): Promise<GraphQLResponse<T>[]> {
    if (this.results.length >= count) return this.results;
    if (this.endedWith)
      throw new Error(
        `${this.label}: already ended (${describeEnd(this.endedWith)}) with ${this.results.length} results`,
      );
    const done = deferred<void>();
    this.waiters.push({ count, done });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `${this.label}: ${this.results.length} results after ${timeoutMs} ms, waiting for ${count}`,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      await Promise.race([done.promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
    return this.results;
  }

  /** The results' data, asserting that none carried errors. */
  data(): T[] {
    return this.results.map((r, i) => {
      if (r.errors?.length || !r.data)
        throw new Error(`${this.label}: result ${i} has errors: ${JSON.stringify(r.errors)}`);
      return r.data;
    });
  }
}

function describeEnd(how: SubscriptionEnd): string {
  if (how.kind !== 'error') return how.kind;
  const e = how.error;
  if (e instanceof Error) return e.message;
  return JSON.stringify(e);
}

export interface TestSubscription<T = Record<string, unknown>> {
  recorder: SubscriptionRecorder<T>;
  /** Ends the subscription from the client side (unsubscribe and disconnect). */
  dispose(): Promise<void>;
}

/** Polls `check` until it returns true; fails with `what` after `timeoutMs`. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = GENEROUS_WAIT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
