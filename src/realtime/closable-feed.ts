/**
 * A live feed written as an async generator, with a `return()` that works while the generator
 * waits. A generator suspended on an `await` cannot be returned until it resumes, so `close`
 * first wakes whatever it waits on (and stops what feeds it); then the generator is returned.
 * After `return()`, `next()` answers done at once.
 */
export function closableFeed<T>(
  generator: AsyncGenerator<T>,
  close: () => void,
): AsyncIterableIterator<T> {
  let closed = false;
  const feed: AsyncIterableIterator<T> = {
    [Symbol.asyncIterator]: () => feed,
    next: () => (closed ? Promise.resolve({ done: true, value: undefined }) : generator.next()),
    async return() {
      closed = true;
      close();
      return generator.return(undefined);
    },
  };
  return feed;
}
