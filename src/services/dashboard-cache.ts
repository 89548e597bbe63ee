/**
 * The dashboards of one server, computed once per change rather than once per request.
 *
 * A dashboard is a dozen aggregates over the whole district and changes only when data does,
 * while wall displays and dashboard clients ask for the same few years over and over. So each
 * year's dashboard is kept after it is computed and dropped when something it shows may have
 * changed:
 * - every write through the hub publishes on the bus after its commit (`stageChanged`,
 *   `dataChanged` with the year it counts for); this server's own writes drop entries as they
 *   publish, before the mutation answers (a client reads its own write), other servers' through
 *   Redis a few milliseconds later;
 * - an entry is also dropped after `maxAgeMs` (a write from outside the hub, such as the CLI
 *   or SQL, or a notification lost in transit, shows within that time);
 * - while the bus is lost nothing is kept: every request computes afresh.
 * Requests that arrive while a year is being computed share that computation. An entry being
 * computed when a change is heard is dropped too, so no read started before a change is kept
 * after it.
 */
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { HubPubSub } from '../pubsub.ts';
import { computeDashboard, type DashboardData } from './dashboard.ts';

export interface DashboardCacheOptions {
  prisma: PrismaClient;
  pubsub: Pick<HubPubSub, 'listen'>;
  /** Keep a computed dashboard at most this long; 0 disables the cache. @default 10_000 */
  maxAgeMs?: number;
  /** How to compute a dashboard. @default computeDashboard */
  compute?: (prisma: PrismaClient, year: number) => Promise<DashboardData>;
}

interface Entry {
  value: Promise<DashboardData>;
  expires: number;
}

export class DashboardCache {
  private readonly prisma: PrismaClient;
  private readonly pubsub: Pick<HubPubSub, 'listen'>;
  private readonly maxAgeMs: number;
  private readonly compute: (prisma: PrismaClient, year: number) => Promise<DashboardData>;
  private readonly entries = new Map<number, Entry>();
  private stopListening: (() => void) | null = null;
  /** When the bus was last lost: listening is not tried again for a second after that. */
  private lostAt = 0;

  constructor(options: DashboardCacheOptions) {
    this.prisma = options.prisma;
    this.pubsub = options.pubsub;
    this.maxAgeMs = options.maxAgeMs ?? 10_000;
    this.compute = options.compute ?? computeDashboard;
  }

  /** The dashboard of `year`: kept, being computed, or computed now. */
  get(year: number): Promise<DashboardData> {
    if (this.maxAgeMs <= 0 || !this.listen()) return this.compute(this.prisma, year);
    const now = Date.now();
    const kept = this.entries.get(year);
    if (kept && kept.expires > now) return kept.value;
    const entry: Entry = { value: this.compute(this.prisma, year), expires: now + this.maxAgeMs };
    this.entries.set(year, entry);
    // A failed computation is not kept.
    entry.value.catch(() => {
      if (this.entries.get(year) === entry) this.entries.delete(year);
    });
    return entry.value;
  }

  /** Drops what a change may have altered: the year it counts for, or (null) every year. */
  changed(year: number | null | undefined): void {
    if (year == null) this.entries.clear();
    else this.entries.delete(year);
  }

  /** Stops listening and forgets everything. */
  close(): void {
    this.stopListening?.();
    this.stopListening = null;
    this.entries.clear();
  }

  /** Listens on the bus if not already; false while the bus is lost (nothing may be kept). */
  private listen(): boolean {
    if (this.stopListening) return true;
    if (Date.now() - this.lostAt < 1_000) return false;
    let lost = false;
    const onLost = () => {
      lost = true;
      this.lostAt = Date.now();
      this.close();
    };
    const stops = [
      this.pubsub.listen('stageChanged', { onEvent: () => this.changed(null), onLost }),
      this.pubsub.listen('dataChanged', { onEvent: (e) => this.changed(e.year), onLost }),
    ];
    if (lost) return false;
    this.stopListening = () => stops.forEach((stop) => stop());
    return true;
  }
}
