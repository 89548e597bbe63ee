/**
 * A real graphql-ws client (the `graphql-ws` package over `ws`) for tests: one connection per
 * subscription, so disposing one is a real disconnect.
 */
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { bearer } from './auth.ts';
import { SubscriptionRecorder, type TestSubscription } from './subscription.ts';

/** ws:// URL of a hub's /graphql from its http:// URL. */
export function wsUrl(httpUrl: string): string {
  return httpUrl.replace(/^http/, 'ws');
}

export interface WsSubscribeOptions {
  connectionParams?: Record<string, unknown>;
  label?: string;
  /** The operation's `extensions` (e.g. `{ livePatch: 'json-patch' }`). */
  extensions?: Record<string, unknown>;
}

/** Subscribes over graphql-ws; resolves once the server has acknowledged the connection. */
export async function subscribeWs<T = Record<string, unknown>>(
  httpUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: WsSubscribeOptions = {},
): Promise<TestSubscription<T> & { client: Client }> {
  const recorder = new SubscriptionRecorder<T>(options.label ?? 'graphql-ws');
  let ack!: () => void;
  let fail!: (e: unknown) => void;
  const connected = new Promise<void>((resolve, reject) => {
    ack = resolve;
    fail = reject;
  });
  const client = createClient({
    url: wsUrl(httpUrl),
    webSocketImpl: WebSocket,
    // The admin key unless the test passes its own connectionParams (`{}` for none).
    connectionParams: options.connectionParams ?? { authorization: bearer('admin') },
    retryAttempts: 0,
    lazy: false,
    on: {
      connected: () => ack(),
      closed: (event) => fail(new Error(`closed before connected: ${JSON.stringify(event)}`)),
      error: (error) => fail(error),
    },
  });
  client.subscribe<T>(
    { query, variables, extensions: options.extensions },
    {
      next: (result) => recorder.push(result as never),
      error: (error) => recorder.end({ kind: 'error', error }),
      complete: () => recorder.end({ kind: 'complete' }),
    },
  );
  await connected;
  return {
    client,
    recorder,
    async dispose() {
      recorder.end({ kind: 'disposed' });
      await client.dispose();
    },
  };
}

/** The errors of an `error` message, or of a refused connection. */
export type WsErrors = { message: string; extensions?: { code?: string } }[];

/**
 * A graphql-ws message as the server sends it. `P` is what the test expects in its payload: a
 * `GraphQLResponse<T>` for `next`, `WsErrors` for `error` (unchecked: read `type` when unsure).
 */
export interface WsMessage<P = unknown> {
  type: string;
  id?: string;
  payload: P;
}

/**
 * A graphql-transport-ws connection driven message by message, for tests that must see exactly
 * what the server sends per operation and whether the socket stays open.
 */
export interface RawWs {
  /** Sends a `subscribe` message for operation `id`. */
  subscribe(id: string, query: string, variables?: Record<string, unknown>): void;
  /** Sends any frame as is (text). */
  sendRaw(data: string): void;
  /** Resolves with the next message (in arrival order) matching `match`. */
  next<P = unknown>(match: (m: WsMessage) => boolean): Promise<WsMessage<P>>;
  /** Stops reading from the socket (the server's replies wait in its buffers), and starts again. */
  pauseReading(): void;
  resumeReading(): void;
  /** WebSocket pings received from the server so far (the client answers each with a pong). */
  readonly pings: number;
  /** Set once the socket closed: its close code. */
  readonly closeCode: number | undefined;
  /** Resolves with the close code when the socket closes. */
  readonly closed: Promise<number>;
  close(): void;
}

/** Opens a socket, sends connection_init with these params and resolves after connection_ack. */
export async function openRawWs(
  httpUrl: string,
  connectionParams: Record<string, unknown> = { authorization: bearer('admin') },
): Promise<RawWs> {
  const socket = new WebSocket(wsUrl(httpUrl), 'graphql-transport-ws');
  const received: WsMessage[] = [];
  let waiters: { match: (m: WsMessage) => boolean; resolve(m: WsMessage): void }[] = [];
  let closeCode: number | undefined;
  let pings = 0;
  socket.on('ping', () => {
    pings += 1;
  });
  const closed = new Promise<number>((resolve) =>
    socket.on('close', (code) => {
      closeCode = code;
      resolve(code);
    }),
  );
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as WsMessage;
    const i = waiters.findIndex((w) => w.match(message));
    if (i >= 0) {
      waiters[i]!.resolve(message);
      waiters = waiters.filter((_, j) => j !== i);
    } else received.push(message);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const raw: RawWs = {
    subscribe: (id, query, variables = {}) =>
      socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } })),
    sendRaw: (data) => socket.send(data),
    next<P>(match: (m: WsMessage) => boolean) {
      const i = received.findIndex(match);
      if (i >= 0) return Promise.resolve(received.splice(i, 1)[0]! as WsMessage<P>);
      return new Promise<WsMessage<P>>((resolve, reject) => {
        waiters.push({ match, resolve: (m) => resolve(m as WsMessage<P>) });
        void closed.then((code) =>
          reject(new Error(`socket closed (${code}) while waiting for a message`)),
        );
      });
    },
    get pings() {
      return pings;
    },
    get closeCode() {
      return closeCode;
    },
    closed,
    close: () => socket.close(),
    pauseReading: () =>
      (socket as unknown as { _socket: import('node:net').Socket })._socket.pause(),
    resumeReading: () =>
      (socket as unknown as { _socket: import('node:net').Socket })._socket.resume(),
  };
  socket.send(JSON.stringify({ type: 'connection_init', payload: connectionParams }));
  await Promise.race([
    raw.next((m) => m.type === 'connection_ack'),
    closed.then((code) => {
      throw new Error(`socket closed (${code}) before connection_ack`);
    }),
  ]);
  return raw;
}
