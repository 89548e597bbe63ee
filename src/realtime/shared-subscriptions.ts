/**
 * Shared subscription execution: when a feed hands the same event object to many
 * subscriptions (src/realtime/stage-tail.ts hands each stage event to every matching
 * subscriber of the server), the subscriptions that asked the same thing (same document,
 * operation, variables and role) get one execution of it per event, not one each. A wall of
 * 10,000 displays then costs one GraphQL execution and one database read per event, plus one
 * socket write per display.
 *
 * It replaces the subscribe function with the one the GraphQL spec describes (a source stream
 * from the subscription field's `subscribe`, then `execute` with each event as root value),
 * and memoises the per-event `execute` by event object and subscription key. Nothing but the
 * key may change a result, so the per-event `execute` runs with a context built from the key's
 * scope alone (`contextOf`: for the hub, the server's parts and the role), never with one
 * subscriber's: a resolver that reads who the viewer is fails there instead of answering every
 * subscriber with the first one's data. The subscription field's `subscribe` still runs with
 * each subscriber's own context (its arguments, its checks, its place in the feed).
 *
 * The result is also serialised and encoded once per event and key, not once per socket
 * (`dataOnlyPayload`), and where the transport offers a writer (graphql-ws: the socket), a
 * result of data only is written there directly, not passed through every plugin's wrapper and
 * the transport's loop (`relayResults`).
 *
 * Each subscriber's stream is this one layer over the source stream, so it is also where the
 * streams are observed (`observe`: open streams and results delivered, for metrics): another
 * plugin observing results would wrap every stream in a further async iterator, one more step
 * per delivery for 10,000 subscribers.
 */

import { isPromise } from '@graphql-tools/utils';
import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { type HandsOver, handOver, type Taker } from './feed.ts';
import { FellBehindError, liveError, MAX_BEHIND } from './feed-errors.ts';

/** What a client whose stream fell behind is told to do. */
const RESUME =
  'Subscribe again (`projectStageChanged` with `after` set to the last `sequence` received).';

export interface SharedResultsOptions<Scope extends string> {
  /** What of the context a result may depend on, as a string (e.g. the viewer's role). */
  scope(context: unknown): Scope;
  /**
   * The context a shared execution runs with, built from the scope alone: a resolver that reads
   * anything else of a subscriber's context must fail there, not answer for another subscriber.
   */
  contextOf(scope: Scope): unknown;
  /** Called when a subscription's stream opens; its `next` for each result, `end` once when the stream ends. */
  observe?(context: unknown): StreamObserver;
  /**
   * Where the subscriber's transport takes a result of data only directly, as the JSON text of
   * its payload (graphql-ws: a `next` message on the socket); undefined: every result goes
   * through the stream.
   */
  writerOf?(context: unknown): ((payload: Buffer) => void) | undefined;
  /**
   * Events a subscriber's stream may take and not deliver while its consumer has not asked for
   * the result it was given (graphql-ws sends a result with errors itself, and asks for the next
   * once its client has taken it): one more ends the stream with FELL_BEHIND. @default MAX_BEHIND
   */
  maxBehind?: number;
}

export interface StreamObserver {
  next(): void;
  end(): void;
}

type Result = ExecutionResult | Promise<ExecutionResult>;

const unobserved: StreamObserver = { next() {}, end() {} };

/** Who waits for a shared result still being computed: one `then` per result, not per subscriber. */
interface Waiter {
  resume(result: ExecutionResult): void;
  fail(error: unknown): void;
}
interface Waiting {
  /** The waiters, until the result settles. */
  waiters: Waiter[] | null;
  failed: boolean;
  result?: ExecutionResult;
  error?: unknown;
}
const waitingFor = new WeakMap<Promise<ExecutionResult>, Waiting>();

/**
 * Calls `waiter` back with the result when `promise` settles (with the error when it fails):
 * every waiter of one promise in one loop.
 */
function whenSettled(promise: Promise<ExecutionResult>, waiter: Waiter): void {
  let entry = waitingFor.get(promise);
  if (!entry) {
    const created: Waiting = { waiters: [], failed: false };
    entry = created;
    waitingFor.set(promise, created);
    const settle = (failed: boolean, result?: ExecutionResult, error?: unknown) => {
      const waiters = created.waiters ?? [];
      Object.assign(created, { waiters: null, failed, result, error });
      for (const w of waiters) failed ? w.fail(error) : w.resume(result!);
    };
    promise.then(
      (result) => settle(false, result),
      (error: unknown) => settle(true, undefined, error),
    );
  }
  if (entry.waiters) entry.waiters.push(waiter);
  else {
    // Settled already (a result that failed stays a rejected promise for its event).
    const { failed, result, error } = entry;
    queueMicrotask(() => (failed ? waiter.fail(error) : waiter.resume(result!)));
  }
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/**
 * One result delivered (the observer told): written when it is data only and there is a writer;
 * otherwise the subscriber's own envelope of it, for the stream (later plugins may set fields on
 * it).
 */
function deliverOne(
  result: ExecutionResult,
  observer: StreamObserver,
  write: ((payload: Buffer) => void) | undefined,
): ExecutionResult | undefined {
  observer.next();
  const payload = write ? dataOnlyPayload(result) : undefined;
  if (payload === undefined) return { ...result };
  write!(payload);
  return undefined;
}

type Outcome = { result: IteratorResult<ExecutionResult> } | { error: unknown };

/**
 * A relay's part once its source hands events over (`handOver`): the events taken and not yet
 * delivered, in order, and the consumer (the transport's loop) waiting for the next value. One
 * object with its methods on the prototype, so a subscriber costs a few fields, not a closure each.
 * None of its methods throws: what fails ends this stream only (`fail`).
 */
class HandedOver implements Taker<unknown>, Waiter {
  private readonly taken: unknown[] = [];
  private sourceEnded = false;
  /** The head's result is being computed. */
  private waiting = false;
  /** A value was given to the consumer: nothing more is written until it asks for the next. */
  private held = false;
  private consumer: {
    resolve(result: IteratorResult<ExecutionResult>): void;
    reject(error: unknown): void;
  } | null = null;
  /** What the consumer's next `next()` gets, when it came before the consumer asked. */
  private ready: Outcome | null = null;

  constructor(
    private readonly resultOf: (event: unknown) => Result,
    private readonly observer: StreamObserver,
    private readonly write: (payload: Buffer) => void,
    /** Whether the relay is still open. */
    private readonly isOpen: () => boolean,
    /** Ends the relay (`observer.end()` once); with `release`, lets the source go too. */
    private readonly close: (release: boolean) => void,
    private readonly maxBehind: number,
  ) {}

  take(event: unknown): void {
    if (!this.isOpen()) return;
    // Only while the consumer has not asked for the value it was given: a client that reads and a
    // result still being computed (the server's own pace) leave none behind for long.
    if (this.held && this.taken.length >= this.maxBehind) this.fallBehind();
    else {
      this.taken.push(event);
      if (this.taken.length === 1) this.deliver();
    }
  }

  /**
   * Its client has left `maxBehind` events undelivered: they are dropped and the stream ends
   * with FELL_BEHIND, which the consumer gets when it next asks (in place of a result given and
   * not yet asked for: a client resuming from the last event it got misses nothing).
   */
  private fallBehind(): void {
    this.taken.length = 0;
    this.waiting = false;
    try {
      this.close(true);
    } finally {
      const error = liveError(new FellBehindError(this.maxBehind), RESUME);
      this.give({ result: { value: { errors: [error] }, done: false } });
    }
  }

  end(returned = false): void {
    this.sourceEnded = true;
    // Returned: what was not yet being delivered is dropped, as an Inbox returned drops what it holds.
    if (returned) this.taken.splice(this.waiting ? 1 : 0);
    this.deliver();
  }

  resume(result: ExecutionResult): void {
    this.waiting = false;
    this.deliver(result);
  }

  fail(error: unknown): void {
    this.waiting = false;
    this.taken.length = 0;
    if (!this.isOpen()) return;
    try {
      this.close(true);
    } finally {
      this.give({ error });
    }
  }

  /** The consumer asks for the next value: the one ready, or the next given. */
  next(): Promise<IteratorResult<ExecutionResult>> {
    const ready = this.ready;
    if (ready) {
      this.ready = null;
      return 'result' in ready ? Promise.resolve(ready.result) : Promise.reject(ready.error);
    }
    if (!this.isOpen()) return Promise.resolve(DONE);
    this.held = false;
    return new Promise((resolve, reject) => {
      this.consumer = { resolve, reject };
      this.deliver();
    });
  }

  /** The relay was returned: a waiting consumer gets done, nothing more is delivered. */
  returned(): void {
    this.taken.length = 0;
    this.give({ result: DONE });
    this.ready = null;
  }

  /**
   * Delivers the events taken, in order (the head's result given when it has just been
   * computed), until one is not computed yet or goes to the consumer; then the end.
   */
  private deliver(head?: ExecutionResult): void {
    try {
      while (!this.held && !this.waiting && this.taken.length && this.isOpen()) {
        const result = head ?? this.resultOf(this.taken[0]);
        head = undefined;
        if (isPromise(result)) {
          this.waiting = true;
          whenSettled(result, this);
          return;
        }
        this.taken.shift();
        const envelope = deliverOne(result, this.observer, this.write);
        if (!envelope) continue;
        this.held = true;
        this.give({ result: { value: envelope, done: false } });
        return;
      }
      if (this.sourceEnded && !this.held && !this.waiting && !this.taken.length && this.isOpen())
        try {
          this.close(false);
        } finally {
          this.give({ result: DONE });
        }
    } catch (error) {
      this.fail(error);
    }
  }

  private give(outcome: Outcome): void {
    const consumer = this.consumer;
    this.consumer = null;
    if (!consumer) this.ready = outcome;
    else if ('result' in outcome) consumer.resolve(outcome.result);
    else consumer.reject(outcome.error);
  }
}

/**
 * A subscriber's stream of results: `resultOf` each event of `source`, telling `observer` of each
 * result delivered and, once, of the end (done, returned, thrown). With a `write`, a result of
 * data only is written there and the stream goes on to the next event; any other result (errors,
 * extensions) is the stream's next value, in order with those written: nothing more is written
 * until the consumer asks for the value after it. `return()` goes straight to the source.
 *
 * Written directly, a delivery costs one step here: not the further steps of each plugin's
 * wrapper around the stream and of the transport's loop (each a promise on the path of every
 * delivery), which have nothing to do for a result of data only.
 *
 * A source that hands its events over as they are pushed (`handOver`, src/realtime/feed.ts: the
 * stage-log tail's subscribers) costs not even that: from the first `next()` after its replay,
 * each event is taken in the producer's own loop (`HandedOver`), and its result written there
 * when it is already computed; when it is not, every subscriber waiting for that result is
 * resumed in one loop when it settles. So one event to 10,000 subscribers is two loops, not
 * 10,000 awaits.
 */
function relayResults(
  source: AsyncIterable<unknown>,
  resultOf: (event: unknown) => Result,
  observer: StreamObserver,
  write: ((payload: Buffer) => void) | undefined,
  maxBehind: number,
): AsyncIterableIterator<ExecutionResult> {
  const events = source[Symbol.asyncIterator]();
  const handing =
    write && typeof (events as Partial<HandsOver<unknown>>)[handOver] === 'function'
      ? (events as unknown as HandsOver<unknown>)
      : null;
  let open = true;
  const end = () => {
    if (!open) return;
    open = false;
    observer.end();
  };
  /** The taker offered to the source, and once it took it, the relay's state from then on. */
  let taker: HandedOver | null = null;
  let handed: HandedOver | null = null;
  const handOverNow = (): HandedOver | null => {
    if (!handing || !open) return null;
    taker ??= new HandedOver(
      resultOf,
      observer,
      write!,
      () => open,
      (release) => {
        end();
        if (release) void events.return?.();
      },
      maxBehind,
    );
    return handing[handOver](taker) ? taker : null;
  };
  const relay: AsyncIterableIterator<ExecutionResult> = {
    [Symbol.asyncIterator]: () => relay,
    async next() {
      try {
        for (;;) {
          handed ??= handOverNow();
          if (handed) return await handed.next();
          const step = await events.next();
          if (step.done) {
            end();
            return { value: undefined, done: true };
          }
          const maybe = resultOf(step.value);
          const result = isPromise(maybe) ? await maybe : maybe;
          // Returned while the result was being computed: nothing more goes out.
          if (!open) return { value: undefined, done: true };
          const envelope = deliverOne(result, observer, write);
          if (envelope) return { value: envelope, done: false };
        }
      } catch (error) {
        // A consumer does not return a stream that threw: let the source go here.
        if (open) {
          end();
          await events.return?.();
        }
        throw error;
      }
    },
    async return() {
      end();
      handed?.returned();
      await events.return?.();
      return { value: undefined, done: true };
    },
  };
  return relay;
}

export function useSharedSubscriptionResults<Scope extends string>(
  options: SharedResultsOptions<Scope>,
): Plugin {
  const documentIds = new WeakMap<DocumentNode, number>();
  let nextDocumentId = 0;
  /** Per event object, the result for each subscription key. Gone with the event. */
  const results = new WeakMap<object, Map<string, Result>>();

  const keyOf = (args: ExecutionArgs, scope: Scope): string => {
    let id = documentIds.get(args.document);
    if (id === undefined) {
      id = nextDocumentId++;
      documentIds.set(args.document, id);
    }
    return JSON.stringify([id, args.operationName ?? null, args.variableValues ?? null, scope]);
  };

  const sharedSubscribe = async (args: ExecutionArgs) => {
    const stream = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in stream)) return stream as ExecutionResult;
    const scope = options.scope(args.contextValue);
    const key = keyOf(args, scope);
    // Each event is executed with a context of the scope alone, never a subscriber's own.
    const executeEvent = (event: unknown) =>
      execute({ ...args, contextValue: options.contextOf(scope), rootValue: event });
    const observer = options.observe?.(args.contextValue) ?? unobserved;
    const resultOf = (event: unknown): Result => {
      if (typeof event !== 'object' || event === null) return executeEvent(event);
      let byKey = results.get(event);
      if (!byKey) {
        byKey = new Map();
        results.set(event, byKey);
      }
      let result = byKey.get(key);
      if (!result) {
        result = executeEvent(event);
        byKey.set(key, result);
        // Once computed, the result itself is kept: later subscribers take it without a step.
        const kept = byKey;
        if (isPromise(result))
          void result.then(
            (done) => kept.set(key, done),
            () => {},
          );
      }
      return result;
    };
    return relayResults(
      stream,
      resultOf,
      observer,
      options.writerOf?.(args.contextValue),
      options.maxBehind ?? MAX_BEHIND,
    );
  };

  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(sharedSubscribe as Parameters<typeof setSubscribeFn>[0]);
    },
  };
}

/** Each shared result's payload (`{"data":…}`) as UTF-8 JSON, by its `data` object. */
const payloads = new WeakMap<object, Buffer>();

/**
 * `result` (`{"data":…}`) as UTF-8 JSON when it is data only, serialised and encoded once for
 * every subscriber handed the same data object; undefined for any other result (errors,
 * extensions, live-query revisions). Bytes, not text: a socket write then copies them, where
 * a string would be encoded to UTF-8 again for every socket (the district's names are Chinese).
 */
export function dataOnlyPayload(result: { data?: unknown }): Buffer | undefined {
  const data = result.data;
  if (data == null || typeof data !== 'object' || Object.keys(result).length !== 1)
    return undefined;
  let payload = payloads.get(data);
  if (payload === undefined) {
    payload = Buffer.from(JSON.stringify({ data }));
    payloads.set(data, payload);
  }
  return payload;
}
