/**
 * Answers to queries over HTTP, kept until the data changes: Yoga's response-cache plugin
 * (`@graphql-yoga/plugin-response-cache`), with one rule for what a change drops: everything.
 *
 * A district's data changes a few times an hour, while dashboards, wall displays and project
 * pages ask the same queries over and over. An answer is kept under its operation, variables and
 * the caller's role, and served from memory before parsing and execution:
 * - any change the server hears of (ChangeWatch: its own writes before they answer, other
 *   servers' through the bus) drops every kept answer. One write can move a stage count, a
 *   park's tally, the log and a dashboard at once; telling which answers it leaves alone is not
 *   worth the risk of a wrong one;
 * - each key carries the change count it was computed under, so an answer whose reads began
 *   before a change and end after it is never served;
 * - an answer lives at most `maxAgeMs` (a write made past the hub, by SQL, shows within that time);
 * - nothing is kept while the bus is lost, or for operations over graphql-ws;
 * - answers with errors, mutations, subscriptions and introspection are never kept.
 * Identical requests that miss at the same moment (after a change, every dashboard asks again)
 * share one execution. A repeated request that sends the `ETag` it got as `If-None-Match` gets a bodiless 304 while
 * the answer stands, and only when it asks with the role the answer was kept for: the role is
 * found before the plugin looks at the header, and a request with a bad credential (or one
 * whose role differs from the tag's) bypasses the cache and gets what execution gives it (401).
 */
import { defaultBuildResponseCacheKey } from '@envelop/response-cache';
import {
  type Cache,
  createInMemoryCache,
  useResponseCache,
} from '@graphql-yoga/plugin-response-cache';
import type { Plugin } from 'graphql-yoga';
import type { Counter } from 'prom-client';
import { isLiveQueryContext } from './live-queries.ts';
import type { ChangeWatch } from './services/change-watch.ts';

export interface HubResponseCacheOptions {
  watch: ChangeWatch;
  /** Keep an answer at most this long (milliseconds; > 0). */
  maxAgeMs: number;
  /** Who asks: answers are kept per role. null (a bad credential): nothing is kept or served. */
  roleOf: (request: Request) => Promise<string | null>;
  /** Answers served from memory, and answers computed (and kept if they had no error). */
  lookups?: Counter<'result'>;
  /** How many answers to keep at most (least recently used go first). @default 1000 */
  maxEntries?: number;
  /** The clock `maxAgeMs` is measured by. @default Date.now */
  now?: () => number;
}

/**
 * The store the plugin writes to, emptied on every change; a late answer from before a change
 * is refused. It also lets identical requests that miss together share one execution: the
 * first to miss a key claims it, the others wait for its answer (`claim`), and the claim ends
 * when the answer is kept or the claimant's response goes out (`release`).
 */
export class ChangeScopedCache implements Cache {
  private store: Cache & { get(key: string): ReturnType<Cache['get']> };
  private readonly claims = new Map<
    string,
    { owner: Request; done: Promise<void>; end: () => void }
  >();
  private readonly claimed = new WeakMap<Request, string>();
  /** When each kept answer expires, by `now` (the store's own expiry follows the wall clock). */
  private readonly expiries = new WeakMap<object, number>();

  constructor(
    private readonly watch: ChangeWatch,
    private readonly maxEntries = 1_000,
    private readonly lookups?: Counter<'result'>,
    private readonly now: () => number = Date.now,
  ) {
    this.store = createInMemoryCache({ max: maxEntries });
    watch.onChange(() => {
      this.store = createInMemoryCache({ max: this.maxEntries });
    });
  }

  /** The key (and ETag) of an answer computed now for `role`: `generation:role:hash`. */
  keyFor(role: string, hash: string): string {
    return `${this.watch.generation}:${role}:${hash}`;
  }

  /** The key for a request, once no identical request is being answered. */
  async claim(request: Request, role: string, hash: string): Promise<string> {
    for (;;) {
      const k = this.keyFor(role, hash);
      const current = this.claims.get(k);
      if (!current) {
        if (!(await this.store.get(k))) {
          this.claims.set(k, { owner: request, ...settle() });
          this.claimed.set(request, k);
        }
        return k;
      }
      // Answered by the request that claimed it: look again (its answer, or a new generation).
      await current.done;
    }
  }

  /** Ends the claim of a request whose response is going out, kept or not. */
  release(request: Request): void {
    const k = this.claimed.get(request);
    if (k === undefined) return;
    this.claimed.delete(request);
    const current = this.claims.get(k);
    if (current?.owner === request) {
      this.claims.delete(k);
      current.end();
    }
  }

  get(key: string) {
    // A miss is looked up twice (before parsing, then before executing): count only hits here.
    const kept = this.store.get(key);
    const hit = kept && (this.expiries.get(kept) ?? Infinity) > this.now() ? kept : undefined;
    if (hit) this.lookups?.inc({ result: 'hit' });
    return hit;
  }

  set(...[key, result, entities, ttl]: Parameters<Cache['set']>) {
    // Computed under an older generation: it may hold data from before a change.
    if (generationOf(key) !== this.watch.generation) return;
    this.lookups?.inc({ result: 'computed' });
    if (ttl !== undefined && Number.isFinite(ttl)) this.expiries.set(result, this.now() + ttl);
    const kept = this.store.set(key, result, entities, ttl);
    const current = this.claims.get(key);
    if (current) {
      this.claims.delete(key);
      current.end();
    }
    return kept;
  }

  invalidate(entities: Parameters<Cache['invalidate']>[0]) {
    return this.store.invalidate(entities);
  }
}

const generationOf = (key: string) => Number(key.slice(0, key.indexOf(':')));
/** The role segment of a key or ETag (`generation:role:hash`). */
const roleOf = (key: string) => key.split(':', 2)[1];

function settle(): { done: Promise<void>; end: () => void } {
  let end!: () => void;
  const done = new Promise<void>((resolve) => {
    end = resolve;
  });
  return { done, end };
}

export function useHubResponseCache({
  watch,
  maxAgeMs,
  roleOf: roleOfRequest,
  lookups,
  maxEntries,
  now,
}: HubResponseCacheOptions): Plugin {
  const cache = new ChangeScopedCache(watch, maxEntries, lookups, now);
  /** Each HTTP request's role, found in onRequest below, before the plugin reads If-None-Match. */
  const roles = new WeakMap<Request, string>();
  /** A request may be answered from memory: its role is known and any ETag it sends is its role's. */
  const cacheable = (request: Request | undefined): boolean => {
    if (request == null || !watch.watching()) return false;
    const role = roles.get(request);
    const tag = request.headers.get('if-none-match');
    return role !== undefined && (tag === null || roleOf(tag) === role);
  };
  return {
    async onRequest({ request }) {
      const role = await roleOfRequest(request);
      if (role !== null) roles.set(request, role);
    },
    onPluginInit({ addPlugin }) {
      addPlugin(
        useResponseCache({
          cache,
          ttl: maxAgeMs,
          // Entities are not tracked (a change drops everything), so the plugin need not add `id` to
          // every selection: an added field would also count against the caller's complexity limit.
          idFields: [],
          // graphql-ws operations have no request: they are not cached (a socket asks once per page view).
          enabled: (request, context) => cacheable(request) && !isLiveQueryContext(context),
          // A live query's answers are a stream kept current elsewhere (src/live-queries.ts).
          shouldCacheResult: ({ result }) =>
            !result.errors?.length && !(result as { isLive?: boolean }).isLive,
          session: (request) => roles.get(request) ?? null,
          // Called once per HTTP request, before the plugin looks the key up.
          buildResponseCacheKey: async (params) => {
            const hash = await defaultBuildResponseCacheKey(params);
            const role = String(params.sessionId);
            return cacheable(params.request)
              ? cache.claim(params.request, role, hash)
              : cache.keyFor(role, hash);
          },
        }) as Plugin,
      );
    },
    onResponse({ request }) {
      cache.release(request);
    },
  };
}
