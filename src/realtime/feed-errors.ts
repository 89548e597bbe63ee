/**
 * What every live field shares: how a feed that fails ends. The feed's last payload carries the
 * error and the resolver throws it as a GraphQL error, so both transports send it as a normal
 * result (`errors`, with a code) followed by `complete`, instead of each failing the stream in
 * its own way. Clients resubscribe (with `after` for stage events).
 */
import { GraphQLError } from 'graphql';
import { PubSubLostError } from './event-bus.ts';

/** A feed's item, or why the feed ended. */
export type LivePayload<T> = T | { liveError: unknown };

export function isLiveError<T extends object>(
  payload: LivePayload<T>,
): payload is { liveError: unknown } {
  return 'liveError' in payload;
}

/** Ends with one `{ liveError }` payload when `feed` throws; `return()` goes straight to the feed. */
export function endWithErrorPayload<T>(
  feed: AsyncIterableIterator<T>,
): AsyncIterableIterator<LivePayload<T>> {
  let ended = false;
  const wrapped: AsyncIterableIterator<LivePayload<T>> = {
    [Symbol.asyncIterator]: () => wrapped,
    async next(): Promise<IteratorResult<LivePayload<T>>> {
      if (ended) return { done: true, value: undefined };
      try {
        const item = await feed.next();
        if (item.done) ended = true;
        return item;
      } catch (error) {
        ended = true;
        return { done: false, value: { liveError: error } };
      }
    },
    async return(): Promise<IteratorResult<LivePayload<T>>> {
      ended = true;
      await feed.return?.();
      return { done: true, value: undefined };
    },
  };
  return wrapped;
}

/** The GraphQL error a client sees when its live feed ends. */
export function liveError(error: unknown, resume: string): GraphQLError {
  if (error instanceof PubSubLostError) {
    return new GraphQLError(`${error.message}. ${resume}`, {
      extensions: { code: 'EVENT_BUS_LOST' },
    });
  }
  return new GraphQLError(`The live feed failed. ${resume}`, {
    extensions: { code: 'FEED_FAILED' },
    originalError: error instanceof Error ? error : undefined,
  });
}
