/**
 * One serialisation per shared result (src/realtime/shared-subscriptions.ts): graphql-ws is handed a stand-in
 * payload for a result of data only, and each socket's send writes the result's text, serialised
 * once for all of them, in its place: the message on the wire is the one graphql-ws would write.
 */
import { GraphQLError } from 'graphql';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WebSocket } from 'ws';
import { sendSharedPayloads, sharedPayload } from '../src/realtime/shared-subscriptions.ts';

/** A socket whose sends are recorded (the part of a ws WebSocket these functions use). */
function recordingSocket(): { socket: WebSocket; sent: unknown[] } {
  const sent: unknown[] = [];
  const socket = { send: (data: unknown) => void sent.push(data) } as unknown as WebSocket;
  sendSharedPayloads(socket);
  return { socket, sent };
}

/** What graphql-ws's server does with a `next` result: `onNext`, then the message serialised and sent. */
function emitNext(socket: WebSocket, id: string, result: Record<string, unknown>): void {
  const payload = sharedPayload(socket, result) ?? result;
  socket.send(JSON.stringify({ id, type: 'next', payload }));
}

describe('shared payloads over graphql-ws', () => {
  afterEach(() => vi.restoreAllMocks());

  it('should write the message graphql-ws would, serialising a shared result once for every socket', () => {
    const shared = { data: { projectStageChanged: { sequence: '7', note: '说明 "quoted"' } } };
    const sockets = [recordingSocket(), recordingSocket(), recordingSocket()];
    const stringify = vi.spyOn(JSON, 'stringify');
    for (const [i, { socket }] of sockets.entries()) emitNext(socket, String(i + 1), { ...shared });
    const resultTexts = stringify.mock.calls.filter(
      ([value]) => typeof value === 'object' && value !== null && 'data' in value,
    );
    expect(resultTexts).toHaveLength(1);
    stringify.mockRestore();
    for (const [i, { sent }] of sockets.entries())
      expect(sent).toEqual([JSON.stringify({ id: String(i + 1), type: 'next', payload: shared })]);
  });

  it('should leave results with errors or more than data, and other messages, as graphql-ws writes them', () => {
    const { socket, sent } = recordingSocket();
    const failed = { data: null, errors: [new GraphQLError('lost')] };
    const live = { data: { a: 1 }, revision: 2 };
    expect(sharedPayload(socket, failed)).toBeUndefined();
    expect(sharedPayload(socket, live)).toBeUndefined();
    emitNext(socket, 'x', live);
    socket.send('{"id":"x","type":"complete"}');
    emitNext(socket, 'y', { data: { b: 2 } });
    expect(sent).toEqual([
      JSON.stringify({ id: 'x', type: 'next', payload: live }),
      '{"id":"x","type":"complete"}',
      JSON.stringify({ id: 'y', type: 'next', payload: { data: { b: 2 } } }),
    ]);
  });
});
