/**
 * The dashboards of one server, computed once per change rather than once per request.
 *
 * A dashboard is a dozen aggregates over the whole district and changes only when data does,
 * while wall displays and dashboard clients ask for the same few years over and over. So each
 * year's dashboard is kept after it is computed and dropped when something it shows may have
 * changed:
 * - a change the server hears of (its own writes before they answer, other servers' through the
 *   bus; see ChangeWatch) drops the year it counts for, or every year;
 * - an entry is also dropped after `maxAgeMs` (a write from outside the hub, such as the CLI
 *   or SQL, or a notification lost in transit, shows within that time);
 * - while the bus is lost nothing is kept: every request computes afresh.
 * Requests that arrive while a year is being computed share that computation. An entry being
 * computed when a change is heard is dropped too, so no read started before a change is kept
 * after it.
 */
import type { PrismaClient } from '../generated/prisma/client.ts';
import { computeDashboard, type DashboardData } from '../services/dashboard.ts';
import type { ChangeWatch } from './change-watch.ts';

export interface DashboardCacheOptions {
  prisma: PrismaClient;
  /** The server's changes (shared with its response cache). */
  watch: ChangeWatch;
  /** Keep a computed dashboard at most this long; 0 disables the cache. @default 10_000 */
  maxAgeMs?: number;
  /** How to compute a dashboard. @default computeDashboard */
  compute?: (prisma: PrismaClient, year: number) => Promise<DashboardData>;
  /** The clock `maxAgeMs` is measured by. @default Date.now */
  now?: () => number;
}

interface Entry {
  value: Promise<DashboardData>;
  expires: number;
}

export class DashboardCache {
  private readonly prisma: PrismaClient;
  private readonly watch: ChangeWatch;
  private readonly maxAgeMs: number;
  private readonly compute: (prisma: PrismaClient, year: number) => Promise<DashboardData>;
  private readonly now: () => number;
  private readonly entries = new Map<number, Entry>();
  private readonly unwatch: () => void;

  constructor(options: DashboardCacheOptions) {
    this.prisma = options.prisma;
    this.watch = options.watch;
    this.maxAgeMs = options.maxAgeMs ?? 10_000;
    this.compute = options.compute ?? computeDashboard;
    this.now = options.now ?? Date.now;
    this.unwatch = this.watch.onChange(({ year }) => {
      if (year === null) this.entries.clear();
      else this.entries.delete(year);
    });
  }

  /** The dashboard of `year`: kept, being computed, or computed now. */
  get(year: number): Promise<DashboardData> {
    if (this.maxAgeMs <= 0 || !this.watch.watching()) return this.compute(this.prisma, year);
    const now = this.now();
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

  /** Stops following changes and forgets everything. */
  close(): void {
    this.unwatch();
    this.entries.clear();
  }
}
