/**
 * graphql-ws on a WebSocket at the Yoga endpoint. Each operation goes through
 * `yoga.getEnveloped`, so it gets the same plugins and context as HTTP. The credential is checked
 * once, at connection_init (a bad one closes the socket with 4403; a socket whose token expires
 * is closed with 4401 then). Every refusal of an operation (too many on the socket, limits,
 * parse and validation errors, a context that cannot be built) is an error for that operation
 * only: the socket and its other operations go on. A quiet socket is pinged, and cut when its
 * ping goes unanswered (`keepSocketsAlive`).
 */
import type { IncomingMessage, Server } from 'node:http';
import { type ExecutionResult, GraphQLError } from 'graphql';
import { CloseCode, handleProtocols, makeServer } from 'graphql-ws';
import { type ServerOptions, type WebSocket, WebSocketServer } from 'ws';
import { AuthenticationError, type createAuthenticator } from '../auth.ts';
import type { HubConfig } from '../config.ts';
import type { Viewer } from '../context.ts';
import type { Logger } from '../logger.ts';
import type { createErrorMasker } from '../masked-errors.ts';
import { MAX_JSON_DEPTH, nestsDeeperThan, tooDeepError } from '../security.ts';
import type { Holding, OpenStreams } from './streams.ts';
import type { HubYoga } from './yoga.ts';

/** What each graphql-ws operation's context has of its socket. */
interface SocketExtra {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
  readonly clientAddress: string;
  /** Who the socket's credential is, from `connection_init` on. */
  viewer?: Viewer;
}

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

/** ws's options for a text message: a Buffer is otherwise sent as a binary one. */
const TEXT = { binary: false } as const;
/** The end of a `next` message, after its payload. */
const CLOSE = Buffer.from('}');

/**
 * Writes a `next` message of operation `id` with the given payload (UTF-8 JSON), as graphql-ws
 * would write it (one text message), and nothing once the socket is no longer open (as
 * graphql-ws's own send). Shared subscription results of data only are written this way
 * (realtime/shared-subscriptions.ts): graphql-ws's loop per message (its hooks, a validation and
 * serialisation of every message, an await of every socket write) runs for errors and the end
 * only. The message is put together from bytes (the operation's head, encoded once, the payload,
 * encoded once per event): nothing is encoded per socket. Nothing waits for a write to reach the
 * client, so `afterWrite` runs after each: the hub reports there what the socket holds for
 * sending (below), so a burst (an import's thousands of events) does not pile up unchecked.
 */
export function nextWriter(
  socket: {
    send(message: Buffer, options: { binary: boolean }): void;
    readyState: number;
    OPEN: number;
  },
  id: string,
  afterWrite: () => void = () => {},
): (payload: Buffer) => void {
  // Memory of its own, not a slice of Node's shared pool: kept as long as the subscription,
  // a slice would keep the pool's whole 8 kB block alive.
  const headText = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
  const head = Buffer.allocUnsafeSlow(Buffer.byteLength(headText));
  head.write(headText);
  return (payload) => {
    if (socket.readyState !== socket.OPEN) return;
    socket.send(Buffer.concat([head, payload, CLOSE], head.length + payload.length + 1), TEXT);
    afterWrite();
  };
}

/**
 * Memory a queued write takes beyond its bytes: Node's record of the request and its callback,
 * and ws's frame header (about 220 bytes measured on Node 20 and 24: 3.5 million queued writes of
 * 17 bytes held 30 MB of bytes and 784 MB of heap).
 */
const QUEUED_WRITE_BYTES = 256;

/**
 * What a socket holds for its client and has not sent: its unsent bytes, and for each write
 * queued behind them QUEUED_WRITE_BYTES. Counting bytes alone, a flood of tiny replies (a 17-byte
 * pong for each ping) would hold 25 times what it counts. The count of queued writes is Node's
 * stream state (`_writableState`), which ws's own `bufferedAmount` reads too.
 */
export function heldForSending(socket: WebSocket): number {
  const stream = (socket as unknown as { _socket?: { _writableState?: WritableCount } })._socket;
  return (
    socket.bufferedAmount + QUEUED_WRITE_BYTES * (stream?._writableState?.bufferedRequestCount ?? 0)
  );
}
interface WritableCount {
  bufferedRequestCount?: number;
}

/** The keep-alive round is dealt into this many slices, one every `keepAliveMs / SLICES`. */
const KEEP_ALIVE_SLICES = 12;

/** Per socket: whether it spoke (a message, a ping) since its last turn, and whether our ping is unanswered. */
interface Liveness {
  heard: boolean;
  pinged: boolean;
}

/**
 * WebSocket keep-alive, with one timer for the server. Once every `keepAliveMs` each socket has
 * its turn: one that spoke since its last turn (a message, a ping) is alive and left alone; a
 * quiet one is pinged; one whose pong has not come by its next turn is cut (`terminate`: its
 * subscriptions end). So a display that vanished without a close is cut two to three rounds after
 * the last frame heard from it (one round later at most than with graphql-ws's own keep-alive),
 * and a quiet socket gets a frame at least every two rounds (its first ping can come two rounds
 * after its last message) for proxies that drop idle connections.
 *
 * Why not graphql-ws's keep-alive: it pings every socket every round, also those that ping the
 * server themselves (the wall, src/wall/wall.js, does every 10 s), with an interval per socket
 * and a timeout and a listener per ping, so the pings of 10,000 sockets go out one by one, each
 * waking the server for its pong. Here a slice of the sockets is pinged at once: with 10,000
 * quiet sockets and 12 s, the server's CPU while nothing happens went from 6-8% of a core to 3-4%
 * (tests/bench/RESULTS.md). The period is HUB_KEEP_ALIVE_MS (src/config.ts): its default keeps
 * two rounds under the usual proxy idle timeouts. Returns what stops it.
 */
export function keepSocketsAlive(wsServer: WebSocketServer, keepAliveMs: number): () => void {
  if (!(keepAliveMs > 0 && Number.isFinite(keepAliveMs))) return () => {};
  const slices = Array.from({ length: KEEP_ALIVE_SLICES }, () => new Map<WebSocket, Liveness>());
  let dealt = 0;
  wsServer.on('connection', (socket) => {
    const slice = slices[dealt++ % KEEP_ALIVE_SLICES]!;
    const liveness: Liveness = { heard: false, pinged: false };
    slice.set(socket, liveness);
    const heard = () => {
      liveness.heard = true;
    };
    socket.on('message', heard);
    socket.on('ping', heard);
    socket.on('pong', () => {
      liveness.pinged = false;
    });
    socket.once('close', () => slice.delete(socket));
  });
  let turn = 0;
  const tick = setInterval(() => {
    for (const [socket, liveness] of slices[turn++ % KEEP_ALIVE_SLICES]!) {
      if (socket.readyState !== socket.OPEN) continue;
      if (liveness.heard) {
        liveness.heard = false;
        liveness.pinged = false;
      } else if (liveness.pinged)
        socket.terminate(); // no pong since its last turn
      else {
        liveness.pinged = true;
        socket.ping();
      }
    }
  }, keepAliveMs / KEEP_ALIVE_SLICES);
  tick.unref();
  return () => clearInterval(tick);
}

export function serveGraphqlWs(options: GraphqlWsOptions): GraphqlWs {
  const { server, yoga, config, logger, authenticator, clientAddressOf, maskError, streams } =
    options;
  // ws 8.23 takes `closeTimeout`; its types (@types/ws 8.18) do not have it yet.
  const serverOptions: ServerOptions & { closeTimeout: number } = {
    server,
    path: yoga.graphqlEndpoint,
    // The body limit holds for WebSocket messages too: a larger frame closes the socket with 1009.
    maxPayload: config.limits.maxBodyBytes,
    handleProtocols,
    // A socket closed for not reading does not read the close frame either: what it holds for
    // sending is let go when it is cut after this, not after ws's default 30 s.
    closeTimeout: 5_000,
    verifyClient: ({ req }, done) => {
      if (streams.allows(clientAddressOf(req))) done(true);
      else done(false, 429, streams.refusal, { 'retry-after': '5' });
    },
  };
  const wsServer = new WebSocketServer(serverOptions);

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
  // every reply it cannot send. Each socket reports what it holds after every write (and every
  // 5 s, having drained or not) to its address's budget (OpenStreams), which cuts the sockets
  // that hold the most when the address's sockets together hold too much.
  const holdings = new WeakMap<WebSocket, Holding>();
  const reportHeld = (socket: WebSocket, holding = holdings.get(socket)) =>
    holding?.report(heldForSending(socket));
  const heldSweep = setInterval(() => {
    for (const socket of wsServer.clients)
      if (socket.readyState === socket.OPEN) reportHeld(socket);
  }, 5_000);
  heldSweep.unref();
  const stopKeepAlive = keepSocketsAlive(wsServer, options.keepAliveMs);

  type Enveloped = ReturnType<typeof yoga.getEnveloped>;
  const graphqlWs = makeServer<Record<string, unknown> | undefined, SocketExtra>({
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
        ctx.extra.viewer = viewer;
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
    onSubscribe: async (ctx, id, params) => {
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
        const holding = holdings.get(ctx.extra.socket);
        const enveloped = yoga.getEnveloped({
          viewer: ctx.extra.viewer,
          clientAddress: ctx.extra.clientAddress,
          transport: 'ws',
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
          writeNext: nextWriter(ctx.extra.socket, id, () => reportHeld(ctx.extra.socket, holding)),
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
  });

  // graphql-ws's protocol on each socket, bound here rather than by its `use/ws` (which also
  // keeps sockets alive its own way, see keepSocketsAlive): failures go to the hub's log, once,
  // not to the console for every reply still queued when a socket goes.
  // ws passes on the HTTP server's errors (a port in use at start, which `start` reports too).
  wsServer.on('error', (error) => logger.error({ err: error }, 'the HTTP server failed'));
  wsServer.on('connection', (socket, request) => {
    const clientAddress = clientAddressOf(request);
    const holding = streams.hold(clientAddress, {
      measure: () => heldForSending(socket),
      cut: (report) => {
        logger.warn(report, 'closed a graphql-ws socket: its client address does not read (1008)');
        socket.close(1008, 'Not reading its messages');
      },
    });
    holdings.set(socket, holding);
    socket.once('close', () => holding.release());
    // ws has closed the socket already, with the code the error calls for (1009: a frame too large).
    socket.on('error', (error) =>
      logger.info({ clientAddress, reason: error.message }, 'a graphql-ws socket failed'),
    );
    const closed = graphqlWs.opened(
      {
        protocol: socket.protocol,
        // A write fails only when the socket is going (cut, or its client gone) with replies still
        // queued: one failure for each of them, none the server's fault. graphql-ws would take
        // each for an internal error; the socket's `close` ends its operations.
        send: (data) =>
          new Promise<void>((resolve) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, () => resolve());
            reportHeld(socket, holding);
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', (data) => {
            // ws still reads a socket that is closing (cut, or its token expired): nothing more runs.
            if (socket.readyState !== socket.OPEN) return;
            handle(String(data)).catch((error: unknown) => {
              logger.error({ err: error, clientAddress }, 'graphql-ws could not handle a message');
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            });
          }),
      },
      { socket, request, clientAddress },
    );
    socket.once('close', (code, reason) => {
      closed(code, String(reason)).catch((error: unknown) =>
        logger.error({ err: error, clientAddress }, 'graphql-ws could not end a closed socket'),
      );
    });
  });

  return {
    async dispose() {
      clearInterval(heldSweep);
      stopKeepAlive();
      for (const socket of wsServer.clients) socket.close(1001, 'Going away');
      wsServer.removeAllListeners();
      await new Promise<void>((resolve, reject) =>
        wsServer.close((error) => (error ? reject(error) : resolve())),
      );
    },
    terminate() {
      for (const socket of wsServer.clients) socket.terminate();
    },
  };
}
