/**
 * Results of data only written straight to the subscriber's socket (src/realtime/shared-subscriptions.ts
 * with the graphql-ws writer of src/server/graphql-ws.ts): the message on the wire is the one
 * graphql-ws would write, the result's text serialised once for every socket; any other result
 * stays in the stream (graphql-ws sends it), in order with those written.
 */
import { GraphQLError, GraphQLString, parse } from 'graphql';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HubContext } from '../src/context.ts';
import { Inbox } from '../src/realtime/feed.ts';
import { nextWriter } from '../src/server/graphql-ws.ts';
import {
  type SubscribeFn,
  sharedSubscribe,
  subscriptionSchema,
} from './helpers/shared-subscribe.ts';
import { waitUntil } from './helpers/subscription.ts';

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

const schema = subscriptionSchema({
  noted: {
    type: GraphQLString,
    subscribe: eventSource,
    resolve: (event: { note: string }) => {
      if (event.note === 'refused') throw new GraphQLError('refused');
      return event.note;
    },
  },
});

function sharedSubscriber(): SubscribeFn {
  return sharedSubscribe({
    scope: () => 'viewer',
    contextOf: () => ({}),
    writerOf: (context) => (context as { writeNext?: (payload: Buffer) => void }).writeNext,
  });
}

/**
 * A socket whose sends are recorded as text (the part of a ws WebSocket the writer uses); a send
 * as a binary message is an error (graphql-ws clients take text messages only).
 */
function recordingSocket(readyState = 1) {
  const sent: string[] = [];
  const send = (data: Buffer, options: { binary: boolean }) => {
    if (options.binary !== false) throw new Error('sent as a binary message');
    sent.push(data.toString('utf8'));
  };
  return { send, readyState, OPEN: 1, sent };
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

  it('should write the message graphql-ws would, serialising and encoding a shared result once for every socket', async () => {
    events = [{ note: '说明 "quoted"' }];
    const subscribe = sharedSubscriber();
    const sockets = [recordingSocket(), recordingSocket(), recordingSocket()];
    const streams = await Promise.all(
      sockets.map((socket, i) =>
        subscribe({ schema, document, contextValue: subscriberOn(socket, String(i + 1)) }),
      ),
    );
    const stringify = vi.spyOn(JSON, 'stringify');
    const encode = vi.spyOn(Buffer, 'from');
    // Each stream writes its one result and ends: nothing is left for graphql-ws to send.
    for (const stream of streams)
      expect(await stream.next()).toEqual({ done: true, value: undefined });
    const resultTexts = stringify.mock.calls.filter(
      ([value]) => typeof value === 'object' && value !== null && 'data' in value,
    );
    expect(resultTexts).toHaveLength(1);
    const encoded = encode.mock.calls.filter(
      ([value]) => typeof value === 'string' && value.includes('说明'),
    );
    expect(encoded).toHaveLength(1);
    stringify.mockRestore();
    encode.mockRestore();
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
    socket.send = (data: Buffer) => {
      socket.sent.push(data.toString('utf8'));
      socket.bufferedAmount += data.length;
    };
    const write = nextWriter(socket, 'b', () => {
      if (socket.bufferedAmount > limit) {
        socket.closed = 1008;
        socket.readyState = 2;
      }
    });
    for (let i = 0; i < 100; i++)
      write(Buffer.from(JSON.stringify({ data: { n: i, pad: 'x'.repeat(50) } })));
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

describe('events handed over as they are pushed (the stage-log tail)', () => {
  /** Each subscription's feed, an Inbox as the tail's subscribers have; released ones counted. */
  let inboxes: Inbox<{ note: string }>[] = [];
  let released = 0;
  const resolved: string[] = [];
  const handedSchema = subscriptionSchema({
    handed: {
      type: GraphQLString,
      subscribe: () => {
        const inbox = new Inbox<{ note: string }>(() => (released += 1));
        inboxes.push(inbox);
        return inbox;
      },
      resolve: (event: { note: string }) => {
        resolved.push(event.note);
        if (event.note === 'refused') throw new GraphQLError('refused');
        // Some results are computed later, as the hub's (a database read).
        return event.note.startsWith('later')
          ? new Promise((resolve) => setTimeout(() => resolve(event.note), 5))
          : event.note;
      },
    },
  });
  const handedDocument = parse('subscription { handed }');
  const pushAll = (note: string) => {
    const event = { note };
    for (const inbox of inboxes) inbox.push(event);
  };
  const subscribeAll = async (sockets: ReturnType<typeof recordingSocket>[]) => {
    const subscribe = sharedSubscriber();
    return Promise.all(
      sockets.map((socket, i) =>
        subscribe({
          schema: handedSchema,
          document: handedDocument,
          contextValue: subscriberOn(socket, String(i + 1)),
        }),
      ),
    );
  };
  const message = (id: string, note: string) =>
    JSON.stringify({ id, type: 'next', payload: { data: { handed: note } } });

  afterEach(() => {
    inboxes = [];
    released = 0;
    resolved.length = 0;
  });

  it('should write each result in the producer’s loop, computed once, in order with results that wait', async () => {
    const sockets = [recordingSocket(), recordingSocket(), recordingSocket()];
    const streams = await subscribeAll(sockets);
    // The consumer (graphql-ws's loop) waits on each stream: from then on events are handed over.
    const nexts = streams.map((stream) => stream.next());
    pushAll('a');
    // Written at once, before any promise or timer ran.
    for (const [i, socket] of sockets.entries())
      expect(socket.sent).toEqual([message(String(i + 1), 'a')]);
    pushAll('later 1');
    pushAll('b');
    // 'b' is ready but waits behind 'later 1', which is being computed.
    for (const socket of sockets) expect(socket.sent).toHaveLength(1);
    await waitUntil(() => sockets.every((s) => s.sent.length === 3), 'the waiting results');
    for (const [i, socket] of sockets.entries())
      expect(socket.sent).toEqual(['a', 'later 1', 'b'].map((n) => message(String(i + 1), n)));
    // One execution per event for all three subscribers.
    expect(resolved).toEqual(['a', 'later 1', 'b']);
    for (const inbox of inboxes) inbox.end();
    for (const next of nexts) expect(await next).toEqual({ done: true, value: undefined });
    expect(released).toBe(3);
  });

  /** One subscriber whose consumer has been given the 'refused' error, pushed among `notes`. */
  const givenAnError = async (notes: string[]) => {
    const socket = recordingSocket();
    const [stream] = await subscribeAll([socket]);
    const first = stream!.next();
    for (const note of notes) pushAll(note);
    expect((await first).value?.errors?.[0]?.message).toBe('refused');
    return { socket, stream: stream! };
  };

  it('should give a result with errors to the consumer and write nothing after it until asked again', async () => {
    const { socket, stream } = await givenAnError(['a', 'refused', 'b']);
    // graphql-ws sends that result itself; 'b' must not overtake it on the wire.
    expect(socket.sent).toEqual([message('1', 'a')]);
    const second = stream!.next();
    expect(socket.sent).toEqual([message('1', 'a'), message('1', 'b')]);
    inboxes[0]!.end();
    expect(await second).toEqual({ done: true, value: undefined });
  });

  /** One subscriber whose stream may leave `maxBehind` events behind. */
  const subscribeBehind = (socket: ReturnType<typeof recordingSocket>, maxBehind: number) =>
    sharedSubscribe({
      scope: () => 'viewer',
      contextOf: () => ({}),
      writerOf: (context) => (context as { writeNext?: (payload: Buffer) => void }).writeNext,
      maxBehind,
    })({ schema: handedSchema, document: handedDocument, contextValue: subscriberOn(socket, '1') });

  it('should end the stream with FELL_BEHIND, letting its feed go, when events pile up behind a result its consumer has not sent', async () => {
    const socket = recordingSocket();
    const stream = await subscribeBehind(socket, 3);
    const first = stream.next();
    pushAll('refused');
    expect((await first).value?.errors?.[0]?.message).toBe('refused');
    // graphql-ws is sending that error to a client that does not read: it asks for nothing more,
    // and the events behind it would pile up for as long as the client stalls.
    for (const note of ['a', 'b', 'c', 'd']) pushAll(note);
    expect(released).toBe(1);
    const last = await stream.next();
    expect(last.value?.errors?.[0]?.extensions?.code).toBe('FELL_BEHIND');
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    expect(socket.sent).toEqual([]);
  });

  it('should not end a stream for events that wait behind results being computed, its consumer reading', async () => {
    const socket = recordingSocket();
    const stream = await subscribeBehind(socket, 3);
    const next = stream.next();
    const notes = ['later 1', 'later 2', 'later 3', 'later 4', 'later 5'];
    // Each result is computed after the one before it (a database read each): the server's pace.
    for (const note of notes) pushAll(note);
    await waitUntil(() => socket.sent.length === notes.length, 'the results computed later', 5_000);
    expect(socket.sent).toEqual(notes.map((note) => message('1', note)));
    inboxes[0]!.end();
    expect(await next).toEqual({ done: true, value: undefined });
  });

  it('should fail only the stream whose write throws, and let its feed go', async () => {
    const good = recordingSocket();
    const subscribe = sharedSubscriber();
    const failing = await subscribe({
      schema: handedSchema,
      document: handedDocument,
      contextValue: {
        viewer: { role: 'viewer' },
        writeNext: () => {
          throw new Error('cannot write');
        },
      } as unknown as HubContext,
    });
    const [stream] = await subscribeAll([good]);
    const failed = failing.next();
    const next = stream!.next();
    pushAll('a');
    await expect(failed).rejects.toThrow('cannot write');
    expect(good.sent).toEqual([message('1', 'a')]);
    expect(released).toBe(1);
    pushAll('b');
    expect(good.sent).toEqual([message('1', 'a'), message('1', 'b')]);
    await stream!.return?.();
    expect(await next).toEqual({ done: true, value: undefined });
    expect(released).toBe(2);
  });

  it('should drop what it took but had not begun to deliver when its feed is returned (the tail closing)', async () => {
    const { socket, stream } = await givenAnError(['refused', 'b']);
    // While graphql-ws sends that error the server stops: the tail returns every feed.
    await inboxes[0]!.return();
    expect(await stream!.next()).toEqual({ done: true, value: undefined });
    expect(socket.sent).toEqual([]);
  });

  it('should deliver a result computed later once, whatever the event is', async () => {
    let executions = 0;
    let inbox!: Inbox<number>;
    const numbers = subscriptionSchema({
      counted: {
        type: GraphQLString,
        subscribe: () => (inbox = new Inbox<number>()),
        resolve: (n: number) => {
          executions += 1;
          return new Promise((resolve) => setTimeout(() => resolve(String(n)), 1));
        },
      },
    });
    const socket = recordingSocket();
    const stream = await sharedSubscriber()({
      schema: numbers,
      document: parse('subscription { counted }'),
      contextValue: subscriberOn(socket, '1'),
    });
    const next = stream.next();
    // Not an object: no result is kept for it, so it must not be computed again on resuming.
    inbox.push(7);
    await waitUntil(() => socket.sent.length === 1, 'the result');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(executions).toBe(1);
    expect(socket.sent).toEqual([
      JSON.stringify({ id: '1', type: 'next', payload: { data: { counted: '7' } } }),
    ]);
    await stream.return?.();
    expect(await next).toEqual({ done: true, value: undefined });
  });

  it('should end a waiting consumer and let the feed go on return()', async () => {
    const socket = recordingSocket();
    const [stream] = await subscribeAll([socket]);
    const next = stream!.next();
    pushAll('later 2');
    await stream!.return?.();
    expect(await next).toEqual({ done: true, value: undefined });
    expect(released).toBe(1);
    // The result that was being computed is not written after the end.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(socket.sent).toEqual([]);
  });
});
