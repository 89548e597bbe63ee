/**
 * The Yoga instance over the Pothos schema: its HTTP options, its plugins in order, and the
 * context every operation gets. HTTP and SSE authenticate the Authorization header per request;
 * graphql-ws authenticated once at connection_init and hands the viewer in (./graphql-ws.ts).
 * SSE is built into Yoga (`Accept: text/event-stream`): it sends a `:` comment line at once and
 * then every 12 s as a keep-alive (300 ms when NODE_ENV=test).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { HubConfig } from '../config.ts';
import { type HubContext, type ServerContext, sharedContext, type Viewer } from '../context.ts';
import type { Database } from '../db/index.ts';
import { useDataExchange } from '../exchange/http.ts';
import { explorerOptions, renderExplorer } from '../explorer.ts';
import type { Logger } from '../logger.ts';
import type { createErrorMasker } from '../masked-errors.ts';
import {
  type HubMetrics,
  subscriptionObserver,
  useHealthChecks,
  useMetrics,
  useRequestLogging,
} from '../ops.ts';
import type { ChangeWatch } from '../realtime/change-watch.ts';
import { useHubLiveQueries } from '../realtime/live-queries.ts';
import { useSharedSubscriptionResults } from '../realtime/shared-subscriptions.ts';
import { useHubResponseCache } from '../response-cache.ts';
import { schema } from '../schema/index.ts';
import { securityPlugins, useBodySizeLimit } from '../security.ts';
import { useWallPage } from '../wall.ts';
import type { Viewers } from './viewers.ts';

/** What Node's HTTP server hands Yoga with each request. */
export type NodeServerContext = { req: IncomingMessage; res: ServerResponse };

export type HubYoga = YogaServerInstance<NodeServerContext, HubContext>;

export interface HubYogaOptions {
  config: HubConfig;
  db: Database;
  logger: Logger;
  metrics: HubMetrics;
  /** What every context holds, whoever asks. */
  serverParts: ServerContext;
  /** The server's changes, which the live queries and the response cache follow. */
  watch: ChangeWatch;
  viewers: Viewers;
  clientAddressOf: (req: IncomingMessage) => string;
  maskError: ReturnType<typeof createErrorMasker>;
  /** The clock the response cache's maximum age is measured by. @default Date.now */
  now?: () => number;
}

export function createHubYoga(options: HubYogaOptions): HubYoga {
  const { config, db, logger, metrics, serverParts, watch, viewers, clientAddressOf } = options;
  const { pubsub } = serverParts;
  /** The context of an execution shared by everyone of a role (subscription results, live queries). */
  const roleContext = (role: Viewer['role']) => sharedContext(serverParts, role);
  return createYoga<NodeServerContext, HubContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // The body size is limited by useBodySizeLimit, last of the plugins below, without a stream per request.
    maxRequestBodySize: false,
    maskedErrors: { maskError: options.maskError },
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
      // `query @live`: kept current from the change stream, one execution per change per distinct query.
      useHubLiveQueries({ watch, contextOf: roleContext, metrics: metrics.liveQueries }),
      // Subscriptions asking the same thing share one execution per event.
      // It also counts the streams and their results for /metrics.
      useSharedSubscriptionResults({
        scope: (context) => (context as HubContext).viewer.role,
        contextOf: roleContext,
        observe: subscriptionObserver(metrics),
        // graphql-ws puts its socket's writer in the context (server/graphql-ws.ts); SSE has none.
        writerOf: (context) => (context as { writeNext?: (payload: Buffer) => void }).writeNext,
      }),
      ...securityPlugins(config, pubsub.redis),
      useWallPage(),
      useDataExchange({ prisma: db.prisma, config, logger, viewer: viewers.authenticateHttp }),
      // After every check: what it answers from memory has passed each of them once (see the module).
      ...(config.cacheMs > 0
        ? [
            useHubResponseCache({
              watch,
              maxAgeMs: config.cacheMs,
              minUses: config.cacheMinUses,
              now: options.now,
              roleOf: (request) =>
                viewers.viewerOf(request).then(
                  (v) => v.role,
                  () => null,
                ),
              lookups: metrics.responseCache,
            }),
          ]
        : []),
      // Last: it wraps whichever request parser the plugins above chose (see ../security.ts).
      useBodySizeLimit(config.limits.maxBodyBytes),
    ],
    logging: {
      debug: (...args) => logger.debug(args),
      info: (...args) => logger.info(args),
      warn: (...args) => logger.warn(args),
      error: (...args) => logger.error(args),
    },
    context: async (initial): Promise<HubContext> => {
      const fromSocket = initial as { viewer?: Viewer; clientAddress?: string; transport?: 'ws' };
      const viewer = fromSocket.viewer ?? (await viewers.authenticateHttp(initial.request));
      // No Node request when the app is called through `yoga.fetch` (tests).
      const clientAddress =
        fromSocket.clientAddress ?? (initial.req ? clientAddressOf(initial.req) : 'unknown');
      return {
        ...serverParts,
        viewer,
        clientAddress,
        transport: fromSocket.transport ?? 'http',
      };
    },
  });
}
