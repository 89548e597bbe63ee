/**
 * What one server knows of changes to the data, for everything it keeps in memory between
 * requests (the dashboard cache, the response cache) or keeps current (live queries).
 *
 * Every write through the hub publishes on the bus after its commit (`stageChanged`, or
 * `dataChanged` with the year it counts for). The bus hands a server its own events at once,
 * inside `publish` (see src/realtime/event-bus.ts), so a client always reads its own write; other servers'
 * writes arrive through Redis a few milliseconds later. Either way each change is heard once.
 *
 * Each change says what it touched (`touched`): the rows it wrote, as live-query resource
 * identifiers (`Project:<global id>`), and the root fields whose answers it can change
 * (`Query.projects`). `ROOT_FIELDS_READING` is the one place that says which root field reads
 * what; a test checks that it names every field of the Query type.
 *
 * `generation` counts the changes heard: something computed from data read under one generation
 * is stale once the number has moved on. `watching()` is true only while every change can be
 * heard; while the bus is lost nothing may be kept, and listening is tried again a second later.
 * The watch listens lazily, from the first `watching()` call.
 */
import { encodeGlobalID } from '@pothos/plugin-relay';
import type { DataChangedEvent, HubPubSub, StageChangedEvent } from './event-bus.ts';

/** What a change is about: a stage change, or one of the `dataChanged` domains. */
export type ChangeDomain = 'stage' | DataChangedEvent['domain'];

/**
 * For each root query field, the domains whose writes can change its answer. `node` and `nodes`
 * read any row: a change re-runs them through the rows it names (`Type:<id>`, and
 * `Query.node(id:"…")`), or all of them when it names none.
 */
export const ROOT_FIELDS_READING: Record<string, readonly ChangeDomain[]> = {
  approvalBreaches: ['stage', 'project', 'figure', 'calendar'],
  dashboard: ['stage', 'project', 'funding', 'figure', 'target', 'logistics', 'park'],
  facilities: ['park'],
  fundingAwards: ['funding'],
  fundingTotals: ['funding'],
  logisticsChannels: ['logistics'],
  node: [],
  nodes: ['stage', 'project', 'funding', 'figure', 'target', 'logistics', 'park', 'calendar'],
  parks: ['stage', 'project', 'park'],
  projects: ['stage', 'project'],
  reportedFigure: ['figure'],
  reportedFigures: ['figure'],
  sectors: ['project'],
  sourceDocuments: [],
  stageChangeTrend: ['stage', 'project'],
  stageDurations: ['stage', 'project', 'calendar'],
  stageEvents: ['stage', 'project'],
  stalledProjects: ['stage', 'project'],
  target: ['target', 'figure', 'stage'],
  targets: ['target', 'figure', 'stage'],
  workingCalendarDays: ['calendar'],
};

/** One change as the listeners hear it. */
export interface HubChange {
  /** The year it counts for; null: any year. */
  year: number | null;
  /**
   * What it touched, as live-query resource identifiers; `everything` when that is not known
   * (a lost bus may have missed any change).
   */
  touched: readonly string[] | 'everything';
  /** The bus was lost: changes from now on may go unheard until the watch listens again. */
  lost?: true;
}

export type ChangeListener = (change: HubChange) => void;

/** The rows a committed write names, and the root fields reading its domain. */
export function touchedBy(domain: ChangeDomain, nodes: readonly string[] | undefined): string[] {
  const touched = Object.entries(ROOT_FIELDS_READING)
    .filter(([, domains]) => domains.includes(domain))
    .map(([field]) => `Query.${field}`);
  if (!nodes) return [...touched, 'Query.node'];
  for (const id of nodes) touched.push(resourceOf(id), `Query.node(id:"${id}")`);
  return touched;
}

/** The live-query resource identifier of a row: its type and global id, as the store collects them. */
function resourceOf(globalId: string): string {
  const typename = Buffer.from(globalId, 'base64').toString('utf8').split(':', 1)[0];
  return `${typename}:${globalId}`;
}

/**
 * What a stage change touched: its project (stage, history, milestones) and the fields reading
 * stages. A park's own fields do not depend on its projects' stages; a park's project list
 * shows the projects, which live queries track by their ids.
 */
function touchedByStageChange(event: StageChangedEvent): string[] {
  return touchedBy('stage', [encodeGlobalID('Project', event.projectId)]);
}

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

  /** Calls `listener` on every change. */
  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Records a change (`touched` defaults to everything). */
  changed(year: number | null | undefined, touched: HubChange['touched'] = 'everything'): void {
    this.tell({ year: year ?? null, touched });
  }

  private tell(change: HubChange): void {
    this.count += 1;
    for (const listener of this.listeners) listener(change);
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
      this.tell({ year: null, touched: 'everything', lost: true });
    };
    const stops = [
      this.pubsub.listen('stageChanged', {
        onEvent: (e) => this.changed(null, touchedByStageChange(e)),
        onLost,
      }),
      this.pubsub.listen('dataChanged', {
        onEvent: (e) => this.changed(e.year, touchedBy(e.domain, e.nodes)),
        onLost,
      }),
    ];
    if (lost) return false;
    this.stopListening = () => {
      for (const stop of stops) stop();
    };
    return true;
  }

  /** Stops listening (until the next `watching()`). */
  close(): void {
    this.stopListening?.();
    this.stopListening = null;
  }
}
