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
 * A repeated request that sends the `ETag` it got as `If-None-Match` gets a bodiless 304 while
 * the answer stands.
 */
import { defaultBuildResponseCacheKey } from '@envelop/response-cache';
import { createInMemoryCache, useResponseCache, type Cache } from '@graphql-yoga/plugin-response-cache';
import type { Plugin } from 'graphql-yoga';
import type { Counter } from 'prom-client';
import type { ChangeWatch } from './services/change-watch.ts';

export interface HubResponseCacheOptions {
  watch: ChangeWatch;
  /** Keep an answer at most this long (milliseconds; > 0). */
  maxAgeMs: number;
  /** Who asks: answers are kept per role. A request with a bad credential keeps nothing. */
  roleOf: (request: Request) => Promise<string | null>;
  /** Answers served from memory, and answers computed (and kept if they had no error). */
  lookups?: Counter<'result'>;
  /** How many answers to keep at most (least recently used go first). @default 1000 */
  maxEntries?: number;
}

/** The cache the plugin writes to: emptied on every change; a late answer from before it is refused. */
export function changeScopedCache(watch: ChangeWatch, maxEntries = 1_000, lookups?: Counter<'result'>): Cache {
  let store = createInMemoryCache({ max: maxEntries });
  watch.onChange(() => {
    store = createInMemoryCache({ max: maxEntries });
  });
  const generationOf = (key: string) => Number(key.slice(0, key.indexOf(':')));
  return {
    get(key) {
      // A miss is looked up twice (before parsing, then before executing): count only hits here.
      const hit = store.get(key);
      if (hit) lookups?.inc({ result: 'hit' });
      return hit;
    },
    set(key, result, entities, ttl) {
      // Computed under an older generation: it may hold data from before a change.
      if (generationOf(key) !== watch.generation) return;
      lookups?.inc({ result: 'computed' });
      return store.set(key, result, entities, ttl);
    },
    invalidate(entities) {
      return store.invalidate(entities);
    },
  };
}

export function useHubResponseCache({ watch, maxAgeMs, roleOf, lookups, maxEntries }: HubResponseCacheOptions): Plugin {
  const cache = changeScopedCache(watch, maxEntries, lookups);
  return useResponseCache({
    cache,
    ttl: maxAgeMs,
    // Entities are not tracked (a change drops everything), so the plugin need not add `id` to
    // every selection: an added field would also count against the caller's complexity limit.
    idFields: [],
    // graphql-ws operations have no request: they are not cached (a socket asks once per page view).
    enabled: (request) => request != null && watch.watching(),
    session: async (request) => (await roleOf(request)) ?? 'unauthenticated',
    buildResponseCacheKey: async (params) => `${watch.generation}:${await defaultBuildResponseCacheKey(params)}`,
  }) as Plugin;
}
