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
 * key may change a result: the schema's resolvers read the viewer only through its role (scope
 * auth), which is part of the key; fields that read the actor must not be added to
 * subscription types without adding it to the key.
 *
 * Each subscriber's stream is this one layer over the source stream, so it is also where the
 * streams are observed (`observe`: open streams and results delivered, for metrics): another
 * plugin observing results would wrap every stream in a further async iterator, one more step
 * per delivery for 10,000 subscribers.
 */
import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

export interface SharedResultsOptions {
  /** What of the context a result may depend on, as a string (e.g. the viewer's role). */
  scope(context: unknown): string;
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
 * Applies `map` to each item of `source`, telling `observer` of each result and, once, of the
 * end (done, returned, thrown); `return()` goes straight to the source.
 */
function mapAsyncIterator<T, U>(
  source: AsyncIterable<T>,
  map: (item: T) => U | Promise<U>,
  observer: StreamObserver,
): AsyncIterableIterator<U> {
  const iterator = source[Symbol.asyncIterator]();
  let open = true;
  const end = () => {
    if (open) observer.end();
    open = false;
  };
  const mapped: AsyncIterableIterator<U> = {
    [Symbol.asyncIterator]: () => mapped,
    async next() {
      let item: IteratorResult<T>;
      try {
        item = await iterator.next();
      } catch (error) {
        end();
        throw error;
      }
      if (item.done) {
        end();
        return { done: true, value: undefined };
      }
      const value = await map(item.value);
      observer.next();
      return { done: false, value };
    },
    async return() {
      end();
      await iterator.return?.();
      return { done: true, value: undefined };
    },
    async throw(error?: unknown) {
      if (iterator.throw) {
        const item = await iterator.throw(error);
        if (!item.done) return { done: false, value: await map(item.value) };
      }
      end();
      return { done: true, value: undefined };
    },
  };
  return mapped;
}

export function useSharedSubscriptionResults(options: SharedResultsOptions): Plugin {
  const documentIds = new WeakMap<DocumentNode, number>();
  let nextDocumentId = 0;
  /** Per event object, the result for each subscription key. Gone with the event. */
  const results = new WeakMap<object, Map<string, Result>>();

  const keyOf = (args: ExecutionArgs): string => {
    let id = documentIds.get(args.document);
    if (id === undefined) {
      id = nextDocumentId++;
      documentIds.set(args.document, id);
    }
    return JSON.stringify([
      id,
      args.operationName ?? null,
      args.variableValues ?? null,
      options.scope(args.contextValue),
    ]);
  };

  const sharedSubscribe = async (args: ExecutionArgs) => {
    const stream = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in stream)) return stream as ExecutionResult;
    const key = keyOf(args);
    const observer = options.observe?.(args.contextValue) ?? unobserved;
    return mapAsyncIterator(
      stream,
      async (event: unknown) => {
        if (typeof event !== 'object' || event === null)
          return execute({ ...args, rootValue: event });
        let byKey = results.get(event);
        if (!byKey) {
          byKey = new Map();
          results.set(event, byKey);
        }
        let result = byKey.get(key);
        if (!result) {
          result = execute({ ...args, rootValue: event });
          byKey.set(key, result);
        }
        // Each subscriber gets its own envelope: later plugins may set fields on it.
        return { ...(await result) };
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
