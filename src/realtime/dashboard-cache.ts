/**
 * The dashboards of one server, computed once per change rather than once per request, and
 * after a stage change only in the part that a stage change moves.
 *
 * A dashboard is a dozen aggregates over the whole district and changes only when data does,
 * while wall displays and dashboard clients ask for the same few years over and over. Editors
 * and imports change stages several times a second, and every stage change moves every year's
 * funnel (its `current` counts are the pipeline now), but nothing else of it. So each year's
 * dashboard is kept as its two parts (src/services/dashboard.ts), each dropped when something
 * it shows may have changed:
 * - the pipeline part (funnel, project total, last stage changes: one statement and a read of
 *   the ten events, for every year kept at once) by stage changes and project edits, or a change
 *   of unknown kind;
 * - the year part (targets, funding, logistics, parks, figures: a transaction of a dozen reads)
 *   by any change but a stage change; a change that counts for one year drops that year's only;
 * - either after `maxAgeMs` (a write from outside the hub, such as the CLI or SQL, or a
 *   notification lost in transit, shows within that time);
 * - while the bus is lost nothing is kept: every request computes afresh.
 * Changes are heard through ChangeWatch: the server's own writes before they answer, other
 * servers' through the bus. Requests that arrive while a part is being computed share that
 * computation. A part being computed when a change that moves it is heard is dropped too, so no
 * read started before a change is kept after it; a part a change does not move stays, and the
 * dashboard made of a kept part and one read after the change is the dashboard after it.
 */
import type { PrismaClient } from '../generated/prisma/client.ts';
import {
  assembleDashboard,
  checkYear,
  computeDashboard,
  type DashboardData,
  type PipelinePart,
  readPipelines,
  readYearPart,
  type YearPart,
} from '../services/dashboard.ts';
import type { ChangeDomain, ChangeWatch } from './change-watch.ts';

export interface DashboardCacheOptions {
  prisma: PrismaClient;
  /** The server's changes (shared with its response cache). */
  watch: ChangeWatch;
  /** Keep a computed dashboard at most this long; 0 disables the cache. @default 10_000 */
  maxAgeMs?: number;
  /** The clock `maxAgeMs` is measured by. @default Date.now */
  now?: () => number;
}

/** The two parts of a dashboard, by what moves them. */
type PartName = 'pipeline' | 'rest';

/**
 * Which parts a change of each kind can move. A stage change moves the pipeline only; a project
 * edit both (planned investments in the sums, names in the last changes, parks' project counts);
 * every other write the year part only. A change of unknown kind moves both.
 */
function partsMovedBy(domain: ChangeDomain | undefined): readonly PartName[] {
  if (domain === 'stage') return ['pipeline'];
  if (domain === undefined || domain === 'project') return ['pipeline', 'rest'];
  return ['rest'];
}

interface Kept<T> {
  value: Promise<T>;
  expires: number;
}

/** Where one part of a year's dashboard is kept. */
interface Slot<T> {
  kept?: Kept<T>;
}

interface Entry {
  pipeline: Slot<PipelinePart>;
  rest: Slot<YearPart>;
  /** The dashboard last made of two parts: every caller of the same two parts gets one object. */
  assembled?: { pipeline: PipelinePart; rest: YearPart; dashboard: DashboardData };
}

export class DashboardCache {
  private readonly prisma: PrismaClient;
  private readonly watch: ChangeWatch;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private readonly entries = new Map<number, Entry>();
  private readonly unwatch: () => void;

  constructor(options: DashboardCacheOptions) {
    this.prisma = options.prisma;
    this.watch = options.watch;
    this.maxAgeMs = options.maxAgeMs ?? 10_000;
    this.now = options.now ?? Date.now;
    this.unwatch = this.watch.onChange(({ year, domain }) => {
      const moved = partsMovedBy(domain);
      const entries = year === null ? this.entries.values() : [this.entries.get(year)];
      for (const entry of entries) {
        if (entry) for (const part of moved) entry[part].kept = undefined;
      }
    });
  }

  /** The dashboard of `year`: made of kept parts, parts being computed, or parts computed now. */
  get(year: number): Promise<DashboardData> {
    if (this.maxAgeMs <= 0 || !this.watch.watching()) return computeDashboard(this.prisma, year);
    try {
      checkYear(year);
    } catch (error) {
      return Promise.reject(error);
    }
    let entry = this.entries.get(year);
    if (!entry) {
      entry = { pipeline: {}, rest: {} };
      this.entries.set(year, entry);
    }
    const kept = entry;
    const pipeline = this.pipeline(year, kept);
    const rest = this.part(kept.rest, () => readYearPart(this.prisma, year));
    return Promise.all([pipeline, rest]).then(([p, r]) => {
      if (kept.assembled?.pipeline === p && kept.assembled.rest === r)
        return kept.assembled.dashboard;
      const dashboard = assembleDashboard(year, p, r);
      kept.assembled = { pipeline: p, rest: r, dashboard };
      return dashboard;
    });
  }

  /**
   * A year's pipeline part: kept, or read now together with that of every other year whose year
   * part is kept and whose pipeline a change dropped (a stage change drops them all: one
   * statement for all of them instead of one per year).
   */
  private pipeline(year: number, entry: Entry): Promise<PipelinePart> {
    const now = this.now();
    const current = <T>(slot: Slot<T>) => slot.kept !== undefined && slot.kept.expires > now;
    if (current(entry.pipeline)) return entry.pipeline.kept!.value;
    const years = [year];
    for (const [other, kept] of this.entries)
      if (other !== year && !current(kept.pipeline) && current(kept.rest)) years.push(other);
    const read = readPipelines(this.prisma, years);
    for (const y of years) {
      const slot = this.entries.get(y)!.pipeline;
      const fresh: Kept<PipelinePart> = {
        value: read.then((parts) => parts.get(y)!),
        expires: now + this.maxAgeMs,
      };
      slot.kept = fresh;
      // A failed computation is not kept.
      fresh.value.catch(() => {
        if (slot.kept === fresh) slot.kept = undefined;
      });
    }
    return entry.pipeline.kept!.value;
  }

  /** A part: kept and not expired, or computed now and kept. */
  private part<T>(slot: Slot<T>, read: () => Promise<T>): Promise<T> {
    const now = this.now();
    if (slot.kept && slot.kept.expires > now) return slot.kept.value;
    const fresh: Kept<T> = { value: read(), expires: now + this.maxAgeMs };
    slot.kept = fresh;
    // A failed computation is not kept.
    fresh.value.catch(() => {
      if (slot.kept === fresh) slot.kept = undefined;
    });
    return fresh.value;
  }

  /** Stops following changes and forgets everything. */
  close(): void {
    this.unwatch();
    this.entries.clear();
  }
}
