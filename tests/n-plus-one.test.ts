/**
 * No N+1: the number of SQL statements a query sends depends on its shape, not on how many rows
 * it returns. Every statement the Prisma client sends is recorded (tests/helpers/query-log.ts);
 * the same query is run for a page of 10 and of 100 projects, each with its park, last three
 * stage events and funding awards, and must send the same small number of statements.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProjectStage, StageEventKind } from '../src/generated/prisma/client.ts';
import { describeEachEngine } from './helpers/db.ts';
import { advance, STAGE_CHANGED, type StageEventData } from './helpers/operations.ts';
import { type QueryLog, startLoggedHub } from './helpers/query-log.ts';
import type { TestHub } from './helpers/server.ts';
import { type TestSubscription, waitUntil } from './helpers/subscription.ts';
import { subscribeWs } from './helpers/ws-client.ts';

const EXTRA_PROJECTS = 100;

/** Each extra project's stage history: five events, so `last: 3` has something to leave out. */
const HISTORY: ProjectStage[] = ['PLANNED', 'NEGOTIATING', 'SIGNED', 'LANDED', 'APPROVED'];

const PAGE = /* GraphQL */ `
  query Page($first: Int!, $after: String, $filter: ProjectFilter) {
    projects(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node {
          id name stage plannedInvestment
          park { id name }
          stageHistory(last: 3) { totalCount edges { node { sequence fromStage toStage occurredOn } } }
          fundingAwards { code amount sourceLevel }
        }
      }
    }
  }
`;

/** What the tests read of PAGE's answer. */
interface PageData {
  projects: {
    edges: {
      node: {
        park: unknown;
        stageHistory: {
          totalCount: number;
          edges: { node: { sequence: string; toStage: string; occurredOn: string } }[];
        };
        fundingAwards: { sourceLevel: string }[];
      };
    }[];
  };
}

/** A page's cursor and its projects' names. */
interface PageInfoData {
  projects: { pageInfo: { endCursor: string }; edges: { node: { name: string } }[] };
}

interface DashboardCount {
  dashboard: { projects: { count: number } };
}

describeEachEngine('statement counts', (engine) => {
  let hub: TestHub & { log: QueryLog };

  /** Runs a query and returns the statements it sent, failing on any GraphQL error. */
  async function statementsFor<T = unknown>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<{ data: T; statements: string[] }> {
    const { result, statements } = await hub.log.measure(() => hub.gql<T>(query, variables));
    expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    return { data: result.data!, statements };
  }

  beforeAll(async () => {
    // The dashboard computed on every request: what is counted is its computation.
    hub = await startLoggedHub(engine, { HUB_CACHE_MS: '0' });
    const prisma = hub.db.prisma;
    const parks = await prisma.park.findMany({ orderBy: { id: 'asc' } });
    const projects = await prisma.project.createManyAndReturn({
      data: Array.from({ length: EXTRA_PROJECTS }, (_, i) => ({
        code: `NPLUS1-${String(i).padStart(3, '0')}`,
        name: `测试项目${i}`,
        nameEn: `Test project ${i}`,
        stage: HISTORY.at(-1)!,
        parkId: parks[i % parks.length]!.id,
        plannedInvestment: `${(i + 1) * 1_000_000}.00`,
      })),
      select: { id: true },
    });
    await prisma.projectStageEvent.createMany({
      data: projects.flatMap(({ id }) =>
        HISTORY.map((toStage, k) => ({
          projectId: id,
          kind: k === 0 ? StageEventKind.INITIAL : StageEventKind.ADVANCE,
          fromStage: k === 0 ? null : HISTORY[k - 1]!,
          toStage,
          occurredOn: new Date(Date.UTC(2025, k, 1)),
          actor: 'test',
        })),
      ),
    });
    await prisma.fundingAward.createMany({
      data: projects.flatMap(({ id }, i) => [
        {
          code: `NPLUS1-F-${i}-a`,
          sourceLevel: 'DISTRICT' as const,
          amount: '100000.00',
          year: 2025,
          projectId: id,
        },
        {
          code: `NPLUS1-F-${i}-b`,
          sourceLevel: 'MUNICIPAL' as const,
          amount: '200000.00',
          year: 2025,
          projectId: id,
        },
      ]),
    });
  });

  afterAll(async () => {
    await hub?.close();
  });

  describe('a page of projects with park, last three events and funding', () => {
    const filter = { nameContains: '测试项目' };

    it('should send the same statements for 10 and for 100 projects', async () => {
      const ten = await statementsFor<PageData>(PAGE, { first: 10, filter });
      const hundred = await statementsFor<PageData>(PAGE, { first: 100, filter });
      expect(ten.data.projects.edges).toHaveLength(10);
      expect(hundred.data.projects.edges).toHaveLength(100);
      console.info(
        `[${engine}] projects page: ${ten.statements.length} statements for 10, ${hundred.statements.length} for 100`,
      );
      expect(hundred.statements.length).toBe(ten.statements.length);
      // Projects with their park, stage events and funding awards joined (relationJoins), and the total count.
      expect(hundred.statements.length).toBe(2);
    });

    it('should send as many statements for a page after a cursor as for the first page', async () => {
      const first = await statementsFor<PageData & PageInfoData>(PAGE, { first: 10, filter });
      const after = first.data.projects.pageInfo.endCursor;
      const second = await statementsFor<PageData & PageInfoData>(PAGE, {
        first: 10,
        after,
        filter,
      });
      const names = (edges: { node: { name: string } }[]) => edges.map((e) => e.node.name);
      expect(names(first.data.projects.edges)).toEqual(
        Array.from({ length: 10 }, (_, i) => `测试项目${i}`),
      );
      expect(names(second.data.projects.edges)).toEqual(
        Array.from({ length: 10 }, (_, i) => `测试项目${i + 10}`),
      );
      expect(second.data.projects.edges[0]!.node.stageHistory.edges).toHaveLength(3);
      console.info(
        `[${engine}] projects page: ${first.statements.length} statements for the first, ${second.statements.length} after a cursor`,
      );
      expect(second.statements.length).toBe(first.statements.length);
    });

    it('should still return the right rows: the last three events, oldest first, and every award', async () => {
      const { data } = await statementsFor<PageData>(PAGE, { first: 100, filter });
      for (const { node } of data.projects.edges) {
        expect(node.park).not.toBeNull();
        expect(node.stageHistory.totalCount).toBe(HISTORY.length);
        expect(node.stageHistory.edges.map((e) => e.node.toStage)).toEqual(HISTORY.slice(-3));
        expect(node.stageHistory.edges.map((e) => e.node.occurredOn)).toEqual([
          '2025-03-01',
          '2025-04-01',
          '2025-05-01',
        ]);
        expect(node.fundingAwards.map((a) => a.sourceLevel)).toEqual(['DISTRICT', 'MUNICIPAL']);
      }
      const sequences = data.projects.edges[0]!.node.stageHistory.edges.map((e) =>
        BigInt(e.node.sequence),
      );
      expect(sequences).toEqual([...sequences].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    });

    it('should not grow with the page when the page is reached through parks', async () => {
      const query = (
        first: number,
      ) => `{ parks { name projects(first: ${first}) { totalCount edges { node {
        name park { name } stageHistory(last: 3) { edges { node { toStage } } } fundingAwards { amount }
      } } } } }`;
      const few = await statementsFor(query(2));
      const many = await statementsFor<{ parks: { projects: { edges: unknown[] } }[] }>(query(100));
      console.info(
        `[${engine}] parks → projects: ${few.statements.length} statements for 2 per park, ${many.statements.length} for 100`,
      );
      expect(many.statements.length).toBe(few.statements.length);
      expect(many.data.parks[0]!.projects.edges).toHaveLength(25);
    });
  });

  describe('other lists', () => {
    it('should read the stage-event log with projects in a constant number of statements', async () => {
      const query = (first: number) =>
        `{ stageEvents(first: ${first}) { totalCount edges { node { sequence project { name park { name } } } } } }`;
      const few = await statementsFor(query(5));
      const many = await statementsFor(query(100));
      console.info(
        `[${engine}] stageEvents: ${few.statements.length} statements for 5, ${many.statements.length} for 100`,
      );
      expect(many.statements.length).toBe(few.statements.length);
    });

    it('should read funding awards, channels, parks and targets in a constant number of statements', async () => {
      const query = (first: number) => `{
        fundingAwards(first: ${first}) { totalCount edges { node { amount project { name } } } }
        logisticsChannels { name observations { metric } latestNationalRank { nationalRank } }
        parks { name latestSnapshot { asOf } facilities { name latestSnapshot { floorAreaM2 } snapshots { asOf } } }
        targets(year: 2025) { label progress { computedRate actual { value } } }
      }`;
      const few = await statementsFor(query(5));
      const many = await statementsFor(query(100));
      console.info(
        `[${engine}] mixed lists: ${few.statements.length} statements for 5 awards, ${many.statements.length} for 100`,
      );
      expect(many.statements.length).toBe(few.statements.length);
    });
  });

  describe('dashboard', () => {
    const DASHBOARD = /* GraphQL */ `{ dashboard(year: 2025) {
      projects { count plannedInvestment }
      stageFunnel { stage current { count plannedInvestment } reached { count plannedInvestment } }
      targets { computedRate target { label } actual { value } }
      funding { sourceLevel amount }
      logistics { channel { name } latestObservations { metric } latestNationalRank { nationalRank } }
      parks { park { name } projects { count } latestSnapshot { asOf } latestFacilitySnapshots { facility { name } } }
      recentStageChanges { sequence project { name park { name } } }
      figures { code value }
    } }`;

    it('should compute the dashboard with aggregates in the database, in a constant number of statements', async () => {
      const before = await statementsFor<DashboardCount>(DASHBOARD);
      // More rows everywhere: another 100 events, awards and projects.
      const prisma = hub.db.prisma;
      const created = await prisma.project.createManyAndReturn({
        data: Array.from({ length: 100 }, (_, i) => ({
          code: `NPLUS1-D-${i}`,
          name: `看板测试${i}`,
          stage: 'SIGNED' as const,
        })),
        select: { id: true },
      });
      await prisma.projectStageEvent.createMany({
        data: created.map(({ id }) => ({
          projectId: id,
          kind: StageEventKind.INITIAL,
          toStage: 'SIGNED' as const,
          occurredOn: new Date('2025-06-01'),
          actor: 'test',
        })),
      });
      const after = await statementsFor<DashboardCount>(DASHBOARD);
      console.info(
        `[${engine}] dashboard: ${before.statements.length} statements, ${after.statements.length} with 100 more projects`,
      );
      expect(after.statements.length).toBe(before.statements.length);
      expect(after.data.dashboard.projects.count).toBe(before.data.dashboard.projects.count + 100);
      // No statement loads every project or every event: projects by stage, by park and by the
      // year each stage was reached come from the tallies the database keeps, funding and the
      // reached years are summed by grouped SQL.
      for (const tally of ['ProjectStageTally', 'ProjectParkTally', 'ProjectStageReachYear'])
        expect(
          after.statements.some((s) => s.includes(`"${tally}"`)),
          tally,
        ).toBe(true);
      const grouped = after.statements.filter((s) => /GROUP BY/i.test(s));
      expect(grouped.length).toBeGreaterThanOrEqual(2);
    });

    it('should answer the columns of the parks the dashboard loaded from those rows, not load them again', async () => {
      // The dashboard computes every part whatever is selected, so the two differ only in what
      // the parks' columns cost (src/schema/loaded-columns.ts).
      const without = await statementsFor(
        `{ dashboard(year: 2025) { parks { projects { count } } } }`,
      );
      const withColumns = await statementsFor<{
        dashboard: { parks: { park: { name: string; code: string } }[] };
      }>(`{ dashboard(year: 2025) { parks { park { name code } projects { count } } } }`);
      console.info(
        `[${engine}] dashboard parks: ${without.statements.length} statements, ${withColumns.statements.length} with each park's name and code`,
      );
      expect(withColumns.data.dashboard.parks.length).toBeGreaterThan(0);
      for (const { park } of withColumns.data.dashboard.parks) expect(park.name).toBeTruthy();
      expect(withColumns.statements.length).toBe(without.statements.length);
    });
  });
  describe('subscription fan-out', () => {
    /**
     * Subscribes `plain` clients without a filter and `filtered` with one stage filter, changes
     * one project's stage, waits for every delivery and returns the statements sent from the
     * change to the last delivery (the mutation's own included).
     */
    async function deliveryStatements(plain: number, filtered: number, toStage: ProjectStage) {
      const [project] = await hub.db.prisma.project.findMany({
        where: { code: 'NPLUS1-D-0' },
        select: { id: true },
      });
      const globalId = Buffer.from(`Project:${project!.id}`).toString('base64');
      const subs: TestSubscription<StageEventData>[] = [];
      try {
        for (let i = 0; i < plain + filtered; i++) {
          const variables = i < plain ? {} : { filter: { stage: [toStage] } };
          subs.push(
            await subscribeWs<StageEventData>(hub.url, STAGE_CHANGED, variables, {
              label: `sub ${i}`,
            }),
          );
        }
        await waitUntil(
          () => hub.app.stageTail.size === plain + filtered,
          'every subscription to join the log tail',
        );
        hub.log.reset();
        const sequence = await advance(hub, globalId, toStage);
        for (const sub of subs) {
          const [event] = await sub.recorder.waitForResults(1);
          expect(event!.errors).toBeUndefined();
          expect(event!.data!.projectStageChanged).toMatchObject({
            sequence,
            toStage,
            project: { code: 'NPLUS1-D-0' },
          });
        }
        return [...hub.log.statements];
      } finally {
        await Promise.all(subs.map((s) => s.dispose()));
        await waitUntil(() => hub.app.stageTail.size === 0, 'every subscription to leave');
      }
    }

    it('should read each event and run each distinct subscription once, whatever the number of subscribers', async () => {
      const few = await deliveryStatements(2, 1, 'LANDED');
      const many = await deliveryStatements(30, 10, 'APPROVED');
      console.info(
        `[${engine}] one stage change: ${few.length} statements for 3 subscribers, ${many.length} for 40`,
      );
      expect(many.length).toBe(few.length);
      // The log is read once, the filter matched once, and each of the two distinct operations
      // re-reads the event with its project once.
      expect(
        many.filter((s) => /"ProjectStageEvent"/.test(s) && /"sequence" > /.test(s)),
      ).toHaveLength(1);
    });
  });
});
