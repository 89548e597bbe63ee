/**
 * Builds the hub: a Yoga server over the Pothos schema, with graphql-ws on the same path and
 * port. Building does not listen; `start(port)` does, so tests can also call `yoga.fetch`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { HubConfig } from './config.ts';
import type { HubContext, Viewer } from './context.ts';
import type { Database } from './db/index.ts';
import type { Logger } from './logger.ts';
import { createMemoryPubSub, type HubPubSub } from './pubsub.ts';
import { schema } from './schema/index.ts';

export interface AppOptions {
  config: HubConfig;
  db: Database;
  logger: Logger;
  /** Defaults to an in-memory bus (one server). */
  pubsub?: HubPubSub;
}

export interface App {
  yoga: YogaServerInstance<Record<string, unknown>, HubContext>;
  server: Server;
  pubsub: HubPubSub;
  /** Listens on `port` (0 = any free port) and resolves with the URL of /graphql. */
  start(port?: number, host?: string): Promise<string>;
  /** Stops accepting, ends subscriptions and closes the server (not the database). */
  stop(): Promise<void>;
}

const anonymous: Viewer = { actor: 'anonymous', role: 'editor' };

export function buildApp({ config, db, logger, pubsub = createMemoryPubSub() }: AppOptions): App {
  const yoga = createYoga<Record<string, unknown>, HubContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: { title: '辽中区重点项目数据中枢 Liaozhong Hub', subscriptionsProtocol: 'GRAPHQL_SSE' },
    logging: {
      debug: (...args) => logger.debug(args),
      info: (...args) => logger.info(args),
      warn: (...args) => logger.warn(args),
      error: (...args) => logger.error(args),
    },
    context: (): HubContext => ({ prisma: db.prisma, pubsub, viewer: anonymous }),
  });

  const server = createServer(yoga);
  const wsServer = new WebSocketServer({ server, path: yoga.graphqlEndpoint });
  const wsHandle = useServer(
    {
      execute: (args) => (args.rootValue as { execute: typeof import('graphql').execute }).execute(args),
      subscribe: (args) => (args.rootValue as { subscribe: typeof import('graphql').subscribe }).subscribe(args),
      onSubscribe: async (ctx, _id, params) => {
        const { schema: s, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
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
  );

  return {
    yoga,
    server,
    pubsub,
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
      await wsHandle.dispose();
      await new Promise<void>((resolve) => {
        wsServer.close(() => resolve());
      });
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
