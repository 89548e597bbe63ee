/**
 * Results of data only written straight to the subscriber's socket (src/realtime/shared-subscriptions.ts
 * with the graphql-ws writer of src/server/graphql-ws.ts): the message on the wire is the one
 * graphql-ws would write, the result's text serialised once for every socket; any other result
 * stays in the stream (graphql-ws sends it), in order with those written.
 */
import { GraphQLError, GraphQLObjectType, GraphQLSchema, GraphQLString, parse } from 'graphql';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HubContext } from '../src/context.ts';
import { nextWriter } from '../src/server/graphql-ws.ts';
import { type SubscribeFn, sharedSubscribe } from './helpers/shared-subscribe.ts';

/** Events handed to every subscriber, as the stage-log tail does (the same objects to all). */
let events: { note: string }[] = [];
let sourcesReturned = 0;

function eventSource(): AsyncIterableIterator<{ note: string }> {
  let at = 0;
  const source: AsyncIterableIterator<{ note: string }> = {
    [Symbol.asyncIterator]: () => source,
    next: async () =>
      at < events.length ? { value: events[at++]!, done: false } : { value: undefined, done: true },
    return: async () => {
      sourcesReturned += 1;
      return { value: undefined, done: true };
    },
  };
  return source;
}

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString } } }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      noted: {
        type: GraphQLString,
        subscribe: eventSource,
        resolve: (event: { note: string }) => {
          if (event.note === 'refused') throw new GraphQLError('refused');
          return event.note;
        },
      },
    },
  }),
});

function sharedSubscriber(): SubscribeFn {
  return sharedSubscribe({
    scope: () => 'viewer',
    contextOf: () => ({}),
    writerOf: (context) => (context as { writeNext?: (text: string) => void }).writeNext,
  });
}

/** A socket whose sends are recorded (the part of a ws WebSocket the writer uses). */
function recordingSocket(readyState = 1) {
  const sent: string[] = [];
  return { send: (data: string) => void sent.push(data), readyState, OPEN: 1, sent };
}

const document = parse('subscription { noted }');
const subscriberOn = (socket: ReturnType<typeof recordingSocket>, id: string) =>
  ({ viewer: { role: 'viewer' }, writeNext: nextWriter(socket, id) }) as unknown as HubContext;

describe('results of data only written to the socket', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    events = [];
    sourcesReturned = 0;
  });

  it('should write the message graphql-ws would, serialising a shared result once for every socket', async () => {
    events = [{ note: '说明 "quoted"' }];
    const subscribe = sharedSubscriber();
    const sockets = [recordingSocket(), recordingSocket(), recordingSocket()];
    const streams = await Promise.all(
      sockets.map((socket, i) =>
        subscribe({ schema, document, contextValue: subscriberOn(socket, String(i + 1)) }),
      ),
    );
    const stringify = vi.spyOn(JSON, 'stringify');
    // Each stream writes its one result and ends: nothing is left for graphql-ws to send.
    for (const stream of streams)
      expect(await stream.next()).toEqual({ done: true, value: undefined });
    const resultTexts = stringify.mock.calls.filter(
      ([value]) => typeof value === 'object' && value !== null && 'data' in value,
    );
    expect(resultTexts).toHaveLength(1);
    stringify.mockRestore();
    for (const [i, { sent }] of sockets.entries())
      expect(sent).toEqual([
        JSON.stringify({
          id: String(i + 1),
          type: 'next',
          payload: { data: { noted: '说明 "quoted"' } },
        }),
      ]);
  });

  it('should keep a result with errors in the stream, in order with the ones written', async () => {
    events = [{ note: 'a' }, { note: 'refused' }, { note: 'b' }];
    const socket = recordingSocket();
    const stream = await sharedSubscriber()({
      schema,
      document,
      contextValue: subscriberOn(socket, 'x'),
    });
    const failed = await stream.next();
    expect(socket.sent).toEqual([
      JSON.stringify({ id: 'x', type: 'next', payload: { data: { noted: 'a' } } }),
    ]);
    expect(failed.value?.errors?.[0]?.message).toBe('refused');
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    expect(socket.sent).toHaveLength(2);
    expect(socket.sent[1]).toBe(
      JSON.stringify({ id: 'x', type: 'next', payload: { data: { noted: 'b' } } }),
    );
  });

  it('should give every result to the stream when the transport has no writer (SSE)', async () => {
    events = [{ note: 'a' }];
    const contextValue = { viewer: { role: 'viewer' } } as unknown as HubContext;
    const stream = await sharedSubscriber()({ schema, document, contextValue });
    expect((await stream.next()).value).toEqual({ data: { noted: 'a' } });
  });

  it('should write nothing to a socket that is no longer open, and pass return() to the source', async () => {
    events = [{ note: 'a' }];
    const closed = recordingSocket(3);
    const stream = await sharedSubscriber()({
      schema,
      document,
      contextValue: subscriberOn(closed, 'z'),
    });
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    expect(closed.sent).toEqual([]);

    events = [];
    const open = await sharedSubscriber()({
      schema,
      document,
      contextValue: subscriberOn(recordingSocket(), 'r'),
    });
    await open.return?.();
    expect(sourcesReturned).toBe(1);
  });

  it('should let the hub check a socket after each write, so a burst cannot pile up unsent', () => {
    // Nothing awaits a write: the unsent-bytes limit must be checked as results are written, not
    // only by the 5 s sweep (an import hands each subscriber thousands of events at once).
    const limit = 1_000;
    const socket = { ...recordingSocket(), bufferedAmount: 0, closed: 0 };
    socket.send = (data: string) => {
      socket.sent.push(data);
      socket.bufferedAmount += data.length;
    };
    const write = nextWriter(socket, 'b', () => {
      if (socket.bufferedAmount > limit) {
        socket.closed = 1008;
        socket.readyState = 2;
      }
    });
    for (let i = 0; i < 100; i++) write(JSON.stringify({ data: { n: i, pad: 'x'.repeat(50) } }));
    expect(socket.closed).toBe(1008);
    expect(socket.bufferedAmount).toBeLessThan(limit + 200);
  });

  it('should let the source go when delivering fails (a consumer does not return a stream that threw)', async () => {
    events = [{ note: 'a' }];
    const contextValue = {
      viewer: { role: 'viewer' },
      writeNext: () => {
        throw new Error('cannot write');
      },
    } as unknown as HubContext;
    const stream = await sharedSubscriber()({ schema, document, contextValue });
    await expect(stream.next()).rejects.toThrow('cannot write');
    expect(sourcesReturned).toBe(1);
  });
});
