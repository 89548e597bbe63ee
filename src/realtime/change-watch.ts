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
 * (`Query.projects`, or `Query.projects(filtered)` for the answers that filter or order).
 * `ROOT_FIELDS_READING` is the one place that says which root field reads what; a test checks
 * that it names every field of the Query type. Live queries and the response cache both drop
 * what a change touched: an answer is followed by the rows it shows and the root fields it
 * selected (`answerReads`), in these same identifiers.
 *
 * `generation` counts the changes heard: something computed from data read under one generation
 * is stale once the number has moved on. `watching()` is true only while every change can be
 * heard; while the bus is lost nothing may be kept, and listening is tried again a second later.
 * The watch listens lazily, from the first `watching()` call.
 */
import { encodeGlobalID } from '@pothos/plugin-relay';
import {
  type DocumentNode,
  type FieldNode,
  type GraphQLSchema,
  getOperationAST,
  isObjectType,
  Kind,
  type SelectionSetNode,
  TypeInfo,
  type ValueNode,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import type { DataChangedEvent, HubPubSub, StageChangedEvent } from './event-bus.ts';

/** What a change is about: a stage change, or one of the `dataChanged` domains. */
export type ChangeDomain = 'stage' | DataChangedEvent['domain'];

/**
 * For each root query field, the domains whose writes can change its answer. `node` and `nodes`
 * read any row: a change re-runs them through the rows it names (`Type:<id>`, and
 * `Query.node(id:"…")`), or all of them when it names none.
 *
 * `'<domain> when filtered'`: a write of that domain changes the field's answers that filter or
 * order (any argument but a page's `first`, `last`, `after`, `before`) as a whole; its other
 * answers only through the rows they show, which the write names. A stage change cannot move a
 * project into or out of a page of all projects in id order, nor change its total, but it can
 * change a page of the projects at one stage.
 */
export const ROOT_FIELDS_READING: Record<
  string,
  readonly (ChangeDomain | `${ChangeDomain} when filtered`)[]
> = {
  approvalBreaches: ['stage', 'project', 'figure', 'calendar'],
  dashboard: ['stage', 'project', 'funding', 'figure', 'target', 'logistics', 'park'],
  facilities: ['park'],
  fundingAwards: ['funding'],
  fundingTotals: ['funding'],
  logisticsChannels: ['logistics'],
  node: [],
  nodes: ['stage', 'project', 'funding', 'figure', 'target', 'logistics', 'park', 'calendar'],
  parks: ['stage', 'project', 'park'],
  projects: ['stage when filtered', 'project'],
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
  /** What kind of write it was; absent when not known (a lost bus, a change recorded without one). */
  domain?: ChangeDomain;
  /** The bus was lost: changes from now on may go unheard until the watch listens again. */
  lost?: true;
}

export type ChangeListener = (change: HubChange) => void;

/**
 * What an answer reads when it shows a row without its `id`: such a row cannot be followed, so
 * every change touches it.
 */
export const ROWS_WITHOUT_ID = 'Query(rows without id)';

/** The rows a committed write names, and the root fields reading its domain. */
export function touchedBy(domain: ChangeDomain, nodes: readonly string[] | undefined): string[] {
  const touched: string[] = [ROWS_WITHOUT_ID];
  for (const [field, domains] of Object.entries(ROOT_FIELDS_READING)) {
    if (domains.includes(domain)) touched.push(`Query.${field}`);
    else if (domains.includes(`${domain} when filtered`)) touched.push(`Query.${field}(filtered)`);
  }
  if (!nodes) return [...touched, 'Query.node'];
  for (const id of nodes) touched.push(resourceOf(id), `Query.node(id:"${id}")`);
  return touched;
}

/** A page's arguments: they choose which slice of an answer, never what it is a slice of. */
const PAGE_ARGUMENTS = new Set(['first', 'last', 'after', 'before']);

/**
 * The root fields an operation selects, as the identifiers changes touch: `Query.<field>` for
 * each, `Query.<field>(filtered)` when it is given any argument but a page's, and
 * `Query.<field>(id:"<id>")` for a field asked by `id`, and ROWS_WITHOUT_ID when it selects a
 * row (a Node) without its `id`. With the rows an answer shows (`Type:<global id>`, collected from
 * the `id`s in the answer itself), they are everything a change can make stale.
 */
export function answerReads(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>> | null | undefined,
): string[] {
  const operation = getOperationAST(document, operationName);
  if (!operation) return [];
  const reads = new Set<string>();
  if (showsRowsWithoutId(schema, document)) reads.add(ROWS_WITHOUT_ID);
  const argumentValue = (value: ValueNode): unknown =>
    value.kind === Kind.VARIABLE
      ? variables?.[value.name.value]
      : 'value' in value
        ? value.value
        : value.kind;
  const visitRoot = (selectionSet: SelectionSetNode, seen: Set<string>) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) visitRoot(selection.selectionSet, seen);
      else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        const fragment = document.definitions.find(
          (d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === name,
        );
        if (fragment && 'selectionSet' in fragment && !seen.has(name))
          visitRoot(fragment.selectionSet, new Set([...seen, name]));
      } else addField(selection);
    }
  };
  const addField = (field: FieldNode) => {
    const name = field.name.value;
    if (name.startsWith('__')) return;
    reads.add(`Query.${name}`);
    for (const argument of field.arguments ?? []) {
      if (argument.name.value === 'id')
        reads.add(`Query.${name}(id:"${argumentValue(argument.value)}")`);
      else if (!PAGE_ARGUMENTS.has(argument.name.value)) reads.add(`Query.${name}(filtered)`);
    }
  };
  visitRoot(operation.selectionSet, new Set());
  return [...reads];
}

const withoutId = new WeakMap<DocumentNode, boolean>();
/** Whether a document selects fields of a Node type without its `id` (unaliased) beside them. */
function showsRowsWithoutId(schema: GraphQLSchema, document: DocumentNode): boolean {
  let found = withoutId.get(document);
  if (found !== undefined) return found;
  found = false;
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      SelectionSet(node) {
        const type = typeInfo.getParentType();
        if (
          isObjectType(type) &&
          type.getInterfaces().some((i) => i.name === 'Node') &&
          !node.selections.some(
            (s) => s.kind === Kind.FIELD && s.name.value === 'id' && s.alias === undefined,
          )
        )
          found = true;
      },
    }),
  );
  withoutId.set(document, found);
  return found;
}

/**
 * What live queries re-run for a change: their store follows each root field as `Query.<field>`
 * whatever its arguments, so a change to the filtered answers reaches all of them.
 */
export function liveQueryResources(touched: readonly string[]): string[] {
  return touched.map((id) => (id.endsWith('(filtered)') ? id.slice(0, -'(filtered)'.length) : id));
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

  /** Records a change (`touched` defaults to everything, `domain` to unknown). */
  changed(
    year: number | null | undefined,
    touched: HubChange['touched'] = 'everything',
    domain?: ChangeDomain,
  ): void {
    this.tell(domain ? { year: year ?? null, touched, domain } : { year: year ?? null, touched });
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
        onEvent: (e) => this.changed(null, touchedByStageChange(e), 'stage'),
        onLost,
      }),
      this.pubsub.listen('dataChanged', {
        onEvent: (e) => this.changed(e.year, touchedBy(e.domain, e.nodes), e.domain),
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
