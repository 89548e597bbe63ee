/**
 * A real graphql-ws client (the `graphql-ws` package over `ws`) for tests: one connection per
 * subscription, so disposing one is a real disconnect.
 */
import { createClient, type Client } from 'graphql-ws';
import { bearer } from './auth.ts';
import WebSocket from 'ws';
import { SubscriptionRecorder, type TestSubscription } from './subscription.ts';

/** ws:// URL of a hub's /graphql from its http:// URL. */
export function wsUrl(httpUrl: string): string {
  return httpUrl.replace(/^http/, 'ws');
}

export interface WsSubscribeOptions {
  connectionParams?: Record<string, unknown>;
  label?: string;
}

/** Subscribes over graphql-ws; resolves once the server has acknowledged the connection. */
export async function subscribeWs<T = Record<string, any>>(
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
    { query, variables },
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
