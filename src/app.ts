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
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ExecutionResult, GraphQLError } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import { AuthenticationError, createAuthenticator } from './auth.ts';
import type { HubConfig } from './config.ts';
import type { HubContext, Viewer } from './context.ts';
import type { Database } from './db/index.ts';
import { useDataExchange } from './exchange/http.ts';
import { explorerOptions, renderExplorer } from './explorer.ts';
import { useHubLiveQueries } from './live-queries.ts';
import type { Logger } from './logger.ts';
import { createErrorMasker } from './masked-errors.ts';
import {
  createMetrics,
  type HubMetrics,
  subscriptionObserver,
  useHealthChecks,
  useMetrics,
  useRequestLogging,
} from './ops.ts';
import { createHubPubSub, type HubPubSub } from './pubsub.ts';
import { useHubResponseCache } from './response-cache.ts';
import { DEFAULT_QUERY_LIMITS } from './schema/builder.ts';
import { schema } from './schema/index.ts';
import {
  clientAddressResolver,
  MAX_JSON_DEPTH,
  nestsDeeperThan,
  securityPlugins,
  tooDeepError,
} from './security.ts';
import { ChangeWatch } from './services/change-watch.ts';
import { DashboardCache } from './services/dashboard-cache.ts';
import { StageLogTail } from './services/stage-feed.ts';
import { useSharedSubscriptionResults } from './shared-results.ts';
import { useWallPage } from './wall.ts';

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
  /** The clock the caches' maximum age is measured by (tests move it). @default Date.now */
  now?: () => number;
}

/** An error as graphql-ws sends it: without `extensions.http`, which only HTTP responses use. */
function withoutHttp(error: GraphQLError): GraphQLError {
  if (!error.extensions?.http) return error;
  const { http: _http, ...extensions } = error.extensions;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions,
  });
}

/** What Node's HTTP server hands Yoga with each request. */
type NodeServerContext = { req: IncomingMessage; res: ServerResponse };

export interface App {
  yoga: YogaServerInstance<NodeServerContext, HubContext>;
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
 * Counts stage-change events published by this server (metrics). The server's caches hear its
 * own writes from the bus itself, which delivers them locally inside `publish`.
 */
function observePublished(bus: HubPubSub, metrics: HubMetrics): HubPubSub {
  return {
    ...bus,
    publish(topic, payload) {
      if (topic === 'stageChanged') metrics.eventsPublished.inc();
      bus.publish(topic, payload);
    },
  };
}

export function buildApp({
  config,
  db,
  logger,
  pubsub: givenPubSub,
  keepAliveMs = 12_000,
  shutdownGraceMs = 5_000,
  feedPollMs,
  now,
}: AppOptions): App {
  const metrics = createMetrics();
  const bus = givenPubSub ?? createHubPubSub(config, logger);
  // The changes this server hears of: what its caches drop what they keep on.
  const watch = new ChangeWatch(bus);
  // Each year's dashboard, computed once per change (see the module).
  const dashboards = new DashboardCache({
    prisma: db.prisma,
    watch,
    maxAgeMs: config.cacheMs,
    now,
  });
  const pubsub = observePublished(bus, metrics);
  // One reader of the stage-event log for all of this server's stage subscriptions.
  const stageTail = new StageLogTail({
    prisma: db.prisma,
    pubsub,
    pollIntervalMs: feedPollMs,
    onReadError: (error) =>
      logger.warn({ err: error }, 'reading the stage-event log failed; retrying'),
  });
  const authenticator = createAuthenticator(config.auth);
  const clientAddressOf = clientAddressResolver(config.trustedProxies);
  const maskError = createErrorMasker({ hideSuggestions: !config.introspection });
  const queryLimits = {
    ...DEFAULT_QUERY_LIMITS,
    depth: config.limits.maxDepth,
    complexity: config.limits.maxComplexity,
  };
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
        throw new GraphQLError(error.message, {
          extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
        });
      }
      throw error;
    }
  };
  const yoga = createYoga<NodeServerContext, HubContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // Counts the bytes actually read (a chunked body has no Content-Length to trust): 413 past it.
    maxRequestBodySize: config.limits.maxBodyBytes,
    maskedErrors: { maskError },
    // No field takes a file: multipart requests would only be more surface.
    multipart: false,
    // GraphiQL bundled in the page (no CDN): it works on an office network without internet.
    renderGraphiQL: renderExplorer,
    // Re-read on each GraphiQL load: the saved operations of schema/operations/ open as tabs.
    graphiql: config.graphiql && (() => explorerOptions()),
    plugins: [
      useRequestLogging(logger),
      useHealthChecks({
        db,
        redisPing: pubsub.kind === 'redis' ? () => pubsub.ping() : undefined,
        logger,
      }),
      useMetrics(metrics),
      // Subscriptions asking the same thing share one execution per event.
      // It also counts the streams and their results for /metrics.
      // `query @live`: kept current from the change stream, one execution per change per distinct query.
      useHubLiveQueries({ watch, metrics: metrics.liveQueries }),
      useSharedSubscriptionResults({
        scope: (context) => (context as HubContext).viewer.role,
        observe: subscriptionObserver(metrics),
      }),
      ...securityPlugins(config, bus.redis),
      useWallPage(),
      useDataExchange({ prisma: db.prisma, config, logger, viewer: authenticateHttp }),
      // Last: what it answers from memory has passed every check above once (see the module).
      ...(config.cacheMs > 0
        ? [
            useHubResponseCache({
              watch,
              maxAgeMs: config.cacheMs,
              roleOf: (request) =>
                viewerOf(request).then(
                  (v) => v.role,
                  () => null,
                ),
              lookups: metrics.responseCache,
              now,
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
      const fromSocket = initial as { viewer?: Viewer; clientAddress?: string; transport?: 'ws' };
      const viewer = fromSocket.viewer ?? (await authenticateHttp(initial.request));
      // No Node request when the app is called through `yoga.fetch` (tests).
      const clientAddress =
        fromSocket.clientAddress ?? (initial.req ? clientAddressOf(initial.req) : 'unknown');
      return {
        prisma: db.prisma,
        pubsub,
        stageTail,
        dashboards,
        viewer,
        clientAddress,
        queryLimits,
        transport: fromSocket.transport ?? 'http',
      };
    },
  });

  // Open SSE responses, to end them at once on stop() rather than wait out the grace period.
  const eventStreams = new Set<ServerResponse>();
  // Long-lived connections (SSE streams and WebSockets) each client address holds open.
  const streams = new Map<string, number>();
  const streamsOf = (address: string) => streams.get(address) ?? 0;
  const heldStream = (address: string): (() => void) => {
    streams.set(address, streamsOf(address) + 1);
    return () => {
      const left = streamsOf(address) - 1;
      if (left > 0) streams.set(address, left);
      else streams.delete(address);
    };
  };
  const tooManyStreams = `This address holds ${config.limits.maxStreamsPerClient} open streams and sockets, the most one client may; close one first`;
  const server = createServer((req, res) => {
    // A Host header no URL can be built from would reach Yoga's URL parsing and be answered 500.
    if (req.headers.host !== undefined && !URL.canParse(`http://${req.headers.host}`)) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          errors: [{ message: 'Bad Host header', extensions: { code: 'BAD_REQUEST' } }],
        }),
      );
      return;
    }
    if (req.headers.accept?.includes('text/event-stream')) {
      const address = clientAddressOf(req);
      if (streamsOf(address) >= config.limits.maxStreamsPerClient) {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '5' }).end(
          JSON.stringify({
            errors: [{ message: tooManyStreams, extensions: { code: 'TOO_MANY_STREAMS' } }],
          }),
        );
        return;
      }
      const release = heldStream(address);
      eventStreams.add(res);
      res.once('close', () => {
        eventStreams.delete(res);
        release();
      });
    }
    void yoga(req, res);
  });
  // The body limit holds for WebSocket messages too: a larger frame closes the socket with 1009.
  const wsServer = new WebSocketServer({
    server,
    path: yoga.graphqlEndpoint,
    maxPayload: config.limits.maxBodyBytes,
    verifyClient: ({ req }, done) => {
      if (streamsOf(clientAddressOf(req)) < config.limits.maxStreamsPerClient) done(true);
      else done(false, 429, tooManyStreams, { 'retry-after': '5' });
    },
  });
  wsServer.on('connection', (socket, req) =>
    socket.once('close', heldStream(clientAddressOf(req))),
  );
  /**
   * What an operation that failed before or outside execution sends: an error for that operation
   * only (graphql-ws would close the whole socket with 4500 for a thrown error), masked as on HTTP.
   */
  const operationError = (error: unknown): GraphQLError => {
    const masked = maskError(error, 'Unexpected error.');
    if (
      masked !== error &&
      !(masked instanceof GraphQLError && masked.extensions.code === 'DATABASE_UNAVAILABLE')
    )
      logger.error({ err: error }, 'graphql-ws operation failed');
    return masked instanceof GraphQLError
      ? masked
      : new GraphQLError(masked.message, { originalError: masked });
  };
  const asResult = async <T>(run: () => Promise<T> | T): Promise<T | ExecutionResult> => {
    try {
      return await run();
    } catch (error) {
      return { errors: [operationError(error)] };
    }
  };
  // A client that sends but does not read (a ping flood, a stalled display) makes the server hold
  // every reply it cannot send: past this many unsent bytes its socket is closed (1008).
  const maxUnsentBytes = 16 * config.limits.maxBodyBytes;
  const closeIfNotReading = (socket: import('ws').WebSocket) => {
    if (socket.bufferedAmount > maxUnsentBytes) socket.close(1008, 'Not reading its messages');
  };
  wsServer.on('connection', (socket) => socket.on('message', () => closeIfNotReading(socket)));
  const unsentSweep = setInterval(() => wsServer.clients.forEach(closeIfNotReading), 5_000);
  unsentSweep.unref();
  type Enveloped = ReturnType<typeof yoga.getEnveloped>;
  const wsHandle = useServer(
    {
      execute: (args) =>
        asResult(() => (args.rootValue as Enveloped).execute(args)) as ReturnType<
          Enveloped['execute']
        >,
      subscribe: (args) =>
        asResult(() => (args.rootValue as Enveloped).subscribe(args)) as ReturnType<
          Enveloped['subscribe']
        >,
      // connection_init: check the credential in connectionParams once; a bad one closes the
      // socket with 4403, and a socket whose token expires is closed with 4401 then.
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.authorization;
        // Not a string: a malformed credential, refused like a wrong one (not taken for none).
        if (authorization != null && typeof authorization !== 'string') return false;
        try {
          const viewer = await authenticator.authenticate(authorization);
          Object.assign(ctx.extra, { viewer, clientAddress: clientAddressOf(ctx.extra.request) });
          if (viewer.expiresAt) {
            const timer = setTimeout(
              () => ctx.extra.socket.close(CloseCode.Unauthorized, 'Token expired'),
              Math.max(0, viewer.expiresAt - Date.now()),
            );
            ctx.extra.socket.once('close', () => clearTimeout(timer));
          }
          return true;
        } catch (error) {
          if (error instanceof AuthenticationError) return false;
          throw error;
        }
      },
      // graphql-ws is not HTTP: errors go without their HTTP status and headers.
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors?.length ? { ...result, errors: result.errors.map(withoutHttp) } : undefined,
      onError: (_ctx, _id, _payload, errors) => errors.map(withoutHttp),
      // Every refusal here (too many operations, limits, parse and validation errors, a context
      // that cannot be built) is an error for this operation; the socket and its others go on.
      onSubscribe: async (ctx, _id, params) => {
        try {
          // The operation being started is already among ctx.subscriptions.
          if (Object.keys(ctx.subscriptions).length > config.limits.maxSubscriptionsPerSocket) {
            return [
              new GraphQLError(
                `This connection already runs ${config.limits.maxSubscriptionsPerSocket} operations, the most one connection may; complete one first`,
                {
                  extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' },
                },
              ),
            ];
          }
          if (
            nestsDeeperThan(params.variables, MAX_JSON_DEPTH) ||
            nestsDeeperThan(params.extensions, MAX_JSON_DEPTH)
          )
            return [tooDeepError()];
          const extra = ctx.extra as { viewer?: Viewer; clientAddress?: string };
          const enveloped = yoga.getEnveloped({
            viewer: extra.viewer,
            clientAddress: extra.clientAddress,
            transport: 'ws',
            ...ctx,
            req: ctx.extra.request,
            socket: ctx.extra.socket,
            params,
          });
          const document = enveloped.parse(params.query);
          const errors = enveloped.validate(enveloped.schema, document);
          if (errors.length) return errors.map((e: GraphQLError) => operationError(e));
          return {
            schema: enveloped.schema,
            operationName: params.operationName,
            document,
            variableValues: params.variables,
            contextValue: await enveloped.contextFactory(),
            rootValue: enveloped,
          };
        } catch (error) {
          return [operationError(error)];
        }
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
      clearInterval(unsentSweep);
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
