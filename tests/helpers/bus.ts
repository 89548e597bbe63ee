/**
 * Buses for tests of what one server knows before the others: a pair that behaves as two
 * servers on one Redis would (each server hears its own events at once, inside `publish`), but
 * delivers to the other server only when the test releases what is held (a slow network).
 */
import { createMemoryPubSub, type HubPubSub } from '../../src/realtime/event-bus.ts';

export interface HeldBusPair {
  /** The writer's bus and the other server's bus. */
  buses: [HubPubSub, HubPubSub];
  /** Delivers to the other server everything published so far. */
  release(): void;
}

export function heldBusPair(): HeldBusPair {
  const local = [createMemoryPubSub(), createMemoryPubSub()] as const;
  const held: (() => void)[] = [];
  const side = (self: HubPubSub, other: HubPubSub): HubPubSub => ({
    ...self,
    publish(topic, payload) {
      self.publish(topic, payload);
      held.push(() => other.publish(topic, payload));
    },
  });
  return {
    buses: [side(local[0], local[1]), side(local[1], local[0])],
    release: () => {
      for (const deliver of held.splice(0)) deliver();
    },
  };
}
