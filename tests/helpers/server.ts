/**
 * A hub on a free port over a test database, with a small GraphQL client. `close()` stops the
 * server and drops the database; `leftovers` lets a suite close everything in `afterAll`.
 * A suite that only sends HTTP requests starts it with `listen: false`: requests then go
 * straight to the app's fetch handler (`yoga.fetch`), with no port, socket or HTTP parsing.
 */
import { type App, type AppOptions, buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { testApiKeysEnv, withDefaultAuth } from './auth.ts';

export { withDefaultAuth };

import type { Database } from '../../src/db/index.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import type { HubPubSub } from '../../src/realtime/event-bus.ts';
import { type Engine, openTestDatabase, sharedSeededDatabase } from './db.ts';
import type { Leftovers } from './leftovers.ts';

export interface GraphQLResponse<T = Record<string, unknown>> {
  data?: T;
  errors?: { message: string; extensions?: Record<string, unknown>; path?: (string | number)[] }[];
}

export interface TestHub {
  app: App;
  db: Database & { url?: string };
  url: string;
  /** `fetch` for this hub's URLs (`url` and the paths beside it), through its port or without one. */
  fetch(url: string, init?: RequestInit): Promise<Response>;
  /** POST a GraphQL operation over HTTP. */
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

export interface TestHubOptions {
  engine?: Engine;
  seed?: boolean;
  /** Reuse an open database instead of creating one (several servers, one database). */
  db?: Database & { url?: string };
  pubsub?: HubPubSub;
  env?: Record<string, string>;
  /** Where the hub logs (default: nowhere). */
  logger?: Logger;
  /** More app options: keep-alive, feed poll interval, shutdown grace, the caches' clock. */
  app?: Pick<AppOptions, 'keepAliveMs' | 'feedPollMs' | 'shutdownGraceMs' | 'now'>;
  /** Port to listen on, e.g. a stopped hub's to restart it in place. @default 0 // any free port */
  port?: number;
  /**
   * Listen on a port. false: no port; `fetch` and `gql` call the app's fetch handler, and `url`
   * names no real host (WebSockets, SSE through Node's server, browsers need a port).
   * @default true
   */
  listen?: boolean;
}

export async function startTestHub(opts: TestHubOptions = {}): Promise<TestHub> {
  const db =
    opts.db ?? (await openTestDatabase(opts.engine ?? 'pglite', { seeded: opts.seed !== false }));
  // Keys for each role; requests default to the admin key (pass `authorization: ''` for none).
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    HUB_API_KEYS: testApiKeysEnv,
    HUB_RATE_LIMIT_WRITES: '1000000',
    ...opts.env,
  });
  const app = buildApp({
    config,
    db,
    logger: opts.logger ?? createLogger('silent'),
    pubsub: opts.pubsub,
    ...opts.app,
  });
  const listen = opts.listen ?? true;
  const url = listen
    ? await app.start(opts.port ?? 0, '127.0.0.1')
    : `http://hub.test${app.yoga.graphqlEndpoint}`;
  const send = async (target: string, init?: RequestInit): Promise<Response> =>
    listen ? fetch(target, init) : app.yoga.fetch(new Request(target, init));
  return {
    app,
    db,
    url,
    fetch: send,
    async gql<T>(
      query: string,
      variables?: Record<string, unknown>,
      headers?: Record<string, string>,
    ): Promise<GraphQLResponse<T>> {
      const res = await send(url, {
        method: 'POST',
        headers: withDefaultAuth({
          'content-type': 'application/json',
          accept: 'application/graphql-response+json',
          ...headers,
        }),
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as GraphQLResponse<T>;
    },
    async close() {
      await app.stop();
      if (!opts.db) await db.close();
    },
  };
}

/**
 * Starts hubs that differ only in configuration (`env`, `opts`) on one seeded database for the
 * whole suite (`sharedSeededDatabase`), unless `opts` names a database or an engine; each hub is
 * closed with the suite's leftovers.
 */
export function hubsOnSharedDatabase(
  leftovers: Leftovers,
): (env?: Record<string, string>, opts?: TestHubOptions) => Promise<TestHub> {
  const seededDatabase = sharedSeededDatabase(leftovers);
  return async (env = {}, opts = {}) => {
    const db = opts.db ?? (opts.engine ? undefined : await seededDatabase());
    const hub = await startTestHub({ ...opts, db, env });
    leftovers.push(() => hub.close());
    return hub;
  };
}
