/**
 * The dashboard cache (src/realtime/dashboard-cache.ts): a year's dashboard is computed once and
 * served until a change is heard. A write through the hub shows in the writer's next read; a
 * write past the hub shows after the cache's maximum age; a second server sharing the bus drops
 * its copy too. A stage change re-reads only the part it moves (the funnel, the total, the last
 * changes), other writes the part they move, and every dashboard equals one computed afresh.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StageEventKind } from '../src/generated/prisma/client.ts';
import { currentYear, RECENT_STAGE_CHANGES } from '../src/services/dashboard.ts';
import { heldBusPair } from './helpers/bus.ts';
import { testClock } from './helpers/clock.ts';
import { createTestPark, createTestProjects } from './helpers/fixtures.ts';
import { advance } from './helpers/operations.ts';
import { openLoggedDatabase, type QueryLog } from './helpers/query-log.ts';
import { startTestHub, type TestHub } from './helpers/server.ts';

/** Long enough never to pass by itself during the suite: tests move `clock` past it. */
const MAX_AGE_MS = 60_000;
const clock = testClock();

const DASHBOARD = /* GraphQL */ `
  query D($year: Int) {
    dashboard(year: $year) {
      year
      generatedAt
      projects { count }
      stageFunnel { stage current { count } reached { count } }
      recentStageChanges { sequence }
    }
  }`;

const RECORD_AWARD = /* GraphQL */ `
  mutation Record($input: RecordFundingAwardInput!) {
    recordFundingAward(input: $input) { __typename ... on Error { message } }
  }`;

const UPDATE_PROJECT = /* GraphQL */ `
  mutation Update($input: UpdateProjectInput!) {
    updateProject(input: $input) { __typename ... on Error { message } }
  }`;

describe('dashboard cache', () => {
  let db: Awaited<ReturnType<typeof openLoggedDatabase>>['db'];
  let log: QueryLog;
  let hub: TestHub;
  let other: TestHub;
  let fresh: TestHub;
  // Two servers' buses, as on one Redis: each server hears its own writes at once, the other
  // only when the test releases what is held (a slow bus).
  const {
    buses: [bus, otherBus],
    release,
  } = heldBusPair();

  beforeAll(async () => {
    ({ db, log } = await openLoggedDatabase('pglite', { seeded: true }));
    hub = await startTestHub({
      db,
      pubsub: bus,
      env: { HUB_CACHE_MS: String(MAX_AGE_MS) },
      app: { now: clock.now },
      listen: false,
    });
    // A second server on the same database and bus, keeping dashboards for up to ten minutes.
    other = await startTestHub({
      db,
      pubsub: otherBus,
      env: { HUB_CACHE_MS: '600000' },
      listen: false,
    });
    // A third that keeps nothing: every dashboard computed from the rows.
    fresh = await startTestHub({ db, env: { HUB_CACHE_MS: '0' }, listen: false });
  });
  afterAll(async () => {
    await fresh?.close();
    await other?.close();
    await hub?.close();
    await Promise.all([bus.close(), otherBus.close()]);
    await db?.close();
  });

  // The current year: its recent changes include one made today.
  const read = async (target: TestHub, year = currentYear()) => {
    const res = await target.gql(DASHBOARD, { year });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return res.data!.dashboard as {
      generatedAt: string;
      projects: { count: number };
      stageFunnel: { stage: string; current: { count: number } }[];
      recentStageChanges: { sequence: string }[];
    };
  };
  const current = (d: Awaited<ReturnType<typeof read>>, stage: string) =>
    d.stageFunnel.find((s) => s.stage === stage)!.current.count;

  it('should compute a year once and serve it again without aggregating', async () => {
    const first = await log.measure(() => read(hub, 2024));
    const again = await log.measure(() => read(hub, 2024));
    // Aggregating: grouped sums, and reads of the tallies the database keeps.
    const aggregating = (statements: string[]) =>
      statements.filter((s) => /GROUP BY|"Project(Stage|Park)Tally"/i.test(s));
    expect(aggregating(first.statements).length).toBeGreaterThanOrEqual(3);
    expect(aggregating(again.statements)).toEqual([]);
    expect(again.statements.length).toBeLessThan(first.statements.length);
    expect(again.result).toEqual(first.result);
  });

  it('should show a stage change to the writer at once, and to another server through the bus', async () => {
    const [p] = await createTestProjects(db.prisma, 1, { prefix: 'CACHE' });
    const before = await read(hub);
    const beforeOther = await read(other);
    const sequence = await advance(hub, p!.globalId, 'SIGNED');
    const after = await read(hub);
    expect(after.recentStageChanges[0]!.sequence).toBe(sequence);
    expect(current(after, 'SIGNED')).toBe(current(before, 'SIGNED') + 1);
    expect(after.generatedAt > before.generatedAt).toBe(true);
    // The other server keeps its copy (for up to ten minutes) until the bus delivers the change.
    expect(await read(other)).toEqual(beforeOther);
    release();
    const afterOther = await read(other);
    expect(afterOther.recentStageChanges[0]!.sequence).toBe(sequence);
    expect(current(afterOther, 'SIGNED')).toBe(current(beforeOther, 'SIGNED') + 1);
  });

  it('should show a write made past the hub once the maximum age has passed', async () => {
    const before = await read(hub);
    // Straight into the database: no notification on the bus.
    const project = await db.prisma.project.create({
      data: { code: 'CACHE-SQL-1', name: '缓存测试', stage: 'PLANNED' },
    });
    await db.prisma.projectStageEvent.create({
      data: {
        projectId: project.id,
        kind: StageEventKind.INITIAL,
        toStage: 'PLANNED',
        occurredOn: new Date('2025-05-01'),
        actor: 'test',
      },
    });
    expect((await read(hub)).projects.count).toBe(before.projects.count);
    clock.advance(MAX_AGE_MS + 1);
    expect((await read(hub)).projects.count).toBe(before.projects.count + 1);
  });

  /** Everything a dashboard shows but the time it was read. */
  const WHOLE = /* GraphQL */ `
    query Whole($year: Int) {
      dashboard(year: $year) {
        year
        projects { count plannedInvestment plannedInvestmentKnownCount }
        stageFunnel {
          stage
          current { count plannedInvestment plannedInvestmentKnownCount }
          reached { count plannedInvestment plannedInvestmentKnownCount }
          reachedInYear { count plannedInvestment plannedInvestmentKnownCount }
        }
        targets { target { id code } actualValue targetValue computedRate reportedRate }
        funding { sourceLevel amount reportedAmount awardedAmount awardCount mayOverlap }
        logistics { channel { id } latestObservations { id value } latestNationalRank { id } }
        parks {
          park { id name }
          projects { count plannedInvestment plannedInvestmentKnownCount }
          latestSnapshot { id }
          latestFacilitySnapshots { id }
        }
        recentStageChanges { id sequence toStage project { id name plannedInvestment } }
        figures { id value }
      }
    }`;
  const whole = async (target: TestHub, year: number) => {
    const res = await target.gql(WHOLE, { year });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return res.data!.dashboard as Record<string, unknown>;
  };
  /** Statements that read the year part: targets, funding, logistics, parks, figures. */
  const readsYearPart = (statements: string[]) =>
    statements.filter((s) =>
      /"(Target|FundingAward|LogisticsObservation|ParkSnapshot|ReportedFigure|ProjectParkTally)"/.test(
        s,
      ),
    );
  const readsPipeline = (statements: string[]) =>
    statements.filter((s) => /"Project(Stage)?(Tally|ReachYear)"/.test(s) && !/ParkTally/.test(s));

  it('should re-read after a stage change only what a stage change moves, and equal a dashboard computed afresh', async () => {
    const year = currentYear();
    const [p] = await createTestProjects(db.prisma, 1, { prefix: 'PART' });
    clock.advance(MAX_AGE_MS + 1);
    await whole(hub, year);
    const cached = await log.measure(() => whole(hub, year));
    expect(cached.statements).toEqual([]);

    await advance(hub, p!.globalId, 'SIGNED');
    const after = await log.measure(() => whole(hub, year));
    expect(readsPipeline(after.statements).length).toBeGreaterThan(0);
    expect(readsYearPart(after.statements)).toEqual([]);
    expect(after.result).toEqual(await whole(fresh, year));
    expect(after.result).not.toEqual(cached.result);
  });

  it('should re-read the year part after a funding award and a project edit, and equal a dashboard computed afresh', async () => {
    const year = currentYear();
    const park = await createTestPark(db.prisma, 'part-park');
    const [p] = await createTestProjects(db.prisma, 1, { prefix: 'PARU' });
    // Both written past the hub: let what it kept expire.
    clock.advance(MAX_AGE_MS + 1);
    await whole(hub, year);
    expect((await log.measure(() => whole(hub, year))).statements).toEqual([]);

    const award = await hub.gql<{ recordFundingAward: { __typename: string } }>(RECORD_AWARD, {
      input: {
        projectId: p!.globalId,
        sourceLevel: 'DISTRICT',
        amount: '7.5',
        year,
        awardedOn: `${year}-01-01`,
      },
    });
    expect(award.data?.recordFundingAward.__typename).toBe('RecordFundingAwardSuccess');
    const afterAward = await log.measure(() => whole(hub, year));
    expect(readsYearPart(afterAward.statements).length).toBeGreaterThan(0);
    expect(afterAward.result).toEqual(await whole(fresh, year));

    // Into the park, with a planned investment: the park's count and the funnel's sums move.
    const edit = await hub.gql<{ updateProject: { __typename: string } }>(UPDATE_PROJECT, {
      input: { id: p!.globalId, parkId: park.globalId, plannedInvestment: '1234.50' },
    });
    expect(edit.data?.updateProject.__typename).toBe('UpdateProjectSuccess');
    const afterEdit = await log.measure(() => whole(hub, year));
    expect(readsYearPart(afterEdit.statements).length).toBeGreaterThan(0);
    expect(readsPipeline(afterEdit.statements).length).toBeGreaterThan(0);
    expect(afterEdit.result).toEqual(await whole(fresh, year));
    expect(afterEdit.result).not.toEqual(afterAward.result);
  });

  it('should answer a new selection of a kept dashboard from its rows, and load only what they do not hold', async () => {
    const year = currentYear();
    await whole(hub, year);
    // Another selection of the same kept dashboard: the response cache has no answer for it.
    const rows = /* GraphQL */ `
      query Rows($year: Int) {
        dashboard(year: $year) {
          parks { park { id code name kind } }
          recentStageChanges { id sequence kind occurredOn project { id code name stage } }
        }
      }`;
    const served = await log.measure(() => hub.gql(rows, { year }));
    expect(served.statements).toEqual([]);
    expect(served.result).toEqual(await fresh.gql(rows, { year }));
    // What the kept rows do not hold (a park's facilities) is loaded, in one statement per list.
    const deeper = /* GraphQL */ `
      query Deeper($year: Int) {
        dashboard(year: $year) {
          parks { park { id facilities { id code } } }
          recentStageChanges { id project { id park { id code } } }
        }
      }`;
    const loaded = await log.measure(() => hub.gql(deeper, { year }));
    expect(loaded.result.errors).toBeUndefined();
    expect(loaded.statements.length).toBeGreaterThan(0);
    expect(loaded.statements.length).toBeLessThanOrEqual(2);
    expect(loaded.result).toEqual(await fresh.gql(deeper, { year }));
    // The same rows as the kept ones.
    type Rows = {
      dashboard: { parks: { park: { id: string } }[]; recentStageChanges: { id: string }[] };
    };
    const ids = (answer: { data?: unknown }) => {
      const { parks, recentStageChanges } = (answer.data as Rows).dashboard;
      return [parks.map((p) => p.park.id), recentStageChanges.map((e) => e.id)];
    };
    expect(ids(loaded.result)).toEqual(ids(served.result));
    expect(ids(loaded.result)[1]).toHaveLength(RECENT_STAGE_CHANGES);
  });

  it("should re-read every kept year's pipeline in one statement after a stage change, each equal to one computed afresh", async () => {
    const years = [2024, 2025, currentYear()];
    const [p] = await createTestProjects(db.prisma, 1, { prefix: 'PARV' });
    clock.advance(MAX_AGE_MS + 1);
    for (const year of years) await whole(hub, year);
    await advance(hub, p!.globalId, 'SIGNED');
    const first = await log.measure(() => whole(hub, years[0]!));
    expect(readsPipeline(first.statements)).toHaveLength(1);
    expect(first.result).toEqual(await whole(fresh, years[0]!));
    for (const year of years.slice(1)) {
      const next = await log.measure(() => whole(hub, year));
      expect(next.statements, String(year)).toEqual([]);
      expect(next.result).toEqual(await whole(fresh, year));
    }
  });
});
