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
 * The result is also serialised once per event and key, not once per socket, and written to each
 * socket without graphql-ws's per-message loop (`writeDataResults`): the message on the wire is
 * the one graphql-ws would write.
 *
 * Each subscriber's stream is this one layer over the source stream, so it is also where the
 * streams are observed (`observe`: open streams and results delivered, for metrics): another
 * plugin observing results would wrap every stream in a further async iterator, one more step
 * per delivery for 10,000 subscribers.
 */

import { isPromise, mapAsyncIterator, mapMaybePromise } from '@graphql-tools/utils';
import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

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
}

export interface StreamObserver {
  next(): void;
  end(): void;
}

type Result = ExecutionResult | Promise<ExecutionResult>;

const unobserved: StreamObserver = { next() {}, end() {} };

/**
 * Applies `map` to each item of `source`, telling `observer` of each result delivered and, once,
 * of the end (done, returned, thrown); `return()` goes straight to the source.
 */
function mapObserved<T, U>(
  source: AsyncIterable<T>,
  map: (item: T) => U | Promise<U>,
  observer: StreamObserver,
): AsyncIterableIterator<U> {
  let open = true;
  const end = () => {
    if (open) observer.end();
    open = false;
  };
  // graphql-tools' mapper (Yoga's own): one step per item on the path of every delivery, where a
  // Repeater's push-and-wait took several.
  // No async functions here: a result already computed goes through without a promise step.
  const delivered = (value: U) => {
    observer.next();
    return value;
  };
  return mapAsyncIterator(
    source[Symbol.asyncIterator](),
    (item: T) => mapMaybePromise(map(item), delivered),
    (error: unknown) => {
      end();
      throw error;
    },
    end,
  ) as AsyncIterableIterator<U>;
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
    // Each subscriber gets its own envelope: later plugins may set fields on it.
    const envelope = (result: ExecutionResult) => ({ ...result });
    return mapObserved(
      stream,
      (event: unknown) => {
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
        return mapMaybePromise(result, envelope);
      },
      observer,
    );
  };

  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(sharedSubscribe as Parameters<typeof setSubscribeFn>[0]);
    },
  };
}

/** The JSON text of each shared result's payload (`{"data":…}`), by its `data` object. */
const payloadTexts = new WeakMap<object, string>();

/**
 * The JSON text of `result` (`{"data":…}`) when it is data only, serialised once for every
 * subscriber handed the same data object; undefined for any other result (errors, extensions,
 * live-query revisions).
 */
export function dataOnlyText(result: { data?: unknown }): string | undefined {
  const data = result.data;
  if (data == null || typeof data !== 'object' || Object.keys(result).length !== 1)
    return undefined;
  let text = payloadTexts.get(data);
  if (text === undefined) {
    text = JSON.stringify({ data });
    payloadTexts.set(data, text);
  }
  return text;
}

/**
 * What graphql-ws iterates for subscription `id` on `socket` in place of `stream` (its
 * `onOperation` hook): each result of data only is written to the socket here, as the `next`
 * message graphql-ws would write, around the result's text serialised once
 * (`dataOnlyText`); any other result, and the end, go on to graphql-ws, which sends them through
 * its hooks as usual. graphql-ws's loop (its hooks, a validation and serialisation of every
 * message, an await of each socket write) then runs once per such result, not once per delivery.
 * A socket that cannot keep up is closed by its unsent-bytes limit (src/server/graphql-ws.ts).
 */
export function writeDataResults<R extends { data?: unknown }>(
  socket: { send(message: string): void; readyState: number; OPEN: number },
  id: string,
  stream: AsyncIterable<R>,
): AsyncIterableIterator<R> {
  const source = stream[Symbol.asyncIterator]();
  const head = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
  const done = (): Promise<IteratorResult<R>> => Promise.resolve({ value: undefined, done: true });
  const relay: AsyncIterableIterator<R> = {
    [Symbol.asyncIterator]: () => relay,
    async next() {
      for (;;) {
        const step = await source.next();
        if (step.done) return step;
        const text = dataOnlyText(step.value);
        if (text === undefined) return step;
        // As graphql-ws's send: nothing more for a socket that is no longer open.
        if (socket.readyState === socket.OPEN) socket.send(`${head}${text}}`);
      }
    },
    return: () => source.return?.() ?? done(),
    throw: (error?: unknown) => source.throw?.(error) ?? Promise.reject(error),
  };
  return relay;
}
