/**
 * Pipeline analytics through the public API, computed by hand on a small log with known dates:
 * `stageChangeTrend` (stage changes per week or month, by stage reached, on the day each happened;
 * coarse dates counted at the end of their period) and `stalledProjects` / `Project.daysAtStage`
 * (how long projects have not moved; suspended, cancelled and finished ones left out). Also: one
 * SQL statement per trend and two per stalled page, whatever the data; bad arguments are clear
 * errors; a stage change shows at once although answers are cached.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StageEventKind } from '../src/generated/prisma/client.ts';
import { districtToday } from '../src/services/stage-log.ts';
import { describeEachEngine } from './helpers/db.ts';
import { advance } from './helpers/operations.ts';
import { type QueryLog, startLoggedHub } from './helpers/query-log.ts';
import type { TestHub } from './helpers/server.ts';
import { createProjectWithHistory, type Step } from './helpers/stage-history.ts';

const DAY = 86_400_000;
const today = districtToday();
const iso = (d: Date) => d.toISOString().slice(0, 10);
/** The district day `n` days before today. */
const ago = (n: number) => iso(new Date(today.getTime() - n * DAY));
/** The first day of the month `n` months before this one, and the last day of that month. */
const monthAgo = (n: number) =>
  new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - n, 1));
const monthEndAgo = (n: number) =>
  new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - n + 1, 0));

const { INITIAL, ADVANCE, SUSPEND, RESUME, CANCEL, CORRECTION } = StageEventKind;

/**
 * The trend's log, in March 2025. Weeks run Monday to Sunday: 03-03..09, 03-10..16, 03-17..23,
 * 03-24..30, and 03-31 alone when the period ends on 31 March.
 */
const TREND_LOG: Record<string, { park: 'A' | 'B'; steps: Step[] }> = {
  'T-1': {
    park: 'A',
    steps: [
      [INITIAL, 'PLANNED', '2025-02-20'],
      [ADVANCE, 'SIGNED', '2025-03-04'],
      [ADVANCE, 'LANDED', '2025-03-12'],
    ],
  },
  // Approved "in March 2025": counts on 31 March, an estimate in a weekly trend.
  'T-2': {
    park: 'A',
    steps: [
      [INITIAL, 'SIGNED', '2025-02-03'],
      [ADVANCE, 'APPROVED', '2025-03-01', 'MONTH'],
    ],
  },
  'T-3': {
    park: 'B',
    steps: [
      [INITIAL, 'PLANNED', '2025-01-10'],
      [ADVANCE, 'SIGNED', '2025-03-10'],
      [SUSPEND, 'SUSPENDED', '2025-03-20'],
      [RESUME, 'SIGNED', '2025-03-27'],
    ],
  },
  'T-4': {
    park: 'A',
    steps: [
      [INITIAL, 'NEGOTIATING', '2025-03-06'],
      [CORRECTION, 'PLANNED', '2025-03-07'],
      [CANCEL, 'CANCELLED', '2025-03-25'],
    ],
  },
  // Under construction "in Q1 2025": counts on 31 March, an estimate in weekly and monthly trends.
  'T-5': {
    park: 'A',
    steps: [
      [INITIAL, 'REGISTERED', '2024-12-01'],
      [ADVANCE, 'UNDER_CONSTRUCTION', '2025-01-01', 'QUARTER'],
    ],
  },
  // Negotiating "in February" (28 Feb), signed on the Sunday before the first week: outside the weeks.
  'T-6': {
    park: 'A',
    steps: [
      [INITIAL, 'PLANNED', '2025-01-05'],
      [ADVANCE, 'NEGOTIATING', '2025-02-01', 'MONTH'],
      [ADVANCE, 'SIGNED', '2025-03-02'],
    ],
  },
};

/** The stalled-projects log, relative to today. */
const STALL_LOG: Record<string, { park: 'A' | 'B'; steps: Step[] }> = {
  'S-1': { park: 'A', steps: [[INITIAL, 'PLANNED', ago(200)]] },
  'S-2': {
    park: 'B',
    steps: [
      [INITIAL, 'SIGNED', ago(300)],
      [ADVANCE, 'LANDED', ago(45)],
    ],
  },
  'S-3': {
    park: 'A',
    steps: [
      [INITIAL, 'SIGNED', ago(300)],
      [SUSPEND, 'SUSPENDED', ago(250)],
    ],
  },
  'S-4': {
    park: 'A',
    steps: [
      [INITIAL, 'SIGNED', ago(420)],
      [CANCEL, 'CANCELLED', ago(400)],
    ],
  },
  'S-5': { park: 'A', steps: [[INITIAL, 'AT_CAPACITY', ago(500)]] },
  // Suspended for months, resumed ten days ago: it moved ten days ago.
  'S-6': {
    park: 'B',
    steps: [
      [INITIAL, 'SIGNED', ago(300)],
      [SUSPEND, 'SUSPENDED', ago(200)],
      [RESUME, 'SIGNED', ago(10)],
    ],
  },
  // Approved "four months ago" (the month only): not moved since that month's last day.
  'S-7': {
    park: 'A',
    steps: [
      [INITIAL, 'LANDED', ago(400)],
      [ADVANCE, 'APPROVED', iso(monthAgo(4)), 'MONTH'],
    ],
  },
  'S-8': { park: 'B', steps: [[INITIAL, 'TENDERED', ago(5)]] },
};

const S7_DAYS = Math.round((today.getTime() - monthEndAgo(4).getTime()) / DAY);

const TREND = /* GraphQL */ `
  query Trend($interval: TrendInterval, $from: Date, $to: Date, $filter: ProjectFilter, $kinds: [StageEventKind!]) {
    stageChangeTrend(interval: $interval, from: $from, to: $to, filter: $filter, kinds: $kinds) {
      interval from to kinds total estimatedCount
      buckets { start end count estimatedCount byStage { stage count } }
    }
  }`;

const STALLED = /* GraphQL */ `
  query Stalled($minDays: Int, $filter: ProjectFilter, $first: Int, $after: String) {
    stalledProjects(minDays: $minDays, filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { code stage stageSince daysAtStage park { code } stageHistory(last: 1) { edges { node { occurredOn occurredPrecision } } } } }
    }
  }`;

interface Bucket {
  start: string;
  end: string;
  count: number;
  estimatedCount: number;
  byStage: { stage: string; count: number }[];
}

interface Trend {
  interval: string;
  from: string;
  to: string;
  kinds: string[];
  total: number;
  estimatedCount: number;
  buckets: Bucket[];
}

interface StalledNode {
  code: string;
  stage: string;
  stageSince: string;
  daysAtStage: number;
  park: { code: string };
  stageHistory: { edges: { node: { occurredOn: string; occurredPrecision: string } }[] };
}

interface StalledPage {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { node: StalledNode }[];
}

describeEachEngine('pipeline analytics', (engine) => {
  let hub: TestHub & { log: QueryLog };
  const parks: Record<'A' | 'B', string> = { A: '', B: '' };
  const projects = new Map<string, string>();

  async function run<T>(query: string, variables: Record<string, unknown>) {
    const res = await hub.gql<T>(query, variables);
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return res.data!;
  }
  const trend = async (variables: Record<string, unknown>) =>
    (await run<{ stageChangeTrend: Trend }>(TREND, variables)).stageChangeTrend;
  const stalled = async (variables: Record<string, unknown>) =>
    (await run<{ stalledProjects: StalledPage }>(STALLED, variables)).stalledProjects;
  const codes = (page: StalledPage) => page.edges.map((e) => e.node.code);

  beforeAll(async () => {
    hub = await startLoggedHub(engine, {}, { seeded: false, listen: false });
    const prisma = hub.db.prisma;
    for (const code of ['A', 'B'] as const) {
      const park = await prisma.park.create({
        data: { code: `park-${code}`, name: `测试园区${code}`, kind: 'PARK' },
      });
      parks[code] = Buffer.from(`Park:${park.id}`).toString('base64');
    }
    const parkIds = Object.fromEntries(
      await Promise.all(
        (['A', 'B'] as const).map(async (c) => [
          c,
          (await prisma.park.findUniqueOrThrow({ where: { code: `park-${c}` } })).id,
        ]),
      ),
    );
    for (const [code, { park, steps }] of Object.entries({ ...TREND_LOG, ...STALL_LOG })) {
      const id = await createProjectWithHistory(
        prisma,
        { code, name: `项目${code}`, parkId: parkIds[park]! },
        steps,
      );
      projects.set(code, Buffer.from(`Project:${id}`).toString('base64'));
    }
    hub.log.reset();
  });

  afterAll(async () => {
    await hub?.close();
  });

  describe('stageChangeTrend', () => {
    const weeks = { from: '2025-03-05', to: '2025-03-31' };

    it('should count the moves of each week on the day they happened, by stage reached', async () => {
      const t = await trend(weeks);
      expect(t).toMatchObject({
        interval: 'WEEK',
        from: '2025-03-03',
        to: '2025-03-31',
        kinds: ['ADVANCE', 'SUSPEND', 'RESUME', 'CANCEL'],
      });
      const buckets = t.buckets;
      expect(buckets.map((b) => [b.start, b.end])).toEqual([
        ['2025-03-03', '2025-03-09'],
        ['2025-03-10', '2025-03-16'],
        ['2025-03-17', '2025-03-23'],
        ['2025-03-24', '2025-03-30'],
        ['2025-03-31', '2025-03-31'],
      ]);
      expect(buckets.map((b) => b.byStage)).toEqual([
        [{ stage: 'SIGNED', count: 1 }], // T-1 on 03-04 (T-6 on Sunday 03-02 is the week before)
        [
          { stage: 'SIGNED', count: 1 },
          { stage: 'LANDED', count: 1 },
        ], // T-3 on 03-10, T-1 on 03-12
        [{ stage: 'SUSPENDED', count: 1 }], // T-3 on 03-20
        [
          { stage: 'SIGNED', count: 1 },
          { stage: 'CANCELLED', count: 1 },
        ], // T-3 resumed 03-27, T-4 cancelled 03-25
        [
          { stage: 'APPROVED', count: 1 },
          { stage: 'UNDER_CONSTRUCTION', count: 1 },
        ], // T-2 "March", T-5 "Q1": both on 03-31
      ]);
      expect(buckets.map((b) => b.count)).toEqual([1, 2, 1, 2, 2]);
      expect(buckets.map((b) => b.estimatedCount)).toEqual([0, 0, 0, 0, 2]);
      expect(t.total).toBe(8);
      expect(t.estimatedCount).toBe(2);
    });

    it('should leave a coarse date out of the period when its period ends before it', async () => {
      // The same weeks, ending on Sunday 30 March: "March" and "Q1" end on the 31st.
      const t = await trend({ ...weeks, to: '2025-03-30' });
      expect(t.buckets).toHaveLength(4);
      expect(t.total).toBe(6);
      expect(t.estimatedCount).toBe(0);
    });

    it('should count by month, a month-precise date exactly and a quarter as an estimate', async () => {
      const t = await trend({ interval: 'MONTH', from: '2025-01-15', to: '2025-03-31' });
      expect(t.buckets.map((b) => [b.start, b.end, b.count, b.estimatedCount])).toEqual([
        ['2025-01-01', '2025-01-31', 0, 0],
        ['2025-02-01', '2025-02-28', 1, 0], // T-6 negotiating "in February"
        ['2025-03-01', '2025-03-31', 9, 1], // the eight weekly moves and T-6 on 03-02; T-5's quarter estimated
      ]);
    });

    it('should count the kinds asked for: the initial records and corrections', async () => {
      const t = await trend({ ...weeks, kinds: ['INITIAL', 'CORRECTION'] });
      expect(t.kinds).toEqual(['INITIAL', 'CORRECTION']);
      expect(t.buckets.map((b) => b.byStage)).toEqual([
        [
          { stage: 'PLANNED', count: 1 },
          { stage: 'NEGOTIATING', count: 1 },
        ], // T-4 recorded 03-06, corrected 03-07
        [],
        [],
        [],
        [],
      ]);
    });

    it('should apply the filter as the live feed does: a park, and a stage as moves into or out of it', async () => {
      const inB = await trend({ ...weeks, filter: { parkId: parks.B } });
      expect(inB.buckets.map((b) => b.count)).toEqual([0, 1, 1, 1, 0]);
      const signed = await trend({ ...weeks, filter: { stage: ['SIGNED'] } });
      // Into SIGNED: T-1 03-04, T-3 03-10 and 03-27; out of it: T-1 03-12, T-3 03-20, T-2 "March".
      expect(signed.buckets.map((b) => b.count)).toEqual([1, 2, 1, 1, 1]);
    });

    it('should default to the thirteen weeks up to today', async () => {
      const t = await trend({});
      expect(t.buckets).toHaveLength(13);
      expect(t.to).toBe(iso(today));
      const first = new Date(`${t.from}T00:00:00Z`);
      expect(first.getUTCDay()).toBe(1); // a Monday
      expect((today.getTime() - first.getTime()) / DAY).toBeGreaterThanOrEqual(84);
      expect((today.getTime() - first.getTime()) / DAY).toBeLessThan(91);
      // In the last 13 weeks: S-2 landed (45 days ago) and S-6 resumed (10 days ago), and S-7's
      // approval when the end of its month falls in the period.
      const s7 = monthEndAgo(4).getTime() >= first.getTime() ? 1 : 0;
      expect(t.total).toBe(2 + s7);
    });

    it('should refuse a period that ends before it starts, or one of more than 120 buckets, with a clear error', async () => {
      for (const [variables, message] of [
        [{ from: '2025-04-01', to: '2025-03-01' }, /must not be after/],
        [{ from: '2020-01-01', to: '2025-03-01' }, /at most 120 buckets/],
      ] as const) {
        const res = await hub.gql(TREND, variables);
        expect(res.data).toBeNull();
        expect(res.errors?.[0]?.message).toMatch(message);
        expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      }
    });
  });

  describe('stalledProjects', () => {
    it('should list the projects not moved for at least 30 days, longest first, with how long', async () => {
      const page = await stalled({ minDays: 30 });
      // The March 2025 projects first (T-6 03-02, T-1 03-12, T-3 03-27, T-2 and T-5 03-31), then S-1, S-7, S-2.
      expect(codes(page)).toEqual(['T-6', 'T-1', 'T-3', 'T-2', 'T-5', 'S-1', 'S-7', 'S-2']);
      expect(codes(page)).toEqual(expectedStalled(30));
      expect(page.totalCount).toBe(expectedStalled(30).length);
      const byCode = new Map(page.edges.map((e) => [e.node.code, e.node]));
      expect(byCode.get('S-1')).toMatchObject({
        stageSince: ago(200),
        daysAtStage: 200,
        stage: 'PLANNED',
      });
      expect(byCode.get('S-2')).toMatchObject({
        stageSince: ago(45),
        daysAtStage: 45,
        stage: 'LANDED',
      });
      // "Approved in that month": not moved since the month's last day; the event keeps its month.
      expect(byCode.get('S-7')).toMatchObject({
        stageSince: iso(monthEndAgo(4)),
        daysAtStage: S7_DAYS,
      });
      expect(byCode.get('S-7')!.stageHistory.edges[0]!.node).toEqual({
        occurredOn: iso(monthAgo(4)),
        occurredPrecision: 'MONTH',
      });
    });

    it('should leave out suspended, cancelled and finished projects, and count a resumed one from its resumption', async () => {
      const all = await stalled({ minDays: 0, first: 100 });
      const shown = codes(all);
      for (const code of ['S-3', 'S-4', 'S-5', 'T-4']) expect(shown).not.toContain(code);
      const byCode = new Map(all.edges.map((e) => [e.node.code, e.node]));
      expect(byCode.get('S-6')).toMatchObject({ stage: 'SIGNED', daysAtStage: 10 });
      expect(byCode.get('S-8')).toMatchObject({ daysAtStage: 5 });
      expect(shown.slice(-2)).toEqual(['S-6', 'S-8']);
      // Asked for by stage, suspended projects are listed with how long they have been suspended.
      const suspended = await stalled({ minDays: 0, filter: { stage: ['SUSPENDED'] } });
      expect(suspended.edges.map((e) => [e.node.code, e.node.daysAtStage])).toEqual([['S-3', 250]]);
    });

    it('should page oldest first and filter like projects', async () => {
      const first = await stalled({ minDays: 30, first: 2 });
      expect(codes(first)).toEqual(expectedStalled(30).slice(0, 2));
      expect(first.pageInfo.hasNextPage).toBe(true);
      const second = await stalled({ minDays: 30, first: 2, after: first.pageInfo.endCursor });
      expect(codes(second)).toEqual(expectedStalled(30).slice(2, 4));
      const inB = await stalled({ minDays: 0, filter: { parkId: parks.B } });
      expect(codes(inB)).toEqual(['T-3', 'S-2', 'S-6', 'S-8']);
      expect(inB.totalCount).toBe(4);
      expect(
        (await stalled({ minDays: 150, filter: { parkId: parks.B } })).edges.map(
          (e) => e.node.code,
        ),
      ).toEqual(['T-3']);
    });

    it('should refuse a negative or huge minDays with a clear error', async () => {
      for (const minDays of [-1, 40_000]) {
        const res = await hub.gql(STALLED, { minDays });
        expect(res.errors?.[0]?.message).toMatch(/minDays/);
        expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      }
    });

    it('should show a stage change at once: the project moved today leaves the stalled list', async () => {
      const before = await stalled({ minDays: 30 });
      expect(codes(before)).toContain('S-2');
      // The same query is answered from the response cache until a change is heard.
      await advance(hub, projects.get('S-2')!, 'APPROVED');
      // S-2 moved today.
      const after = await stalled({ minDays: 30 });
      expect(codes(after)).not.toContain('S-2');
      expect(after.totalCount).toBe(before.totalCount - 1);
      const zero = await stalled({ minDays: 0, filter: { nameContains: 'S-2' } });
      expect(zero.edges[0]!.node).toMatchObject({
        code: 'S-2',
        stage: 'APPROVED',
        stageSince: iso(today),
        daysAtStage: 0,
      });
      const t = await trend({});
      expect(t.buckets.at(-1)!.byStage).toContainEqual({ stage: 'APPROVED', count: 1 });
    });
  });

  describe('statement counts', () => {
    const shape = async (query: string, variables: Record<string, unknown>) => {
      const { result, statements } = await hub.log.measure(() => hub.gql(query, variables));
      expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
      return statements;
    };

    it('should read a trend in one statement and a stalled page in two, whatever the size of the log or the page', async () => {
      const trendBefore = await shape(TREND, {
        interval: 'MONTH',
        from: '2024-01-01',
        to: '2025-12-31',
      });
      const stalledSmall = await shape(STALLED, { minDays: 0, first: 2 });
      // Many more projects and events.
      const prisma = hub.db.prisma;
      const created = await prisma.project.createManyAndReturn({
        data: Array.from({ length: 150 }, (_, i) => ({
          code: `BULK-${i}`,
          name: `批量${i}`,
          stage: 'SIGNED' as const,
        })),
        select: { id: true },
      });
      await prisma.projectStageEvent.createMany({
        data: created.flatMap(({ id }, i) => [
          {
            projectId: id,
            kind: INITIAL,
            toStage: 'PLANNED' as const,
            occurredOn: new Date(Date.UTC(2025, i % 12, 1 + (i % 28))),
            actor: 'test',
          },
          {
            projectId: id,
            kind: ADVANCE,
            fromStage: 'PLANNED' as const,
            toStage: 'SIGNED' as const,
            occurredOn: new Date(Date.UTC(2025, 11, 28)),
            actor: 'test',
          },
        ]),
      });
      // Other variables than before: the rows above were written past the hub, so a kept answer stands.
      const trendAfter = await shape(TREND, {
        interval: 'MONTH',
        from: '2024-01-02',
        to: '2025-12-31',
      });
      const stalledLarge = await shape(STALLED, { minDays: 0, first: 100 });
      console.info(
        `[${engine}] stageChangeTrend: ${trendBefore.length} → ${trendAfter.length} statements; stalledProjects: ${stalledSmall.length} for 2, ${stalledLarge.length} for 100`,
      );
      expect(trendBefore).toHaveLength(1);
      expect(trendAfter).toHaveLength(1);
      expect(stalledSmall).toHaveLength(2);
      expect(stalledLarge).toHaveLength(2);
      // The bulk insert's trigger set every project's stageSince.
      expect(
        await prisma.project.count({
          where: { code: { startsWith: 'BULK-' }, stageSince: new Date(Date.UTC(2025, 11, 28)) },
        }),
      ).toBe(150);
    });
  });

  /** The stalled projects for `minDays`, oldest first, by hand. */
  function expectedStalled(minDays: number): string[] {
    const since: [string, number][] = [
      ['T-6', Date.UTC(2025, 2, 2)],
      ['T-1', Date.UTC(2025, 2, 12)],
      ['T-3', Date.UTC(2025, 2, 27)],
      ['T-2', Date.UTC(2025, 2, 31)],
      ['T-5', Date.UTC(2025, 2, 31)],
      ['S-1', today.getTime() - 200 * DAY],
      ['S-7', monthEndAgo(4).getTime()],
      ['S-2', today.getTime() - 45 * DAY],
      ['S-6', today.getTime() - 10 * DAY],
      ['S-8', today.getTime() - 5 * DAY],
    ];
    return since
      .filter(([, t]) => (today.getTime() - t) / DAY >= minDays)
      .sort((a, b) => a[1] - b[1] || projectOrder(a[0]) - projectOrder(b[0]))
      .map(([code]) => code);
  }
  /** Projects were created in the order of TREND_LOG then STALL_LOG: ties go by id. */
  function projectOrder(code: string): number {
    return [...Object.keys(TREND_LOG), ...Object.keys(STALL_LOG)].indexOf(code);
  }
});
