/**
 * What a write drops from the response cache (src/response-cache.ts): the answers that read what
 * it touched, and nothing else. A write to project A never leaves a stale answer that read A (its
 * page, `node`, a list A moved into, the dashboard, the funding totals), on the server that wrote
 * it and on another that heard it through the bus; an answer that did not read A (another
 * project's `node`, a page without A) stays in memory and is served without a statement.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prisma } from '../src/generated/prisma/client.ts';
import { ChangeWatch } from '../src/realtime/change-watch.ts';
import { createMemoryPubSub, type HubPubSub } from '../src/realtime/event-bus.ts';
import { ChangeScopedCache } from '../src/response-cache.ts';
import { heldBusPair } from './helpers/bus.ts';
import { createTestProjects, type TestProject } from './helpers/fixtures.ts';
import { advance } from './helpers/operations.ts';
import { openLoggedDatabase, type QueryLog } from './helpers/query-log.ts';
import { redisNamespace, redisSkipReason, testRedisBus } from './helpers/redis.ts';
import { startTestHub, type TestHub } from './helpers/server.ts';

const PAGE = /* GraphQL */ `
  query Page($first: Int!) {
    projects(first: $first) { totalCount edges { node { id code stage } } }
  }`;

const AT_STAGE = /* GraphQL */ `
  query AtStage($stage: ProjectStage!) {
    projects(filter: { stage: [$stage] }) { totalCount edges { node { id code } } }
  }`;

const NODE = /* GraphQL */ `
  query Node($id: ID!) {
    node(id: $id) { ... on Project { id code stage fundingAwards { id code amount } } }
  }`;

const DASHBOARD = /* GraphQL */ `
  query Dashboard($year: Int) {
    dashboard(year: $year) { stageFunnel { stage current { count } } funding { sourceLevel amount } }
  }`;

const TOTALS = /* GraphQL */ `
  query Totals($year: Int) { fundingTotals(year: $year) { sourceLevel amount awardCount } }`;

const RECORD_AWARD = /* GraphQL */ `
  mutation Record($input: RecordFundingAwardInput!) {
    recordFundingAward(input: $input) { __typename ... on Error { message } }
  }`;

type Json = Record<string, unknown>;

/**
 * One server writes, another (or the same) reads: `heard` returns once the reader has heard
 * every write made so far.
 */
interface Servers {
  writer: () => TestHub;
  reader: () => TestHub;
  log: () => QueryLog;
  /** Three projects, B, another and A, the last created: a page ending at B leaves A out. */
  projects: () => TestProject[];
  /** How many projects there are up to B, and up to A, in id order (the default page order). */
  pages: { withoutA: number; withA: number };
  heard: () => Promise<void>;
}

function writesDropOnlyWhatTheyTouch(servers: Servers): void {
  const { withoutA, withA } = servers.pages;
  const read = async (query: string, variables: Json): Promise<Json> => {
    const res = await servers.reader().gql(query, variables);
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return res.data!;
  };
  /** An answer served from memory: no statement, and the answer it gave before. */
  const expectKept = async (query: string, variables: Json, before: Json) => {
    const { result, statements } = await servers.log().measure(() => read(query, variables));
    expect(statements).toEqual([]);
    expect(result).toEqual(before);
  };
  const funnelCount = (dashboard: Json, stage: string) =>
    (
      (dashboard.dashboard as { stageFunnel: { stage: string; current: { count: number } }[] })
        .stageFunnel as { stage: string; current: { count: number } }[]
    ).find((step) => step.stage === stage)!.current.count;
  const district = (totals: Json) =>
    (totals.fundingTotals as { sourceLevel: string; awardCount: number }[]).find(
      (t) => t.sourceLevel === 'DISTRICT',
    )?.awardCount ?? 0;

  const districtFunding = (dashboard: Json) =>
    new Prisma.Decimal(
      (dashboard.dashboard as { funding: { sourceLevel: string; amount: string }[] }).funding.find(
        (f) => f.sourceLevel === 'DISTRICT',
      )?.amount ?? 0,
    );

  it('should drop what a stage change of A touched, and keep what did not read A', async () => {
    const [b, , a] = servers.projects() as [TestProject, TestProject, TestProject];
    const pageWithA = await read(PAGE, { first: withA });
    const pageWithoutA = await read(PAGE, { first: withoutA });
    const signed = await read(AT_STAGE, { stage: 'SIGNED' });
    const nodeA = await read(NODE, { id: a.globalId });
    const nodeB = await read(NODE, { id: b.globalId });
    const dashboard = await read(DASHBOARD, { year: 2025 });
    // Kept: asked again, each is answered from memory.
    await expectKept(PAGE, { first: withA }, pageWithA);
    await expectKept(NODE, { id: a.globalId }, nodeA);
    await expectKept(DASHBOARD, { year: 2025 }, dashboard);

    await advance(servers.writer(), a.globalId, 'SIGNED');
    await servers.heard();

    const edges = ((await read(PAGE, { first: withA })).projects as { edges: Json[] }).edges;
    expect(edges.at(-1)).toEqual({ node: { id: a.globalId, code: a.code, stage: 'SIGNED' } });
    expect((await read(NODE, { id: a.globalId })).node).toMatchObject({ stage: 'SIGNED' });
    // A list A moved into, and the dashboard's counts.
    const signedNow = (await read(AT_STAGE, { stage: 'SIGNED' })).projects as Json;
    expect(signedNow.totalCount).toBe(((signed.projects as Json).totalCount as number) + 1);
    expect(JSON.stringify(signedNow.edges)).toContain(a.code);
    const dashboardNow = await read(DASHBOARD, { year: 2025 });
    expect(funnelCount(dashboardNow, 'SIGNED')).toBe(funnelCount(dashboard, 'SIGNED') + 1);
    expect(funnelCount(dashboardNow, 'PLANNED')).toBe(funnelCount(dashboard, 'PLANNED') - 1);
    // What did not read A is still in memory.
    await expectKept(NODE, { id: b.globalId }, nodeB);
    await expectKept(PAGE, { first: withoutA }, pageWithoutA);
  });

  it('should drop on any change an answer that shows rows without their ids', async () => {
    const [b, , a] = servers.projects() as [TestProject, TestProject, TestProject];
    const nameOfB = /* GraphQL */ `query NameOfB($id: ID!) { node(id: $id) { ... on Project { name } } }`;
    const before = await read(nameOfB, { id: b.globalId });
    await expectKept(nameOfB, { id: b.globalId }, before);
    await advance(servers.writer(), a.globalId, 'LANDED');
    await servers.heard();
    const { statements } = await servers.log().measure(() => read(nameOfB, { id: b.globalId }));
    expect(statements.length).toBeGreaterThan(0);
  });

  it('should drop the totals and the node a funding award of A changes, and keep the pages', async () => {
    const [b, , a] = servers.projects() as [TestProject, TestProject, TestProject];
    const totals = await read(TOTALS, { year: 2025 });
    const nodeA = await read(NODE, { id: a.globalId });
    const nodeB = await read(NODE, { id: b.globalId });
    const page = await read(PAGE, { first: withoutA });
    const dashboard = await read(DASHBOARD, { year: 2025 });
    await expectKept(TOTALS, { year: 2025 }, totals);
    await expectKept(DASHBOARD, { year: 2025 }, dashboard);

    const recorded = await servers
      .writer()
      .gql<{ recordFundingAward: { __typename: string } }>(RECORD_AWARD, {
        input: {
          projectId: a.globalId,
          sourceLevel: 'DISTRICT',
          amount: '12.5',
          year: 2025,
          awardedOn: '2025-03-01',
        },
      });
    expect(recorded.data?.recordFundingAward.__typename).toBe('RecordFundingAwardSuccess');
    await servers.heard();

    expect(district(await read(TOTALS, { year: 2025 }))).toBe(district(totals) + 1);
    // The dashboard's funding (kept apart from its funnel, which a stage change re-reads).
    expect(districtFunding(await read(DASHBOARD, { year: 2025 }))).toEqual(
      districtFunding(dashboard).plus('12.5'),
    );
    const awards = ((await read(NODE, { id: a.globalId })).node as Json).fundingAwards;
    expect(awards).toHaveLength(((nodeA.node as Json).fundingAwards as unknown[]).length + 1);
    await expectKept(NODE, { id: b.globalId }, nodeB);
    // A page without A shows no funding of A: it stays in memory.
    await expectKept(PAGE, { first: withoutA }, page);
  });
}

describe('response cache: a write drops only what it touched', () => {
  it('should refuse an answer whose reads began before a change to what it read, and keep others', async () => {
    const watch = new ChangeWatch(createMemoryPubSub());
    expect(watch.watching()).toBe(true);
    const cache = new ChangeScopedCache(watch);
    const showsA = `${watch.generation}:viewer:a`;
    const showsB = `${watch.generation}:viewer:b`;
    const listsAll = `${watch.generation}:viewer:all`;
    const request = new Request('http://hub/graphql');
    expect(await cache.claim(request, 'viewer', 'all')).toBe(listsAll);
    cache.read(listsAll, ['Query.projects', 'Query.projects(filtered)']);
    watch.changed(null, ['Project:A', 'Query.projects(filtered)']);
    await cache.set(showsA, { data: { a: 1 } }, [{ typename: 'Project', id: 'A' }], 60_000);
    await cache.set(showsB, { data: { b: 1 } }, [{ typename: 'Project', id: 'B' }], 60_000);
    await cache.set(listsAll, { data: { all: 1 } }, [{ typename: 'Project', id: 'B' }], 60_000);
    expect((await cache.get(showsA)) ?? null).toBeNull();
    expect(await cache.get(showsB)).toEqual({ data: { b: 1 } });
    // It read the filtered lists' root field: the change touched it.
    expect((await cache.get(listsAll)) ?? null).toBeNull();
    // Kept answers go when a change touches them, and only then.
    watch.changed(null, ['Project:C']);
    expect(await cache.get(showsB)).toEqual({ data: { b: 1 } });
    watch.changed(null, ['Project:B']);
    expect((await cache.get(showsB)) ?? null).toBeNull();
    watch.close();
  });

  describe('on one server, and on another through the bus', () => {
    let db: Awaited<ReturnType<typeof openLoggedDatabase>>['db'];
    let log: QueryLog;
    let writer: TestHub;
    let other: TestHub;
    let projects: TestProject[];
    const {
      buses: [bus, otherBus],
      release,
    } = heldBusPair();
    beforeAll(async () => {
      ({ db, log } = await openLoggedDatabase('pglite'));
      projects = await createTestProjects(db.prisma, 3, { prefix: 'INV' });
      // Every answer kept from its first request: these tests are about what a write drops.
      const env = { HUB_CACHE_MS: '600000', HUB_CACHE_MIN_USES: '1' };
      writer = await startTestHub({ db, pubsub: bus, env, listen: false });
      other = await startTestHub({ db, pubsub: otherBus, env, listen: false });
    });
    afterAll(async () => {
      await other?.close();
      await writer?.close();
      await Promise.all([bus.close(), otherBus.close()]);
      await db?.close();
    });

    describe('the writer reading', () => {
      writesDropOnlyWhatTheyTouch({
        writer: () => writer,
        reader: () => writer,
        log: () => log,
        projects: () => projects,
        pages: { withoutA: 1, withA: 3 },
        heard: async () => undefined,
      });
    });
    describe('another server reading', () => {
      writesDropOnlyWhatTheyTouch({
        writer: () => writer,
        reader: () => other,
        log: () => log,
        // The writer's tests have moved the first three on: three more.
        projects: () => later,
        pages: { withoutA: 4, withA: 6 },
        heard: async () => release(),
      });
      let later: TestProject[];
      beforeAll(async () => {
        later = await createTestProjects(db.prisma, 3, { prefix: 'INW' });
        // The other server hears the writer's earlier writes first.
        release();
      });
    });
  });

  const reason = redisSkipReason(true);
  (reason ? describe.skip : describe)('on two servers sharing one Redis', () => {
    const namespace = redisNamespace();
    let db: Awaited<ReturnType<typeof openLoggedDatabase>>['db'];
    let log: QueryLog;
    let busA: HubPubSub;
    let busB: HubPubSub;
    let a: TestHub;
    let b: TestHub;
    let projects: TestProject[];
    /** Changes server B has heard through Redis (after its own caches, which listened first). */
    let heardOnB = 0;
    let written = 0;
    let onHeard: (() => void) | undefined;
    beforeAll(async () => {
      ({ db, log } = await openLoggedDatabase('postgres'));
      projects = await createTestProjects(db.prisma, 3, { prefix: 'INR' });
      busA = testRedisBus(namespace, 'a');
      busB = testRedisBus(namespace, 'b');
      await Promise.all([busA.ready(), busB.ready()]);
      // Every answer kept from its first request: these tests are about what a write drops.
      const env = { HUB_CACHE_MIN_USES: '1' };
      a = await startTestHub({ db, pubsub: busA, env, listen: false });
      b = await startTestHub({ db, pubsub: busB, env, listen: false });
      // B's response cache starts listening on its first cached request; the test's listeners
      // are added after that, so they hear each change after the cache has.
      await b.gql(PAGE, { first: 1 });
      const count = () => {
        heardOnB += 1;
        onHeard?.();
      };
      for (const topic of ['stageChanged', 'dataChanged'] as const) {
        busB.listen(topic, { onEvent: count, onLost: () => undefined });
        busA.listen(topic, { onEvent: () => (written += 1), onLost: () => undefined });
      }
    });
    afterAll(async () => {
      await b?.close();
      await a?.close();
      await Promise.all([busA?.close(), busB?.close()]);
      await db?.close();
    });

    writesDropOnlyWhatTheyTouch({
      writer: () => a,
      reader: () => b,
      log: () => log,
      projects: () => projects,
      pages: { withoutA: 1, withA: 3 },
      heard: () =>
        new Promise<void>((resolve) => {
          onHeard = () => {
            if (heardOnB >= written) resolve();
          };
          onHeard();
        }),
    });
  });
});
