/**
 * One serialisation per shared result, written without graphql-ws's per-message loop
 * (src/realtime/shared-subscriptions.ts, `writeDataResults`): a result of data only is written to
 * the socket as the message graphql-ws would write, its text serialised once for every socket;
 * any other result, and the end, go on to graphql-ws in order.
 */
import type { ExecutionResult } from 'graphql';
import { GraphQLError } from 'graphql';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { writeDataResults } from '../src/realtime/shared-subscriptions.ts';

/** A socket whose sends are recorded (the part of a ws WebSocket the relay uses). */
function recordingSocket() {
  const sent: string[] = [];
  return { send: (data: string) => void sent.push(data), readyState: 1, OPEN: 1 as const, sent };
}

async function* results(...items: ExecutionResult[]): AsyncGenerator<ExecutionResult> {
  yield* items;
}

/** What graphql-ws does with the stream it iterates: each result it is handed, as it would send it. */
async function drainAsGraphqlWs(
  socket: ReturnType<typeof recordingSocket>,
  id: string,
  stream: AsyncIterableIterator<ExecutionResult>,
): Promise<void> {
  for await (const result of stream)
    socket.send(JSON.stringify({ id, type: 'next', payload: result }));
  socket.send(JSON.stringify({ id, type: 'complete' }));
}

describe('results of data only written by the hub', () => {
  afterEach(() => vi.restoreAllMocks());

  it('should write the message graphql-ws would, serialising a shared result once for every socket', async () => {
    const shared = { data: { projectStageChanged: { sequence: '7', note: '说明 "quoted"' } } };
    const sockets = [recordingSocket(), recordingSocket(), recordingSocket()];
    const stringify = vi.spyOn(JSON, 'stringify');
    await Promise.all(
      sockets.map((socket, i) =>
        writeDataResults(socket, String(i + 1), results({ ...shared }))
          .next()
          .then((end) => expect(end.done).toBe(true)),
      ),
    );
    const resultTexts = stringify.mock.calls.filter(
      ([value]) => typeof value === 'object' && value !== null && 'data' in value,
    );
    expect(resultTexts).toHaveLength(1);
    stringify.mockRestore();
    for (const [i, { sent }] of sockets.entries())
      expect(sent).toEqual([JSON.stringify({ id: String(i + 1), type: 'next', payload: shared })]);
  });

  it('should hand graphql-ws results with errors or more than data, in order with the ones it writes', async () => {
    const socket = recordingSocket();
    const failed = { data: null, errors: [new GraphQLError('lost')] };
    const live = { data: { a: 1 }, revision: 2 };
    await drainAsGraphqlWs(
      socket,
      'x',
      writeDataResults(socket, 'x', results({ data: { b: 1 } }, live, { data: { b: 2 } }, failed)),
    );
    expect(socket.sent).toEqual([
      JSON.stringify({ id: 'x', type: 'next', payload: { data: { b: 1 } } }),
      JSON.stringify({ id: 'x', type: 'next', payload: live }),
      JSON.stringify({ id: 'x', type: 'next', payload: { data: { b: 2 } } }),
      JSON.stringify({ id: 'x', type: 'next', payload: failed }),
      '{"id":"x","type":"complete"}',
    ]);
  });

  it('should write nothing to a socket that is no longer open, and pass return() to the stream', async () => {
    const socket = { ...recordingSocket(), readyState: 3 };
    await drainAsGraphqlWs(socket, 'z', writeDataResults(socket, 'z', results({ data: { c: 1 } })));
    expect(socket.sent).toEqual(['{"id":"z","type":"complete"}']);

    let returned = false;
    const source: AsyncIterableIterator<ExecutionResult> = {
      [Symbol.asyncIterator]: () => source,
      next: () => new Promise(() => {}),
      return: async () => {
        returned = true;
        return { value: undefined, done: true };
      },
    };
    await writeDataResults(recordingSocket(), 'r', source).return?.();
    expect(returned).toBe(true);
  });
});
