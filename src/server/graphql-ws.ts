/**
 * graphql-ws on a WebSocket at the Yoga endpoint. Each operation goes through
 * `yoga.getEnveloped`, so it gets the same plugins and context as HTTP. The credential is checked
 * once, at connection_init (a bad one closes the socket with 4403; a socket whose token expires
 * is closed with 4401 then). Every refusal of an operation (too many on the socket, limits,
 * parse and validation errors, a context that cannot be built) is an error for that operation
 * only: the socket and its other operations go on. The server pings every `keepAliveMs` and
 * closes a socket whose pong does not come back within as long.
 */
import type { IncomingMessage, Server } from 'node:http';
import { isAsyncIterable } from '@graphql-tools/utils';
import { type ExecutionResult, GraphQLError } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { type WebSocket, WebSocketServer } from 'ws';
import { AuthenticationError, type createAuthenticator } from '../auth.ts';
import type { HubConfig } from '../config.ts';
import type { Viewer } from '../context.ts';
import type { Logger } from '../logger.ts';
import type { createErrorMasker } from '../masked-errors.ts';
import { writeDataResults } from '../realtime/shared-subscriptions.ts';
import { MAX_JSON_DEPTH, nestsDeeperThan, tooDeepError } from '../security.ts';
import type { OpenStreams } from './streams.ts';
import type { HubYoga } from './yoga.ts';

export interface GraphqlWsOptions {
  server: Server;
  yoga: HubYoga;
  config: HubConfig;
  logger: Logger;
  authenticator: ReturnType<typeof createAuthenticator>;
  clientAddressOf: (req: IncomingMessage) => string;
  maskError: ReturnType<typeof createErrorMasker>;
  streams: OpenStreams;
  keepAliveMs: number;
}

export interface GraphqlWs {
  /** Sends every socket a close frame (1001 going away) and waits for the handshakes. */
  dispose(): Promise<void>;
  /** Cuts every socket at once (the grace period is over). */
  terminate(): void;
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

export function serveGraphqlWs(options: GraphqlWsOptions): GraphqlWs {
  const { server, yoga, config, logger, authenticator, clientAddressOf, maskError, streams } =
    options;
  // The body limit holds for WebSocket messages too: a larger frame closes the socket with 1009.
  const wsServer = new WebSocketServer({
    server,
    path: yoga.graphqlEndpoint,
    maxPayload: config.limits.maxBodyBytes,
    verifyClient: ({ req }, done) => {
      if (streams.allows(clientAddressOf(req))) done(true);
      else done(false, 429, streams.refusal, { 'retry-after': '5' });
    },
  });
  wsServer.on('connection', (socket, req) => {
    socket.once('close', streams.hold(clientAddressOf(req)));
  });

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
  const closeIfNotReading = (socket: WebSocket) => {
    if (socket.bufferedAmount > maxUnsentBytes) socket.close(1008, 'Not reading its messages');
  };
  wsServer.on('connection', (socket) => socket.on('message', () => closeIfNotReading(socket)));
  const unsentSweep = setInterval(() => wsServer.clients.forEach(closeIfNotReading), 5_000);
  unsentSweep.unref();

  type Enveloped = ReturnType<typeof yoga.getEnveloped>;
  const handle = useServer(
    {
      execute: (args) =>
        asResult(() => (args.rootValue as Enveloped).execute(args)) as ReturnType<
          Enveloped['execute']
        >,
      subscribe: (args) =>
        asResult(() => (args.rootValue as Enveloped).subscribe(args)) as ReturnType<
          Enveloped['subscribe']
        >,
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
      // A stream's results of data only are written by the hub, serialised once for every socket
      // that gets them (realtime/shared-subscriptions.ts); graphql-ws sends the rest.
      onOperation: (ctx, id, _payload, _args, result) =>
        isAsyncIterable(result) ? writeDataResults(ctx.extra.socket, id, result) : undefined,
      // graphql-ws is not HTTP: errors go without their HTTP status and headers.
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors?.length ? { ...result, errors: result.errors.map(withoutHttp) } : undefined,
      onError: (_ctx, _id, _payload, errors) => errors.map(withoutHttp),
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
    options.keepAliveMs,
  );

  return {
    async dispose() {
      clearInterval(unsentSweep);
      await handle.dispose();
    },
    terminate() {
      for (const socket of wsServer.clients) socket.terminate();
    },
  };
}
