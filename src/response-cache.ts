/**
 * Answers to queries over HTTP, kept until the data they read changes: Yoga's response-cache
 * plugin (`@graphql-yoga/plugin-response-cache`), dropping answers by what a change touched.
 *
 * Dashboards, wall displays and project pages ask the same queries over and over, while editors
 * and imports write several times a second. An answer is kept under its operation, variables and
 * the caller's role, and served from memory before parsing and execution:
 * - a change the server hears of (ChangeWatch: its own writes before they answer, other servers'
 *   through the bus) drops the answers that read what it touched, in the identifiers live
 *   queries use: the rows it wrote (`Project:<global id>`), which the plugin finds in every
 *   answer that shows them, and the root fields whose answers it can change as a whole
 *   (`Query.dashboard`, `Query.projects(filtered)`: counts, totals, lists whose membership it
 *   can move; see ROOT_FIELDS_READING), which the hub records for each answer. A stage change
 *   to one project drops the dashboard, that project's answers and the filtered lists, and
 *   leaves a page of other projects or another project's `node` where they are;
 * - an answer whose reads began before a change that touched what it read is never kept;
 * - an answer lives at most `maxAgeMs` (a write made past the hub, by SQL, shows within that time);
 * - nothing is kept while the bus is lost, or for operations over graphql-ws;
 * - answers with errors, mutations, subscriptions and introspection are never kept;
 * - an answer is kept from the `minUses`-th time it is asked for (2 by default) among the
 *   requests of late: a request asked once (an analyst's own filter, the eleventh page, one of
 *   10,000 projects) is computed as with the cache off, without the plugin's work of keeping it,
 *   and does not push the answers that are asked again and again out of the store.
 * Identical requests that miss at the same moment (after a change, every dashboard asks again)
 * share one execution (each that waits for another's is counted, `result="shared"`); of a burst
 * of a request never asked before, the first is computed on its own, not being kept. A repeated request that sends the `ETag` it got as `If-None-Match` gets a bodiless 304 while
 * the answer stands, and only when it asks with the role the answer was kept for: the role is
 * found before the plugin looks at the header, and a request with a bad credential (or one
 * whose role differs from the tag's) bypasses the cache and gets what execution gives it (401).
 */
import { createHash } from 'node:crypto';
import type { BuildResponseCacheKeyFunction } from '@envelop/response-cache';
import {
  type Cache,
  createInMemoryCache,
  useResponseCache,
} from '@graphql-yoga/plugin-response-cache';
import stableStringify from 'fast-json-stable-stringify';
import type { Plugin } from 'graphql-yoga';
import type { Counter } from 'prom-client';
import { answerReads, type ChangeWatch } from './realtime/change-watch.ts';
import { isLiveQueryContext } from './realtime/live-queries.ts';

export interface HubResponseCacheOptions {
  watch: ChangeWatch;
  /** Keep an answer at most this long (milliseconds; > 0). */
  maxAgeMs: number;
  /** Who asks: answers are kept per role. null (a bad credential): nothing is kept or served. */
  roleOf: (request: Request) => Promise<string | null>;
  /** Answers served from memory, answers computed (and kept if they had no error), and requests that waited for an identical one's answer. */
  lookups?: Counter<'result'>;
  /** How many answers to keep at most (least recently used go first). @default 1000 */
  maxEntries?: number;
  /** Keep an answer from the time it is asked for this many times (1: from the first). @default 2 */
  minUses?: number;
  /** The clock `maxAgeMs` is measured by (tests move it). @default Date.now */
  now?: () => number;
}

/** How many recent changes are remembered to check answers computed across them. */
const CHANGES_REMEMBERED = 1_024;

/** How many recent requests (per store entry) are counted towards `minUses`. */
const ASKED_PER_ENTRY = 8;

/**
 * The store the plugin writes to. A change drops the answers that read what it touched: the
 * plugin records the rows each answer shows (`Type:<global id>`, its entities), and the hub adds
 * the root fields its operation selected (`answerReads`), so a change's `touched` identifiers
 * are the store's entity ids; a change that touched `everything` empties it. A late answer whose
 * reads began before a change that touched what it read is refused.
 *
 * It also lets identical requests that miss at the same moment share one execution: the first
 * to miss claims the request's key, the others wait for its answer (`claim`), and the claim ends
 * when the answer is kept or the claimant's response goes out (`release`).
 *
 * A key (and ETag) is `generation:role:hash`: the generation the answer was computed under, so
 * an answer computed again after a change has a new ETag.
 */
export class ChangeScopedCache implements Cache {
  private store: Cache & { get(key: string): ReturnType<Cache['get']> };
  /** When each kept answer expires, by `now` (the store's own expiry follows the wall clock). */
  private readonly expiries = new WeakMap<object, number>();
  /** `role:hash` → the key of its kept answer (the answer may have been dropped since). */
  private readonly current = new Map<string, string>();
  /** What the answer being computed under a key read (its root fields), until it is kept. */
  private readonly reads = new Map<string, readonly string[]>();
  /** The changes heard lately, by generation, with what they touched. */
  private readonly changes: { generation: number; touched: ReadonlySet<string> | null }[] = [];
  private readonly claims = new Map<
    string,
    { owner: Request; key: string; done: Promise<void>; end: () => void }
  >();
  private readonly claimed = new WeakMap<Request, string>();
  /**
   * `role:hash` → how many times it was asked for, for the requests of late: at most
   * ASKED_PER_ENTRY × `maxEntries` of them, the least recently asked forgotten first.
   */
  private readonly asked = new Map<string, number>();

  constructor(
    private readonly watch: ChangeWatch,
    private readonly maxEntries = 1_000,
    private readonly lookups?: Counter<'result'>,
    private readonly now: () => number = Date.now,
    private readonly minUses = 2,
  ) {
    this.store = createInMemoryCache({ max: maxEntries });
    watch.onChange(({ touched }) => {
      this.changes.push({
        generation: watch.generation,
        touched: touched === 'everything' ? null : new Set(touched),
      });
      if (this.changes.length > CHANGES_REMEMBERED) this.changes.shift();
      if (touched === 'everything') {
        this.store = createInMemoryCache({ max: this.maxEntries });
        this.current.clear();
      } else {
        void this.store.invalidate(touched.map((typename) => ({ typename })));
      }
    });
  }

  /** The key (and ETag) of an answer computed now for `role`: `generation:role:hash`. */
  keyFor(role: string, hash: string): string {
    return `${this.watch.generation}:${role}:${hash}`;
  }

  /**
   * Counts a request for `role:hash`; whether its answer may be kept (or served from memory):
   * it has now been asked for at least `minUses` times among the requests of late, or its
   * answer is kept or being computed (its count may have been forgotten since).
   */
  admits(role: string, hash: string): boolean {
    if (this.minUses <= 1) return true;
    const base = `${role}:${hash}`;
    const times = Math.min(this.minUses, (this.asked.get(base) ?? 0) + 1);
    // Deleted and set again: the Map's order is then the order of the last asks.
    this.asked.delete(base);
    this.asked.set(base, times);
    if (this.asked.size > ASKED_PER_ENTRY * this.maxEntries)
      this.asked.delete(this.asked.keys().next().value as string);
    if (times >= this.minUses || this.claims.has(base)) return true;
    const kept = this.current.get(base);
    return kept !== undefined && this.kept(kept) !== undefined;
  }

  /**
   * The key for a request: its kept answer's, or a new one once no identical request is being
   * answered.
   */
  async claim(request: Request, role: string, hash: string): Promise<string> {
    const base = `${role}:${hash}`;
    let waited = false;
    for (;;) {
      const kept = this.current.get(base);
      if (kept !== undefined && (await this.kept(kept))) return kept;
      const pending = this.claims.get(base);
      if (!pending) {
        const key = this.keyFor(role, hash);
        this.claims.set(base, { owner: request, key, ...settle() });
        this.claimed.set(request, base);
        return key;
      }
      // Answered by the request that claimed it: look again (its answer, or a claim of one's own).
      if (!waited) this.lookups?.inc({ result: 'shared' });
      waited = true;
      await pending.done;
    }
  }

  /** Records what the answer computed under `key` read besides the rows it shows. */
  read(key: string, identifiers: readonly string[]): void {
    if (this.claims.get(key.slice(key.indexOf(':') + 1))?.key === key)
      this.reads.set(key, identifiers);
  }

  /** Ends the claim of a request whose response is going out, kept or not. */
  release(request: Request): void {
    const base = this.claimed.get(request);
    if (base === undefined) return;
    this.claimed.delete(request);
    const current = this.claims.get(base);
    if (current?.owner === request) {
      this.claims.delete(base);
      this.reads.delete(current.key);
      current.end();
    }
  }

  get(key: string) {
    // A miss is looked up twice (before parsing, then before executing): count only hits here.
    const hit = this.kept(key);
    if (hit) this.lookups?.inc({ result: 'hit' });
    return hit;
  }

  /** The answer kept under `key`, unless its maximum age has passed by `now`. */
  private kept(key: string) {
    const answer = this.store.get(key);
    if (answer === undefined || answer === null) return undefined;
    return (this.expiries.get(answer) ?? Number.POSITIVE_INFINITY) > this.now()
      ? answer
      : undefined;
  }

  set(...[key, result, entities, ttl]: Parameters<Cache['set']>) {
    const base = key.slice(key.indexOf(':') + 1);
    const current = this.claims.get(base);
    if (current?.key === key) {
      this.claims.delete(base);
      current.end();
    }
    const all: { typename: string; id?: string | number }[] = [
      ...entities,
      ...rowsShown(result.data),
    ];
    const read = new Set(
      all.map(({ typename, id }) => (id == null ? typename : `${typename}:${id}`)),
    );
    for (const identifier of this.reads.get(key) ?? []) {
      read.add(identifier);
      all.push({ typename: identifier });
    }
    this.reads.delete(key);
    if (this.changedSince(generationOf(key), read)) return;
    this.lookups?.inc({ result: 'computed' });
    this.current.set(base, key);
    if (this.current.size > 2 * this.maxEntries) this.forgetDropped();
    if (ttl !== undefined && Number.isFinite(ttl)) this.expiries.set(result, this.now() + ttl);
    return this.store.set(key, result, all, ttl);
  }

  /**
   * What the plugin drops after a mutation, by the rows its answer shows: nothing more. The
   * write's change was heard before it answered and dropped what it touched, on every server;
   * the plugin's guess would also drop by type name every answer with an empty field of a type
   * the mutation's answer left empty.
   */
  invalidate(): void {
    return;
  }

  /** Whether a change heard after `generation` touched anything of `read` (or is not known). */
  private changedSince(generation: number, read: ReadonlySet<string>): boolean {
    if (generation === this.watch.generation) return false;
    const first = this.changes[0];
    if (!first || first.generation > generation + 1) return true;
    return this.changes.some(
      (change) =>
        change.generation > generation &&
        (change.touched === null || [...change.touched].some((touched) => read.has(touched))),
    );
  }

  /** Forgets the keys of answers no longer kept. */
  private forgetDropped(): void {
    for (const [base, key] of this.current) if (!this.kept(key)) this.current.delete(base);
  }
}

/** The rows an answer shows: each object's global `id`, as `Type:<global id>`. */
function rowsShown(data: unknown, rows: { typename: string }[] = []): { typename: string }[] {
  if (Array.isArray(data)) for (const item of data) rowsShown(item, rows);
  else if (typeof data === 'object' && data !== null) {
    const id = (data as { id?: unknown }).id;
    if (typeof id === 'string') {
      const typename = Buffer.from(id, 'base64').toString('utf8').split(':', 1)[0];
      if (typename) rows.push({ typename: `${typename}:${id}` });
    }
    for (const value of Object.values(data)) if (typeof value === 'object') rowsShown(value, rows);
  }
  return rows;
}

/**
 * A request's hash, as the plugin's default key (`defaultBuildResponseCacheKey`): SHA-256 in hex
 * of its document, operation name, variables (keys in a stable order) and session, joined by
 * `|`. Computed at once: the default's WebCrypto digest is a job on libuv's thread pool and a
 * promise, about 67 µs of CPU a request against 5 (a micro-benchmark), on every request the hub
 * answers, from memory too.
 */
export function requestHash(params: Parameters<BuildResponseCacheKeyFunction>[0]): string {
  return createHash('sha256')
    .update(
      [
        params.documentString,
        params.operationName ?? '',
        stableStringify(params.variableValues ?? {}),
        params.sessionId ?? '',
      ].join('|'),
    )
    .digest('hex');
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
  minUses,
  now,
}: HubResponseCacheOptions): Plugin {
  const cache = new ChangeScopedCache(watch, maxEntries, lookups, now, minUses);
  /** Each operation's key, by its context, so its execution can say what it reads. */
  const keys = new WeakMap<object, string>();
  /** The operations not asked for often enough yet (`minUses`): the plugin leaves them alone. */
  const once = new WeakSet<object>();
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
          // The rows an answer shows are found by the ids it selected (see `rowsShown`): the
          // plugin need not add `id` to every selection, which would count against the caller's
          // complexity limit; an answer showing a row without its id is dropped by every change.
          idFields: [],
          // graphql-ws operations have no request: they are not cached (a socket asks once per page view).
          enabled: (request, context) =>
            cacheable(request) && !isLiveQueryContext(context) && !once.has(context),
          // A live query's answers are a stream kept current elsewhere (src/realtime/live-queries.ts).
          shouldCacheResult: ({ result }) =>
            !result.errors?.length && !(result as { isLive?: boolean }).isLive,
          session: (request) => roles.get(request) ?? null,
          // Called once per HTTP request, before the plugin looks the key up.
          buildResponseCacheKey: async (params) => {
            const hash = requestHash(params);
            const role = String(params.sessionId);
            if (!cacheable(params.request)) return cache.keyFor(role, hash);
            if (!cache.admits(role, hash)) {
              once.add(params.context as object);
              return cache.keyFor(role, hash);
            }
            const key = await cache.claim(params.request, role, hash);
            keys.set(params.context as object, key);
            return key;
          },
        }) as Plugin,
      );
    },
    onExecute({ args }) {
      const key = keys.get(args.contextValue as object);
      if (key !== undefined)
        cache.read(
          key,
          answerReads(args.schema, args.document, args.operationName, args.variableValues),
        );
    },
    onResponse({ request }) {
      cache.release(request);
    },
  };
}
