/**
 * A clock a test moves by hand. Pass `now` to a hub (`startTestHub({ app: { now } })`) and its
 * caches measure their maximum age by it: a test of "kept until it expires" calls `advance`
 * instead of sleeping through the age.
 */
export interface TestClock {
  now(): number;
  /** Moves the clock forward by `ms`. */
  advance(ms: number): void;
}

export function testClock(start = Date.now()): TestClock {
  let t = start;
  return {
    now: () => t,
    advance(ms) {
      t += ms;
    },
  };
}
