/**
 * The reads the benchmark loads, as each server asks for them:
 * - the hub: GraphQL operations like the saved ones in schema/operations (10-dashboard,
 *   a page of projects, a project by `node(id:)`), and the analyst mix (filtered pages from
 *   any edge's cursor, node lookups over every project: a request seldom repeats);
 * - PostGraphile v5 (amber preset): the closest shapes its generated schema allows (no
 *   aggregates, no range filters: see DIFFERENCES);
 * - the floor: plain GET routes of tests/bench/floor-server.ts, answering the hub's exact JSON.
 */
import { bench } from './config.ts';

/** The dashboard as 10-dashboard.graphql asks for it. */
export const HUB_DASHBOARD = /* GraphQL */ `
  query Dashboard($year: Int) {
    dashboard(year: $year) {
      year
      projects { count plannedInvestment plannedInvestmentKnownCount }
      stageFunnel { stage current { count } reached { count } reachedInYear { count } }
      targets { target { code label labelEn } actualValue targetValue unit computedRate reportedRate rateMismatch }
      funding { sourceLevel amount reportedAmount awardedAmount mayOverlap overlapNote }
      logistics {
        channel { name nameEn }
        latestObservations { metric value unit textValue periodEnd }
        latestNationalRank { metric nationalRank periodEnd }
      }
      parks { park { name } projects { count } }
      recentStageChanges { sequence recordedAt project { name } fromStage toStage }
    }
  }
`;

const HUB_PROJECT_FIELDS = /* GraphQL */ `
  id code name nameEn stage stageChangedAt plannedInvestment
  park { id name }
  stageHistory(last: 3) { edges { node { id sequence kind fromStage toStage occurredOn } } }
  fundingAwards { id code sourceLevel amount year }
`;

/**
 * A page of 20 projects with park, last three stage events and funding awards, each row with its
 * id, as a client selects them to have the hub's response cache follow each row it shows.
 */
export const HUB_PROJECT_PAGE = /* GraphQL */ `
  query ProjectPage($first: Int!, $after: String) {
    projects(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { ${HUB_PROJECT_FIELDS} } }
    }
  }
`;

/** One project by its global id, with the same selection as a page item. */
/** A filtered page, as an analyst pages through a stage, a park or a sector. */
export const HUB_FILTERED_PAGE = /* GraphQL */ `
  query FilteredPage($first: Int!, $after: String, $filter: ProjectFilter) {
    projects(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { ${HUB_PROJECT_FIELDS} } }
    }
  }
`;

export const HUB_NODE = /* GraphQL */ `
  query ProjectNode($id: ID!) {
    node(id: $id) { ... on Project { ${HUB_PROJECT_FIELDS} } }
  }
`;

/** Pipeline stages and the two off-pipeline ones, as the hub's funnel lists them. */
export const STAGES = [
  'PLANNED',
  'NEGOTIATING',
  'SIGNED',
  'LANDED',
  'APPROVED',
  'TENDERED',
  'LAND_ACQUIRED',
  'REGISTERED',
  'UNDER_CONSTRUCTION',
  'COMPLETED',
  'IN_OPERATION',
  'AT_CAPACITY',
  'SUSPENDED',
  'CANCELLED',
] as const;

export const FUNDING_LEVELS = [
  'CENTRAL',
  'PROVINCIAL',
  'PROVINCIAL_AND_ABOVE',
  'MUNICIPAL',
  'DISTRICT',
  'POLICY_BANK',
  'SPECIAL_BOND',
  'COMMERCIAL_BANK',
  'OTHER',
] as const;

/**
 * The dashboard as close as PostGraphile's amber schema gets: counts per stage and per funding
 * level by aliased `totalCount`s (no sums without an aggregates plugin), events into each stage
 * as a stand-in for "reached", the year's targets with their figure, each channel's last 40
 * observations (a client picks the latest of each metric: amber offers conditions only on
 * indexed columns, and `metric` is not one), every park's project count, the last ten events
 * with their project.
 */
export const PG_DASHBOARD = /* GraphQL */ `
  query Dashboard($year: Int!) {
    projects: allProjects { totalCount }
    ${STAGES.map((s) => `current_${s}: allProjects(condition: { stage: ${s} }) { totalCount }`).join('\n    ')}
    ${STAGES.map((s) => `reached_${s}: allProjectStageEvents(condition: { toStage: ${s} }) { totalCount }`).join('\n    ')}
    targets: allTargets(condition: { year: $year }, orderBy: PRIMARY_KEY_ASC) {
      nodes { code label labelEn value unit reportedRate reportedFigureByActualId { value unit } }
    }
    ${FUNDING_LEVELS.map((l) => `funding_${l}: allFundingAwards(condition: { year: $year, sourceLevel: ${l} }) { totalCount }`).join('\n    ')}
    logistics: allLogisticsChannels(orderBy: PRIMARY_KEY_ASC) {
      nodes {
        name nameEn
        latest: logisticsObservationsByChannelId(orderBy: PERIOD_END_DESC, first: 40) {
          nodes { metric value unit textValue periodEnd nationalRank }
        }
      }
    }
    parks: allParks(orderBy: PRIMARY_KEY_ASC) { nodes { name projectsByParkId { totalCount } } }
    recentStageChanges: allProjectStageEvents(orderBy: SEQUENCE_DESC, first: 10) {
      nodes { sequence recordedAt fromStage toStage projectByProjectId { name } }
    }
  }
`;

const PG_PROJECT_FIELDS = /* GraphQL */ `
  id code name nameEn stage stageChangedAt plannedInvestment
  parkByParkId { id name }
  projectStageEventsByProjectId(orderBy: SEQUENCE_ASC, last: 3) { edges { node { id sequence kind fromStage toStage occurredOn } } }
  fundingAwardsByProjectId(orderBy: PRIMARY_KEY_ASC) { nodes { id code sourceLevel amount year } }
`;

export const PG_PROJECT_PAGE = /* GraphQL */ `
  query ProjectPage($first: Int!, $after: Cursor) {
    allProjects(first: $first, after: $after, orderBy: PRIMARY_KEY_ASC) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { ${PG_PROJECT_FIELDS} } }
    }
  }
`;

export const PG_FILTERED_PAGE = /* GraphQL */ `
  query FilteredPage($first: Int!, $after: Cursor, $condition: ProjectCondition) {
    allProjects(first: $first, after: $after, condition: $condition, orderBy: PRIMARY_KEY_ASC) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { ${PG_PROJECT_FIELDS} } }
    }
  }
`;

export const PG_NODE = /* GraphQL */ `
  query ProjectNode($id: ID!) {
    node(id: $id) { ... on Project { ${PG_PROJECT_FIELDS} } }
  }
`;

/** What the PostGraphile shapes leave out or answer differently; printed with the results. */
export const DIFFERENCES = [
  'dashboard: PostGraphile (amber preset, no aggregates plugin) cannot sum, so stage and funding tallies are counts ' +
    'only and no funding amounts are returned (amber offers conditions on indexed columns only, and `reportedTotal` ' +
    'is not indexed); "reached" is the count of events into each stage, not projects that first reached it by the ' +
    "year's end; logistics is each channel's last 40 observations (the client picks the latest per metric; no " +
    '`periodEnd <=` filter in amber); targets come without computed rates. It does less work per request than the ' +
    'hub and the floor, in the database and in Node.',
  'project page and node: same data; PostGraphile takes the last three events with `last: 3` on the relation and the ' +
    'global id of the park as `id` (its node id field).',
  "analyst mix: the same filters both ways (the hub's `filter: { stage, parkId, sectorId }`, PostGraphile's " +
    '`condition` on the same columns), the same cursor positions and the same projects looked up.',
];

/**
 * The HTTP servers under load, all asked the hub's operations but PostGraphile and the floor:
 * - `hub`: as `npm start` runs it. With no write during a run, it answers from its caches
 *   (the dashboard cache and the response cache) nearly every time;
 * - `hubWrites`: the same, with a stage change through the hub every second during its runs;
 * - `hubBusy`: the same, with ten stage changes a second during its runs, each to a project
 *   drawn from all over the district (many editors and imports at once): each drops what read
 *   that project and the answers a stage change can change as a whole (the dashboard);
 * - `hubUncached`: caches off (HUB_CACHE_MS=0), so every request is computed: what the hub's
 *   code costs per request.
 */
export type ServerName = 'hub' | 'hubWrites' | 'hubBusy' | 'hubUncached' | 'postgraphile' | 'floor';
export type OperationName = 'dashboard' | 'projectPage' | 'node' | 'analyst';

const ALL_OPERATIONS: OperationName[] = ['dashboard', 'projectPage', 'node', 'analyst'];
/** The reads of this run: all, or those BENCH_OPERATIONS names (a shorter run). */
export const OPERATIONS: OperationName[] = bench.http.operations
  ? ALL_OPERATIONS.filter((op) => bench.http.operations?.includes(op))
  : ALL_OPERATIONS;
export const SERVERS: ServerName[] = [
  'hub',
  'hubWrites',
  'hubBusy',
  'hubUncached',
  'postgraphile',
  'floor',
];

/**
 * The servers loaded with a read. The analyst mix compares the hub as it runs and computing
 * every answer with PostGraphile: the floor has no filters, and writes would only add misses
 * to a mix made of misses.
 */
export function serversFor(op: OperationName): ServerName[] {
  return op === 'analyst' ? ['hub', 'hubUncached', 'postgraphile'] : SERVERS;
}
/** Servers whose SQL statements are counted (tests/bench/pg-proxy.ts): the hub's variants run the hub's code. */
export const COUNTED_SERVERS: ServerName[] = ['hub', 'postgraphile', 'floor'];

/** Names in the tables. */
export const SERVER_LABELS: Record<ServerName, string> = {
  hub: 'hub',
  hubWrites: 'hub, a stage change every second',
  hubBusy: 'hub, 10 stage changes a second',
  hubUncached: 'hub, caches off',
  postgraphile: 'postgraphile',
  floor: 'floor',
};
