/**
 * Builds the hub: a Yoga server over the Pothos schema, with graphql-ws on the same path and
 * port. Building does not listen; `start(port)` does, so tests can also call `yoga.fetch`.
 *
 * Subscriptions have two transports, one schema, one context and one set of plugins:
 * - SSE, built into Yoga (`Accept: text/event-stream` on /graphql). Yoga sends a `:` comment
 *   line at once and then every 12 s as a keep-alive (300 ms when NODE_ENV=test).
 * - graphql-ws on a WebSocket at /graphql. Each operation goes through `yoga.getEnveloped`, so
 *   it gets the same plugins and context as HTTP. The server pings every `keepAliveMs` and
 *   closes a socket whose pong does not come back within as long.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { HubConfig } from './config.ts';
import type { HubContext, Viewer } from './context.ts';
import type { Database } from './db/index.ts';
import type { Logger } from './logger.ts';
import { createHubPubSub, type HubPubSub, type HubTopics } from './pubsub.ts';
import { ChangeWatch } from './services/change-watch.ts';
import { DashboardCache } from './services/dashboard-cache.ts';
import { useHubResponseCache } from './response-cache.ts';
import { StageLogTail } from './services/stage-feed.ts';
import { useSharedSubscriptionResults } from './shared-results.ts';
import { DEFAULT_QUERY_LIMITS } from './schema/builder.ts';
import { schema } from './schema/index.ts';
import { explorerOptions, renderExplorer } from './explorer.ts';
import { useWallPage } from './wall.ts';
import { useDataExchange } from './exchange/http.ts';
import { AuthenticationError, createAuthenticator } from './auth.ts';
import { createMetrics, subscriptionObserver, useHealthChecks, useMetrics, useRequestLogging, type HubMetrics } from './ops.ts';
import { securityPlugins } from './security.ts';
import { GraphQLError } from 'graphql';
import { CloseCode } from 'graphql-ws';

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
   * graphql-ws keep-alive: ping each socket this often, and close it if no pong comes back
   * within as long (a half-open connection then ends instead of going silently stale).
   * @default 12_000 // 12 s
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
}

export interface App {
  yoga: YogaServerInstance<Record<string, unknown>, HubContext>;
  server: Server;
  pubsub: HubPubSub;
  /** The stage-event log's reader behind every `projectStageChanged` of this server. */
  stageTail: StageLogTail;
  /** Listens on `port` (0 = any free port) and resolves with the URL of /graphql. */
  start(port?: number, host?: string): Promise<string>;
  /** Stops accepting, ends subscriptions and closes the server (not the database). */
  stop(): Promise<void>;
}

/**
 * Counts stage-change events published by this server (metrics) and tells the server's caches
 * of the change before the writer answers, whatever the bus's latency.
 */
function observePublished(bus: HubPubSub, metrics: HubMetrics, watch: ChangeWatch): HubPubSub {
  return {
    ...bus,
    publish(topic, payload) {
      if (topic === 'stageChanged') metrics.eventsPublished.inc();
      watch.changed(topic === 'dataChanged' ? (payload as HubTopics['dataChanged']).year : null);
      bus.publish(topic, payload);
    },
  };
}

export function buildApp({ config, db, logger, pubsub: givenPubSub, keepAliveMs = 12_000, shutdownGraceMs = 5_000, feedPollMs }: AppOptions): App {
  const metrics = createMetrics();
  const bus = givenPubSub ?? createHubPubSub(config, logger);
  // The changes this server hears of: what its caches drop what they keep on.
  const watch = new ChangeWatch(bus);
  // Each year's dashboard, computed once per change (see the module).
  const dashboards = new DashboardCache({ prisma: db.prisma, watch, maxAgeMs: config.cacheMs });
  const pubsub = observePublished(bus, metrics, watch);
  // One reader of the stage-event log for all of this server's stage subscriptions.
  const stageTail = new StageLogTail({
    prisma: db.prisma,
    pubsub,
    pollIntervalMs: feedPollMs,
    onReadError: (error) => logger.warn({ err: error }, 'reading the stage-event log failed; retrying'),
  });
  const authenticator = createAuthenticator(config.auth);
  const queryLimits = { ...DEFAULT_QUERY_LIMITS, depth: config.limits.maxDepth, complexity: config.limits.maxComplexity };
  /** Each request's caller, found once (the response cache asks for the role before the context). */
  const viewers = new WeakMap<Request, Promise<Viewer>>();
  const viewerOf = (request: Request): Promise<Viewer> => {
    let viewer = viewers.get(request);
    if (!viewer) {
      viewer = authenticator.authenticate(request.headers.get('authorization'));
      viewers.set(request, viewer);
    }
    return viewer;
  };
  /** The caller of an HTTP request; a bad credential is a 401, never a 500. */
  const authenticateHttp = async (request: Request): Promise<Viewer> => {
    try {
      return await viewerOf(request);
    } catch (error) {
      if (error instanceof AuthenticationError) {
        throw new GraphQLError(error.message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
      }
      throw error;
    }
  };
  const yoga = createYoga<Record<string, unknown>, HubContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // GraphiQL bundled in the page (no CDN): it works on an office network without internet.
    renderGraphiQL: renderExplorer,
    // Re-read on each GraphiQL load: the saved operations of schema/operations/ open as tabs.
    graphiql: config.graphiql && (() => explorerOptions()),
    plugins: [
      useRequestLogging(logger),
      useHealthChecks({ db, redisPing: pubsub.kind === 'redis' ? () => pubsub.ping() : undefined }),
      useMetrics(metrics),
      // Subscriptions asking the same thing share one execution per event.
      // It also counts the streams and their results for /metrics.
      useSharedSubscriptionResults({ scope: (context) => (context as HubContext).viewer.role, observe: subscriptionObserver(metrics) }),
      ...securityPlugins(config, schema),
      useWallPage(),
      useDataExchange({ prisma: db.prisma, config, logger, viewer: authenticateHttp }),
      // Last: what it answers from memory has passed every check above once (see the module).
      ...(config.cacheMs > 0
        ? [
            useHubResponseCache({
              watch,
              maxAgeMs: config.cacheMs,
              roleOf: (request) => viewerOf(request).then((v) => v.role, () => null),
              lookups: metrics.responseCache,
            }),
          ]
        : []),
    ],
    logging: {
      debug: (...args) => logger.debug(args),
      info: (...args) => logger.info(args),
      warn: (...args) => logger.warn(args),
      error: (...args) => logger.error(args),
    },
    // HTTP and SSE authenticate the Authorization header per request; graphql-ws authenticated
    // once at connection_init and hands the viewer in (see onConnect below).
    context: async (initial): Promise<HubContext> => {
      const fromSocket = initial as { viewer?: Viewer; transport?: 'ws' };
      const viewer = fromSocket.viewer ?? (await authenticateHttp(initial.request));
      return { prisma: db.prisma, pubsub, stageTail, dashboards, viewer, queryLimits, transport: fromSocket.transport ?? 'http' };
    },
  });

  const server = createServer(yoga);
  // Open SSE responses, to end them at once on stop() rather than wait out the grace period.
  const eventStreams = new Set<ServerResponse>();
  server.on('request', (req, res) => {
    if (!req.headers.accept?.includes('text/event-stream')) return;
    eventStreams.add(res);
    res.once('close', () => eventStreams.delete(res));
  });
  const wsServer = new WebSocketServer({ server, path: yoga.graphqlEndpoint });
  const wsHandle = useServer(
    {
      execute: (args) => (args.rootValue as { execute: typeof import('graphql').execute }).execute(args),
      subscribe: (args) => (args.rootValue as { subscribe: typeof import('graphql').subscribe }).subscribe(args),
      // connection_init: check the credential in connectionParams once; a bad one closes the
      // socket with 4403, and a socket whose token expires is closed with 4401 then.
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.authorization;
        try {
          const viewer = await authenticator.authenticate(typeof authorization === 'string' ? authorization : undefined);
          (ctx.extra as { viewer?: Viewer }).viewer = viewer;
          if (viewer.expiresAt) {
            const timer = setTimeout(() => ctx.extra.socket.close(CloseCode.Unauthorized, 'Token expired'), Math.max(0, viewer.expiresAt - Date.now()));
            ctx.extra.socket.once('close', () => clearTimeout(timer));
          }
          return true;
        } catch (error) {
          if (error instanceof AuthenticationError) return false;
          throw error;
        }
      },
      onSubscribe: async (ctx, _id, params) => {
        const { schema: s, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          viewer: (ctx.extra as { viewer?: Viewer }).viewer,
          transport: 'ws',
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
        });
        const document = parse(params.query);
        const errors = validate(s, document);
        if (errors.length) return errors;
        return {
          schema: s,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
      },
    },
    wsServer,
    keepAliveMs,
  );

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
      // Sends every WebSocket a close frame (1001 going away) and waits for the handshakes.
      const wsClosed = wsHandle.dispose();
      for (const res of eventStreams) res.destroy();
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          server.closeAllConnections();
          for (const socket of wsServer.clients) socket.terminate();
          resolve();
        }, shutdownGraceMs);
      });
      await Promise.race([Promise.all([closed, wsClosed]), grace]);
      clearTimeout(timer);
      await Promise.all([closed, wsClosed]);
      stageTail.close();
      dashboards.close();
      watch.close();
      if (!givenPubSub) await pubsub.close();
    },
  };
}
