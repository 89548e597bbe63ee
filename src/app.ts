/**
 * Builds the hub: a Yoga server over the Pothos schema, with graphql-ws on the same path and
 * port. Building does not listen; `start(port)` does, so tests can also call `yoga.fetch`.
 *
 * Subscriptions have two transports, one schema, one context and one set of plugins: SSE, built
 * into Yoga, and graphql-ws (src/server/graphql-ws.ts). `buildApp` only wires the parts, each in
 * a module of its own:
 * - the realtime engine (src/realtime/engine.ts): bus, change watch, dashboards, stage-log tail;
 * - who is asking (src/server/viewers.ts);
 * - the Yoga instance, its plugins and context (src/server/yoga.ts);
 * - Node's HTTP server (src/server/http.ts) and the streams each client holds (src/server/streams.ts);
 * - graphql-ws (src/server/graphql-ws.ts);
 * - start and stop, here.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAuthenticator } from './auth.ts';
import type { HubConfig } from './config.ts';
import type { ServerContext } from './context.ts';
import type { Database } from './db/index.ts';
import type { Logger } from './logger.ts';
import { createErrorMasker } from './masked-errors.ts';
import { createMetrics } from './ops.ts';
import { startRealtime } from './realtime/engine.ts';
import type { HubPubSub } from './realtime/event-bus.ts';
import type { StageLogTail } from './realtime/stage-tail.ts';
import { DEFAULT_QUERY_LIMITS } from './schema/builder.ts';
import { clientAddressResolver } from './security.ts';
import { serveGraphqlWs } from './server/graphql-ws.ts';
import { createHttpServer } from './server/http.ts';
import { OpenStreams } from './server/streams.ts';
import { createViewers } from './server/viewers.ts';
import { createHubYoga, type HubYoga } from './server/yoga.ts';

export interface AppOptions {
  config: HubConfig;
  db: Database;
  logger: Logger;
  /**
   * The event bus. By default the one the configuration asks for (Redis with REDIS_URL, else
   * in memory), which `stop()` then closes; a bus passed in is the caller's to close.
   */
  pubsub?: HubPubSub;
  /**
   * The graphql-ws keep-alive period (what it does: `keepSocketsAlive`).
   * @default config.keepAliveMs // HUB_KEEP_ALIVE_MS
   */
  keepAliveMs?: number;
  /**
   * On `stop()`, how long requests in flight may take to finish before their connections are
   * cut. Subscription streams (SSE, WebSocket) are ended at once.
   * @default 5_000 // 5 s
   */
  shutdownGraceMs?: number;
  /**
   * The stage-event log is re-read at least this often even when no notification arrives (a
   * safety net for a message lost in transit). @default 10_000 // 10 s
   */
  feedPollMs?: number;
  /** The clock the caches' maximum age is measured by (tests move it). @default Date.now */
  now?: () => number;
}

export interface App {
  yoga: HubYoga;
  server: Server;
  pubsub: HubPubSub;
  /** The stage-event log's reader behind every `projectStageChanged` of this server. */
  stageTail: StageLogTail;
  /** Listens on `port` (0 = any free port) and resolves with the URL of /graphql. */
  start(port?: number, host?: string): Promise<string>;
  /** Stops accepting, ends subscriptions and closes the server (not the database). */
  stop(): Promise<void>;
}

export function buildApp({
  config,
  db,
  logger,
  pubsub: givenPubSub,
  keepAliveMs = config.keepAliveMs,
  shutdownGraceMs = 5_000,
  feedPollMs,
  now,
}: AppOptions): App {
  const metrics = createMetrics();
  const realtime = startRealtime({
    config,
    db,
    logger,
    pubsub: givenPubSub,
    onStagePublished: () => metrics.eventsPublished.inc(),
    feedPollMs,
    now,
  });
  const { pubsub, stageTail } = realtime;
  const serverParts: ServerContext = {
    prisma: db.prisma,
    pubsub,
    stageTail,
    dashboards: realtime.dashboards,
    queryLimits: {
      ...DEFAULT_QUERY_LIMITS,
      depth: config.limits.maxDepth,
      complexity: config.limits.maxComplexity,
    },
  };
  const authenticator = createAuthenticator(config.auth);
  const clientAddressOf = clientAddressResolver(config.trustedProxies);
  const maskError = createErrorMasker({ hideSuggestions: !config.introspection });
  const yoga = createHubYoga({
    config,
    db,
    logger,
    metrics,
    serverParts,
    watch: realtime.watch,
    viewers: createViewers(authenticator),
    clientAddressOf,
    maskError,
    now,
  });
  const streams = new OpenStreams(
    config.limits.maxStreamsPerClient,
    config.limits.maxHeldBytesPerClient,
  );
  const server = createHttpServer(yoga, streams, clientAddressOf);
  const ws = serveGraphqlWs({
    server,
    yoga,
    config,
    logger,
    authenticator,
    clientAddressOf,
    maskError,
    streams,
    keepAliveMs,
  });

  return {
    yoga,
    server,
    pubsub,
    stageTail,
    start(port = config.port, host = config.host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const { port: bound } = server.address() as AddressInfo;
          const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
          resolve(`http://${shownHost}:${bound}${yoga.graphqlEndpoint}`);
        });
      });
    },
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const wsClosed = ws.dispose();
      streams.endEventStreams();
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          server.closeAllConnections();
          ws.terminate();
          resolve();
        }, shutdownGraceMs);
      });
      await Promise.race([Promise.all([closed, wsClosed]), grace]);
      clearTimeout(timer);
      await Promise.all([closed, wsClosed]);
      await realtime.close();
    },
  };
}
