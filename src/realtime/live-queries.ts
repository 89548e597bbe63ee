/**
 * Live queries: a query marked `@live` is answered at once, then again whenever something it read
 * has changed, on whichever server the change was made; never when nothing it read changed.
 *
 * - The maintained envelop plugin (`@envelop/live-query`) and its in-memory store do the
 *   tracking: each execution records what it read, as resource identifiers (the root fields it
 *   selected, `Query.projects`, and every object whose `id` it selected, `Project:<global id>`),
 *   and `invalidate(identifiers)` re-runs the live queries that read any of them.
 * - What a change touched comes from the server's change stream (ChangeWatch: this server's own
 *   writes as they publish, other servers' through Redis), the same one the caches drop on.
 * - Identical live queries (same document, operation, variables and role) share one execution
 *   per change, like shared subscription results: the first client's query is registered with
 *   the store, with a context built from the role alone (`contextOf`, the same one shared
 *   subscription results execute with), and every client of the key gets its results; a client
 *   that joins late gets the latest one at once.
 * - Bursts are coalesced: `@live(throttle: ms)` asks for at most one update per interval; the
 *   server's default is DEFAULT_THROTTLE_MS and it accepts MIN…MAX.
 * - A client that sends `extensions: { livePatch: "json-patch" }` gets the first answer whole
 *   (`revision` 1), then only RFC 6902 patches against its previous answer (`patch`,
 *   `revision` n+1), as `@n1ru4l/graphql-live-query-patch-json-patch` applies them.
 * - When the bus is lost, every live query ends with `EVENT_BUS_LOST` (as subscriptions do); a
 *   client that asks again gets a current answer. An answer without data (refused, or failed as
 *   a whole) also ends it: asking again is the client's decision.
 */
import { useLiveQuery } from '@envelop/live-query';
import { SlidingBuffer } from '@graphql-yoga/subscription';
import { getLiveDirectiveArgumentValues, getLiveDirectiveNode } from '@n1ru4l/graphql-live-query';
import { createLiveQueryPatchGenerator, type noDiffSymbol } from '@n1ru4l/graphql-live-query-patch';
import { generateJSONPatch } from '@n1ru4l/graphql-live-query-patch-json-patch';
import { InMemoryLiveQueryStore } from '@n1ru4l/in-memory-live-query-store';
import {
  DirectiveLocation,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  GraphQLBoolean,
  GraphQLDirective,
  GraphQLError,
  GraphQLInt,
  getOperationAST,
  print,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Counter, Gauge } from 'prom-client';
import type { HubContext, Viewer } from '../context.ts';
import { type ChangeWatch, liveQueryResources, ROOT_FIELDS_READING } from './change-watch.ts';
import { HoldingFeed } from './feed.ts';

/** Coalescing of a live query's updates when the client asks for none. @default 250 ms */
export const DEFAULT_THROTTLE_MS = 250;
export const MIN_THROTTLE_MS = 50;
export const MAX_THROTTLE_MS = 60_000;

/** `@live` on a query operation (the schema declares it; the store reads `if` and `throttle`). */
export const LiveDirective = new GraphQLDirective({
  name: 'live',
  description:
    '实时查询 / Keep this query current: the answer comes at once, then again whenever something it read changes. ' +
    'Select `id` on objects you want followed.',
  locations: [DirectiveLocation.QUERY],
  args: {
    if: {
      type: GraphQLBoolean,
      defaultValue: true,
      description: '是否实时 / Live only when true.',
    },
    throttle: {
      type: GraphQLInt,
      description: `节流（毫秒） / At most one update per this many milliseconds (${MIN_THROTTLE_MS} to ${MAX_THROTTLE_MS}; default ${DEFAULT_THROTTLE_MS}).`,
    },
  },
});

export interface LiveQueryOptions {
  watch: ChangeWatch;
  /**
   * The context a shared live query executes with, built from the role alone (as shared
   * subscription results are): a resolver reading who asks fails instead of answering for them.
   */
  contextOf(role: Viewer['role']): unknown;
  metrics?: {
    /** Executions of live queries: the first answer and every re-execution. */
    executions: Counter;
    /** Shared live queries open now (one per distinct query and role). */
    open: Gauge;
  };
}

type Result = ExecutionResult & { isLive?: true; revision?: number; patch?: unknown };

/** A client reading a shared live query: its new answers, and the query's end. */
interface LiveClient {
  push(result: Result): void;
  /** The query ended, with a last answer (an error) or none. */
  end(last?: Result): void;
}

interface SharedLiveQuery {
  latest: Result | undefined;
  /** Set once the query has ended: a client joining after that gets this end at once. */
  ended?: { last?: Result };
  /** Clients reading it now. */
  readonly subscribers: Set<LiveClient>;
  /** Clients holding it (reading, or not yet): it ends when the last one leaves. */
  members: number;
  readonly source: AsyncIterator<Result>;
}

/**
 * `execute` run at most once per `wait` milliseconds: a call inside the interval waits for its
 * end, and every call made meanwhile shares that one execution (the store keeps only the answer
 * of its latest call, so nothing is lost).
 */
function coalesced<A, R>(execute: (args: A) => R, wait: number): (args: A) => R | Promise<R> {
  let lastStart = Number.NEGATIVE_INFINITY;
  let pending: Promise<R> | null = null;
  return (args) => {
    if (pending) return pending;
    const since = performance.now() - lastStart;
    if (since >= wait) {
      lastStart = performance.now();
      return execute(args);
    }
    pending = new Promise<R>((resolve) => setTimeout(resolve, wait - since)).then(() => {
      pending = null;
      lastStart = performance.now();
      return execute(args);
    });
    return pending;
  };
}

/** The error every live query ends with when the bus is lost. */
function busLostError(): GraphQLError {
  return new GraphQLError(
    'The event bus is lost; changes cannot be heard. Ask again for a current answer',
    {
      extensions: { code: 'EVENT_BUS_LOST' },
    },
  );
}

/** Patches computed once per pair of answers, however many clients of a shared query ask for them. */
const patches = new WeakMap<object, WeakMap<object, unknown>>();
function sharedPatch(previous: Record<string, unknown>, current: Record<string, unknown>): unknown {
  let byCurrent = patches.get(previous);
  if (!byCurrent) {
    byCurrent = new WeakMap();
    patches.set(previous, byCurrent);
  }
  if (!byCurrent.has(current)) byCurrent.set(current, generateJSONPatch(previous, current));
  return byCurrent.get(current);
}
const withJsonPatches = createLiveQueryPatchGenerator(
  sharedPatch as (
    a: Record<string, unknown>,
    b: Record<string, unknown>,
  ) => unknown | typeof noDiffSymbol,
);

export function useHubLiveQueries({ watch, contextOf, metrics }: LiveQueryOptions): Plugin {
  const store = new InMemoryLiveQueryStore({
    // Checked here, applied by `coalesced` below: the store's own throttle compares Date.now()
    // with a timer that may fire a millisecond early, and then drops the update for good.
    validateThrottleValue: (value: number | null | undefined) =>
      value != null && (value < MIN_THROTTLE_MS || value > MAX_THROTTLE_MS)
        ? `@live(throttle:) must be from ${MIN_THROTTLE_MS} to ${MAX_THROTTLE_MS} milliseconds`
        : (undefined as unknown as number),
  });
  const shared = new Map<string, SharedLiveQuery>();
  /** Each document's text, printed once: the same query parsed twice (HTTP, WebSocket) is one key. */
  const texts = new WeakMap<DocumentNode, string>();
  const allRootFields = Object.keys(ROOT_FIELDS_READING).map((field) => `Query.${field}`);

  watch.onChange((change) => {
    if (change.lost) {
      for (const [key, entry] of shared) {
        shared.delete(key);
        entry.ended = { last: { errors: [busLostError()] } };
        void entry.source.return?.();
        for (const subscriber of entry.subscribers) subscriber.end(entry.ended.last);
      }
      metrics?.open.set(0);
      return;
    }
    if (shared.size)
      void store.invalidate(
        change.touched === 'everything' ? allRootFields : liveQueryResources(change.touched),
      );
  });

  const keyOf = (args: ExecutionArgs, role: string): string => {
    let text = texts.get(args.document);
    if (text === undefined) {
      text = print(args.document);
      texts.set(args.document, text);
    }
    return JSON.stringify([text, args.operationName ?? null, args.variableValues ?? null, role]);
  };

  /** Starts the one execution of a key, handing each result to the key's clients. */
  const open = (key: string, source: AsyncIterator<Result>): SharedLiveQuery => {
    const entry: SharedLiveQuery = {
      latest: undefined,
      subscribers: new Set(),
      members: 0,
      source,
    };
    shared.set(key, entry);
    metrics?.open.set(shared.size);
    void (async () => {
      let last: Result | undefined;
      try {
        for (let item = await source.next(); !item.done; item = await source.next()) {
          metrics?.executions.inc();
          // No data at all (refused, or failed as a whole): that answer is the last.
          if (item.value.data == null) {
            last = item.value;
            break;
          }
          entry.latest = item.value;
          for (const subscriber of entry.subscribers) subscriber.push(item.value);
        }
      } catch (error) {
        last = {
          errors: [
            error instanceof GraphQLError
              ? error
              : new GraphQLError('The live query failed', { originalError: error as Error }),
          ],
        };
      }
      entry.ended = { last };
      if (shared.get(key) === entry) shared.delete(key);
      metrics?.open.set(shared.size);
      void source.return?.();
      for (const subscriber of entry.subscribers) subscriber.end(last);
    })();
    return entry;
  };

  /**
   * One client's stream of a shared live query: the latest answer at once, then each new one. It
   * holds only the newest answer not yet read (a live query's older answers are superseded, and
   * so is an unread answer by the query's last one), and leaves the query when the client does.
   */
  const join = (key: string, entry: SharedLiveQuery): AsyncIterableIterator<Result> => {
    entry.members += 1;
    let client: LiveClient | undefined;
    const leave = () => {
      if (client) entry.subscribers.delete(client);
      entry.members -= 1;
      if (entry.members === 0 && shared.get(key) === entry) {
        shared.delete(key);
        metrics?.open.set(shared.size);
        void entry.source.return?.();
      }
    };
    return new HoldingFeed<Result>(
      async (push, stop) => {
        if (entry.latest) void push(entry.latest);
        if (entry.ended) {
          if (entry.ended.last) void push(entry.ended.last);
          return;
        }
        client = {
          push: (result) => void push(result),
          end: (last) => {
            if (last) void push(last);
            stop();
          },
        };
        entry.subscribers.add(client);
        await stop;
      },
      leave,
      new SlidingBuffer(1),
    );
  };

  const liveQueryStore = {
    makeExecute:
      (execute: (args: ExecutionArgs) => unknown) =>
      (args: ExecutionArgs): unknown => {
        if (!isLive(args)) return execute(args);
        if (!watch.watching()) return { errors: [busLostError()] };
        const context = args.contextValue as HubContext & {
          params?: { extensions?: { livePatch?: unknown } };
        };
        const role = context.viewer.role;
        const key = keyOf(args, role);
        let entry = shared.get(key);
        if (!entry) {
          const directive = getLiveDirectiveNode(
            getOperationAST(args.document, args.operationName)!,
          )!;
          const wait =
            getLiveDirectiveArgumentValues(directive, args.variableValues).throttleValue ??
            DEFAULT_THROTTLE_MS;
          const started = store.makeExecute(coalesced(execute, wait) as never)({
            ...args,
            // Executed for every client of the key: it may depend on the role, never on who asks.
            contextValue: contextOf(role),
          }) as unknown;
          if (!(started && typeof started === 'object' && Symbol.asyncIterator in started))
            return started;
          entry = open(key, (started as AsyncIterable<Result>)[Symbol.asyncIterator]());
        }
        const stream = join(key, entry);
        return context.params?.extensions?.livePatch === 'json-patch'
          ? withJsonPatches(stream)
          : stream;
      },
  };

  const plugin = useLiveQuery({
    liveQueryStore: liveQueryStore as unknown as InMemoryLiveQueryStore,
  }) as Plugin;
  return {
    ...plugin,
    onExecute(params) {
      if (isLive(params.args)) liveContexts.add(params.args.contextValue as object);
      return plugin.onExecute?.(params);
    },
  };
}

/** The contexts of live operations being executed (see `isLiveQueryContext`). */
const liveContexts = new WeakSet<object>();

/** Whether an operation is a live query (`@live`, and its `if` not false). */
function isLive(
  args: Pick<ExecutionArgs, 'document' | 'operationName' | 'variableValues'>,
): boolean {
  const operation = getOperationAST(args.document, args.operationName);
  const directive = operation && getLiveDirectiveNode(operation);
  return (
    !!directive && getLiveDirectiveArgumentValues(directive, args.variableValues).isLive !== false
  );
}

/**
 * Whether this operation context is a live query's: the response cache must leave it alone (its
 * answers are a stream, kept current here, and the cache would rewrite its document).
 */
export function isLiveQueryContext(context: unknown): boolean {
  return typeof context === 'object' && context !== null && liveContexts.has(context);
}
