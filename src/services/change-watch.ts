/**
 * What one server knows of changes to the data, for everything it keeps in memory between
 * requests (the dashboard cache, the response cache).
 *
 * Every write through the hub publishes on the bus after its commit (`stageChanged`, or
 * `dataChanged` with the year it counts for). This server's own writes are reported here as they
 * publish, before the mutation answers (`changed`, called by the app), so a client always reads
 * its own write; other servers' writes arrive through Redis a few milliseconds later.
 *
 * `generation` counts the changes heard: something computed from data read under one generation
 * is stale once the number has moved on. `watching()` is true only while every change can be
 * heard; while the bus is lost nothing may be kept, and listening is tried again a second later.
 * The watch listens lazily, from the first `watching()` call.
 */
import type { HubPubSub } from '../pubsub.ts';

export type ChangeListener = (year: number | null) => void;

export class ChangeWatch {
  private readonly pubsub: Pick<HubPubSub, 'listen'>;
  private readonly listeners = new Set<ChangeListener>();
  private stopListening: (() => void) | null = null;
  /** When the bus was last lost: listening is not tried again for a second after that. */
  private lostAt = 0;
  private count = 0;

  constructor(pubsub: Pick<HubPubSub, 'listen'>) {
    this.pubsub = pubsub;
  }

  /** How many changes this server has heard of (or assumed, on losing the bus). */
  get generation(): number {
    return this.count;
  }

  /** Calls `listener` on every change with the year it counts for (null: any year). */
  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Records a change: the year it counts for, or null when it may touch any year. */
  changed(year: number | null | undefined): void {
    this.count += 1;
    for (const listener of this.listeners) listener(year ?? null);
  }

  /** True while every change is heard (listening on the bus, starting now if needed). */
  watching(): boolean {
    if (this.stopListening) return true;
    if (Date.now() - this.lostAt < 1_000) return false;
    let lost = false;
    const onLost = () => {
      lost = true;
      this.lostAt = Date.now();
      this.close();
      // Whatever was kept may have missed a change: forget it.
      this.changed(null);
    };
    const stops = [
      this.pubsub.listen('stageChanged', { onEvent: () => this.changed(null), onLost }),
      this.pubsub.listen('dataChanged', { onEvent: (e) => this.changed(e.year), onLost }),
    ];
    if (lost) return false;
    this.stopListening = () => stops.forEach((stop) => stop());
    return true;
  }

  /** Stops listening (until the next `watching()`). */
  close(): void {
    this.stopListening?.();
    this.stopListening = null;
  }
}
