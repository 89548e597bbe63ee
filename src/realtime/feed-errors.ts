/**
 * What every live field shares: how a feed that fails ends. The feed's last payload carries the
 * error and the resolver throws it as a GraphQL error, so both transports send it as a normal
 * result (`errors`, with a code) followed by `complete`, instead of each failing the stream in
 * its own way. Clients resubscribe (with `after` for stage events).
 */
import { mapAsyncIterator } from '@graphql-tools/utils';
import { GraphQLError } from 'graphql';
import { PubSubLostError } from './event-bus.ts';

/** The most events a live stream holds for a client that does not read them. */
export const MAX_BEHIND = 10_000;

/** A subscriber's client left more events unread than the server holds for one. */
export class FellBehindError extends Error {
  override name = 'FellBehindError';
  constructor(readonly maxBehind: number) {
    super(
      `This subscription's client left ${maxBehind} events unread, the most the server holds for one`,
    );
  }
}

/** A feed's item, or why the feed ended. */
export type LivePayload<T> = T | { liveError: unknown };

export function isLiveError<T extends object>(
  payload: LivePayload<T>,
): payload is { liveError: unknown } {
  return 'liveError' in payload;
}

/**
 * Ends with one `{ liveError }` payload when `feed` throws (a feed that has thrown is done);
 * `return()` goes straight to the feed. A map, so graphql-tools' mapper: one step per delivery.
 */
export function endWithErrorPayload<T>(
  feed: AsyncIterableIterator<T>,
): AsyncIterableIterator<LivePayload<T>> {
  return mapAsyncIterator(
    feed,
    (item: T): LivePayload<T> => item,
    (error: unknown): LivePayload<T> => ({ liveError: error }),
  ) as AsyncIterableIterator<LivePayload<T>>;
}

/** The GraphQL error a client sees when its live feed ends. */
export function liveError(error: unknown, resume: string): GraphQLError {
  if (error instanceof PubSubLostError) {
    return new GraphQLError(`${error.message}. ${resume}`, {
      extensions: { code: 'EVENT_BUS_LOST' },
    });
  }
  if (error instanceof FellBehindError) {
    return new GraphQLError(`${error.message}. ${resume}`, {
      extensions: { code: 'FELL_BEHIND' },
    });
  }
  return new GraphQLError(`The live feed failed. ${resume}`, {
    extensions: { code: 'FEED_FAILED' },
    originalError: error instanceof Error ? error : undefined,
  });
}
