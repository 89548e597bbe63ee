/**
 * Pipeline analytics from the log, each figure computed by hand on a small log with known dates
 * (a month-precise landing, a suspended project that resumed, a project recorded straight at a
 * late stage, one that skipped a stage): the district as of a day (`projects(asOf:)`,
 * `dashboard(asOf:)`), how long stages take (`stageDurations`, calendar and mainland working
 * days), approvals against the 35-working-day promise (`approvalBreaches`), and the working-day
 * calendar an admin extends. Also: statement counts, clear errors on bad input, and answers that
 * follow a change although they are cached.
 *
 * Working days below are counted on a 2025 calendar by hand: Monday to Friday, without 1 Jan,
 * 28 Jan–4 Feb (春节), 4 Apr (清明), 1–5 May (劳动节), 2 Jun (端午), 1–8 Oct; with the adjusted
 * weekend days 26 Jan, 8 Feb, 27 Apr, 28 Sep and 11 Oct worked.
 */
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProjectStage, StageEventKind } from '../src/generated/prisma/client.ts';
import { approvalBreaches } from '../src/services/stage-durations.ts';
import { districtToday } from '../src/services/stage-log.ts';
import { describeEachEngine } from './helpers/db.ts';
import { type QueryLog, startLoggedHub } from './helpers/query-log.ts';
import { type TestHub, withDefaultAuth } from './helpers/server.ts';
import { createProjectWithHistory, type Step } from './helpers/stage-history.ts';

const { INITIAL, ADVANCE, SUSPEND, RESUME } = StageEventKind;
const DAY = 86_400_000;

const LOG: Record<string, { park: 'A' | 'B'; investment: string | null; steps: Step[] }> = {
  P1: {
    park: 'A',
    investment: '100.00',
    steps: [
      [INITIAL, 'PLANNED', '2025-01-06'],
      [ADVANCE, 'SIGNED', '2025-02-10'],
      [ADVANCE, 'LANDED', '2025-03-03'],
      [ADVANCE, 'APPROVED', '2025-04-14'],
    ],
  },
  // Landed "in March 2025": counts from 31 March.
  P2: {
    park: 'A',
    investment: '50.00',
    steps: [
      [INITIAL, 'SIGNED', '2025-01-15'],
      [ADVANCE, 'LANDED', '2025-03-01', 'MONTH'],
      [ADVANCE, 'APPROVED', '2025-05-20'],
    ],
  },
  // Suspended in March, resumed in April: the suspension counts in its approval time.
  P3: {
    park: 'B',
    investment: null,
    steps: [
      [INITIAL, 'SIGNED', '2025-02-03'],
      [ADVANCE, 'LANDED', '2025-02-17'],
      [SUSPEND, 'SUSPENDED', '2025-03-10'],
      [RESUME, 'LANDED', '2025-04-21'],
      [ADVANCE, 'APPROVED', '2025-06-16'],
    ],
  },
  // Recorded straight at LANDED (no measurable SIGNED → LANDED), then started building,
  // skipping APPROVED (which it reached on 1 July).
  P4: {
    park: 'B',
    investment: '20.00',
    steps: [
      [INITIAL, 'LANDED', '2025-03-05'],
      [ADVANCE, 'UNDER_CONSTRUCTION', '2025-07-01'],
    ],
  },
  // Landed in September, still waiting for its approval.
  P5: {
    park: 'A',
    investment: null,
    steps: [
      [INITIAL, 'SIGNED', '2025-09-01'],
      [ADVANCE, 'LANDED', '2025-09-15'],
    ],
  },
  // Waiting for approval, but suspended: not a breach.
  P6: {
    park: 'A',
    investment: null,
    steps: [
      [INITIAL, 'LANDED', '2025-01-10'],
      [SUSPEND, 'SUSPENDED', '2025-02-01'],
    ],
  },
};

const PROJECTS_AS_OF = /* GraphQL */ `
  query ProjectsAsOf($asOf: Date, $filter: ProjectFilter, $first: Int, $after: String) {
    projects(asOf: $asOf, filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { code stage stageSince daysAtStage stageSinceEstimated park { code } } }
    }
  }`;

const DASHBOARD_AS_OF = /* GraphQL */ `
  query DashboardAsOf($year: Int, $asOf: Date) {
    dashboard(year: $year, asOf: $asOf) {
      year
      asOf { asOf eventsCounted estimatedCount uncertainCount }
      projects { count plannedInvestment plannedInvestmentKnownCount }
      stageFunnel { stage current { count plannedInvestment } reached { count } reachedInYear { count } }
      targets { target { code } actualValue computedRate }
      figures { code }
      recentStageChanges { project { code } toStage occurredOn }
    }
  }`;

const DURATIONS = /* GraphQL */ `
  query Durations($from: Date!, $to: Date!, $pairs: [StagePairInput!], $filter: PipelineFilter) {
    stageDurations(from: $from, to: $to, pairs: $pairs, filter: $filter) {
      from to count estimatedCount medianDays p90Days medianWorkingDays p90WorkingDays
    }
  }`;

const BREACHES = /* GraphQL */ `
  query Breaches($limit: Int, $from: Date, $to: Date, $pending: Boolean, $filter: PipelineFilter, $first: Int, $offset: Int) {
    approvalBreaches(limitWorkingDays: $limit, from: $from, to: $to, includePending: $pending, filter: $filter, first: $first, offset: $offset) {
      limitWorkingDays limitSource totalCount
      items { project { code park { code } } startedOn approvedOn workingDays calendarDays overBy estimated }
    }
  }`;

const SET_CALENDAR = /* GraphQL */ `
  mutation SetCalendar($input: SetWorkingCalendarDaysInput!) {
    setWorkingCalendarDays(input: $input) {
      __typename
      ... on SetWorkingCalendarDaysSuccess { days { day working name official } }
      ... on ValidationError { message }
    }
  }`;

/** The answers' shapes, as the queries above select them. */
interface AsOfNode {
  code: string;
  stage: ProjectStage;
  stageSince: string | null;
  daysAtStage: number | null;
  stageSinceEstimated: boolean;
  park: { code: string } | null;
}

interface AsOfPage {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { node: AsOfNode }[];
}

interface FunnelStep {
  stage: ProjectStage;
  current: { count: number; plannedInvestment: string | null };
  reached: { count: number };
  reachedInYear: { count: number };
}

interface DashboardAsOf {
  year: number;
  asOf: {
    asOf: string;
    eventsCounted: number;
    estimatedCount: number;
    uncertainCount: number;
  } | null;
  projects: {
    count: number;
    plannedInvestment: string | null;
    plannedInvestmentKnownCount: number;
  };
  stageFunnel: FunnelStep[];
  targets: { target: { code: string }; actualValue: string | null; computedRate: string | null }[];
  figures: { code: string }[];
  recentStageChanges: { project: { code: string }; toStage: ProjectStage; occurredOn: string }[];
}

interface StageDuration {
  from: ProjectStage;
  to: ProjectStage;
  count: number;
  estimatedCount: number;
  medianDays: number | null;
  p90Days: number | null;
  medianWorkingDays: number | null;
  p90WorkingDays: number | null;
}

interface Breach {
  project: { code: string; park: { code: string } | null };
  startedOn: string;
  approvedOn: string | null;
  workingDays: number;
  calendarDays: number;
  overBy: number;
  estimated: boolean;
}

interface Breaches {
  limitWorkingDays: number;
  limitSource: 'DEFAULT' | 'ARGUMENT' | 'REPORTED_FIGURE';
  totalCount: number;
  items: Breach[];
}

interface CalendarDay {
  day: string;
  working: boolean;
  name: string;
  official: boolean;
}

interface SetCalendar {
  setWorkingCalendarDays:
    | { __typename: 'SetWorkingCalendarDaysSuccess'; days: CalendarDay[] }
    | { __typename: 'ValidationError'; message: string };
}

interface Trend {
  from: string;
  to: string;
  total: number;
  estimatedCount: number;
  buckets: {
    start: string;
    end: string;
    count: number;
    estimatedCount: number;
    byStage: { stage: ProjectStage; count: number }[];
  }[];
}

const SIGNED_LANDED = [{ from: 'SIGNED', to: 'LANDED' }];
const LANDED_APPROVED = [{ from: 'LANDED', to: 'APPROVED' }];
const YEAR_2025 = { from: '2025-01-01', to: '2025-12-31' };

describeEachEngine('pipeline analytics from the log', (engine) => {
  let hub: TestHub & { log: QueryLog };
  const parks: Record<'A' | 'B', string> = { A: '', B: '' };

  async function run<T>(query: string, variables: Record<string, unknown>) {
    const res = await hub.gql<T>(query, variables);
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return res.data!;
  }
  const listAsOf = async (variables: Record<string, unknown>) =>
    (await run<{ projects: AsOfPage }>(PROJECTS_AS_OF, variables)).projects;
  const durations = async (variables: Record<string, unknown>) =>
    (await run<{ stageDurations: StageDuration[] }>(DURATIONS, { ...YEAR_2025, ...variables }))
      .stageDurations;
  const breaches = async (variables: Record<string, unknown>) =>
    (await run<{ approvalBreaches: Breaches }>(BREACHES, variables)).approvalBreaches;
  const nodes = (page: AsOfPage) =>
    page.edges.map((e) => [e.node.code, e.node.stage, e.node.stageSince, e.node.daysAtStage]);

  beforeAll(async () => {
    hub = await startLoggedHub(engine, {}, { seeded: false, listen: false });
    const prisma = hub.db.prisma;
    const parkIds: Record<string, number> = {};
    for (const code of ['A', 'B'] as const) {
      const park = await prisma.park.create({
        data: { code: `park-${code}`, name: `分析园区${code}`, kind: 'PARK' },
      });
      parkIds[code] = park.id;
      parks[code] = Buffer.from(`Park:${park.id}`).toString('base64');
    }
    for (const [code, { park, investment, steps }] of Object.entries(LOG)) {
      await createProjectWithHistory(
        prisma,
        { code, name: `分析项目${code}`, parkId: parkIds[park]!, plannedInvestment: investment },
        steps,
      );
    }
    // A figure known "in March 2025" (from 31 March) measuring a 2025 target.
    const figure = await prisma.reportedFigure.create({
      data: {
        code: 'an-2025-landed',
        label: '落地项目',
        labelEn: 'Projects landed',
        category: 'attraction',
        value: '3',
        unit: 'projects',
        asOf: new Date('2025-03-01'),
        asOfPrecision: 'MONTH',
        year: 2025,
      },
    });
    await prisma.target.create({
      data: {
        code: 'an-2025-target-landed',
        label: '全年落地',
        labelEn: 'Projects landed in the year',
        year: 2025,
        value: '10',
        unit: 'projects',
        actualId: figure.id,
      },
    });
    hub.log.reset();
  });

  afterAll(async () => {
    await hub?.close();
  });

  describe('projects(asOf:)', () => {
    it("should list each project's stage on the day, from the log, a month-precise change not yet counted", async () => {
      const page = await listAsOf({ asOf: '2025-03-20' });
      // P5 did not exist yet; P2 landed "in March", so on 20 March it is still SIGNED.
      expect(nodes(page)).toEqual([
        ['P1', 'LANDED', '2025-03-03', 17],
        ['P2', 'SIGNED', '2025-01-15', 64],
        ['P3', 'SUSPENDED', '2025-03-10', 10],
        ['P4', 'LANDED', '2025-03-05', 15],
        ['P6', 'SUSPENDED', '2025-02-01', 47],
      ]);
      expect(page.totalCount).toBe(5);
      expect(page.edges.every((e) => e.node.stageSinceEstimated === false)).toBe(true);
    });

    it('should count a month-precise change from the last day of its month, and say it is an estimate', async () => {
      const page = await listAsOf({ asOf: '2025-03-31', filter: { stage: ['LANDED'] } });
      expect(nodes(page)).toEqual([
        ['P1', 'LANDED', '2025-03-03', 28],
        ['P2', 'LANDED', '2025-03-31', 0],
        ['P4', 'LANDED', '2025-03-05', 26],
      ]);
      expect(page.edges.map((e) => e.node.stageSinceEstimated)).toEqual([false, true, false]);
      expect(page.totalCount).toBe(3);
    });

    it('should show a resumed project at its stage again, and match filter.stage against the stage on the day', async () => {
      const april = await listAsOf({ asOf: '2025-04-30', filter: { parkId: parks.B } });
      expect(nodes(april)).toEqual([
        ['P3', 'LANDED', '2025-04-21', 9],
        ['P4', 'LANDED', '2025-03-05', 56],
      ]);
      const suspended = await listAsOf({ asOf: '2025-03-20', filter: { stage: ['SUSPENDED'] } });
      expect(nodes(suspended).map((n) => n[0])).toEqual(['P3', 'P6']);
      // Paged: the cursor works on the as-of list too.
      const first = await listAsOf({ asOf: '2025-03-20', first: 2 });
      expect(nodes(first).map((n) => n[0])).toEqual(['P1', 'P2']);
      const next = await listAsOf({
        asOf: '2025-03-20',
        first: 2,
        after: first.pageInfo.endCursor,
      });
      expect(nodes(next).map((n) => n[0])).toEqual(['P3', 'P4']);
    });

    it('should list nothing before the first event, and the stages of today for a day in the future', async () => {
      const before = await listAsOf({ asOf: '2024-12-31' });
      expect(before.totalCount).toBe(0);
      expect(before.edges).toEqual([]);
      const future = new Date(districtToday().getTime() + 400 * DAY).toISOString().slice(0, 10);
      const later = await listAsOf({ asOf: future });
      const now = await listAsOf({});
      expect(later.edges.map((e) => [e.node.code, e.node.stage, e.node.stageSince])).toEqual(
        now.edges.map((e) => [e.node.code, e.node.stage, e.node.stageSince]),
      );
      expect(later.totalCount).toBe(6);
    });

    it('should refuse a day outside 2000–2100, an impossible date, and ordering by the current stage', async () => {
      for (const [variables, message] of [
        [{ asOf: '1999-12-31' }, /asOf.*2000 to 2100/],
        [{ asOf: '2025-02-30' }, /Date|date/],
      ] as const) {
        const res = await hub.gql(PROJECTS_AS_OF, variables);
        expect(res.data ?? null).toBeNull();
        expect(res.errors?.[0]?.message).toMatch(message);
      }
      const res = await hub.gql(
        '{ projects(asOf: "2025-03-20", orderBy: { field: STAGE }) { totalCount } }',
        {},
      );
      expect(res.errors?.[0]?.message).toMatch(/STAGE.*asOf/);
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });
  });

  describe('dashboard(asOf:)', () => {
    const stepOf = (d: DashboardAsOf, stage: string) =>
      d.stageFunnel.find((s) => s.stage === stage)!;

    it('should rebuild the funnel, the total and the basis of a day, leaving out a change not certainly made', async () => {
      const d = (
        await run<{ dashboard: DashboardAsOf }>(DASHBOARD_AS_OF, { year: 2025, asOf: '2025-03-20' })
      ).dashboard;
      expect(d.asOf).toEqual({
        asOf: '2025-03-20',
        eventsCounted: 10, // P1 3, P2 1, P3 3, P4 1, P6 2
        estimatedCount: 0,
        uncertainCount: 1, // P2 landed "in March"
      });
      // On 20 March: P2 SIGNED; P1, P4 LANDED; P3, P6 SUSPENDED.
      expect(d.projects).toEqual({
        count: 5,
        plannedInvestment: '170.00',
        plannedInvestmentKnownCount: 3,
      });
      expect(stepOf(d, 'SIGNED').current).toEqual({ count: 1, plannedInvestment: '50.00' });
      expect(stepOf(d, 'LANDED').current).toEqual({ count: 2, plannedInvestment: '120.00' });
      expect(stepOf(d, 'SUSPENDED').current.count).toBe(2);
      // Reached by then: every project reached SIGNED (P4, P6 through LANDED); LANDED: P1, P3, P4, P6.
      expect(d.stageFunnel.map((s) => [s.stage, s.reached.count, s.reachedInYear.count])).toEqual([
        ['PLANNED', 5, 5],
        ['NEGOTIATING', 5, 5],
        ['SIGNED', 5, 5],
        ['LANDED', 4, 4],
        ['APPROVED', 0, 0],
        ['TENDERED', 0, 0],
        ['LAND_ACQUIRED', 0, 0],
        ['REGISTERED', 0, 0],
        ['UNDER_CONSTRUCTION', 0, 0],
        ['COMPLETED', 0, 0],
        ['IN_OPERATION', 0, 0],
        ['AT_CAPACITY', 0, 0],
        ['SUSPENDED', 2, 2],
        ['CANCELLED', 0, 0],
      ]);
      // The March figure is not known on 20 March: no progress yet.
      expect(d.targets).toEqual([
        { target: { code: 'an-2025-target-landed' }, actualValue: null, computedRate: null },
      ]);
      expect(d.figures).toEqual([]);
      expect(d.recentStageChanges.map((e) => [e.project.code, e.toStage])).toEqual([
        ['P6', 'SUSPENDED'],
        ['P6', 'LANDED'],
        ['P4', 'LANDED'],
        ['P3', 'SUSPENDED'],
        ['P3', 'LANDED'],
        ['P3', 'SIGNED'],
        ['P2', 'SIGNED'],
        ['P1', 'LANDED'],
        ['P1', 'SIGNED'],
        ['P1', 'PLANNED'],
      ]);
    });

    it('should count the month-precise landing and the March figure from 31 March, as estimates', async () => {
      const d = (
        await run<{ dashboard: DashboardAsOf }>(DASHBOARD_AS_OF, { year: 2025, asOf: '2025-03-31' })
      ).dashboard;
      expect(d.asOf).toEqual({
        asOf: '2025-03-31',
        eventsCounted: 11,
        estimatedCount: 1,
        uncertainCount: 0,
      });
      expect(stepOf(d, 'LANDED').current.count).toBe(3);
      expect(stepOf(d, 'LANDED').reached.count).toBe(5);
      expect(d.targets[0]).toEqual({
        target: { code: 'an-2025-target-landed' },
        actualValue: '3.00',
        computedRate: '30.00',
      });
      expect(d.figures).toEqual([{ code: 'an-2025-landed' }]);
    });

    it("should count reachedInYear within the year and reached up to the year's end", async () => {
      // Year 2024 as of mid-2025: nothing happened in 2024.
      const d = (
        await run<{ dashboard: DashboardAsOf }>(DASHBOARD_AS_OF, { year: 2024, asOf: '2025-06-30' })
      ).dashboard;
      expect(d.stageFunnel.every((s) => s.reached.count === 0)).toBe(true);
      // The stage on 30 June 2025 is still the "current" part: P1, P2, P3 APPROVED.
      expect(stepOf(d, 'APPROVED').current.count).toBe(3);
    });

    it('should give zeros before the first event, today’s stages in the future, and no basis without asOf', async () => {
      const empty = (
        await run<{ dashboard: DashboardAsOf }>(DASHBOARD_AS_OF, { year: 2024, asOf: '2024-06-30' })
      ).dashboard;
      expect(empty.projects.count).toBe(0);
      expect(empty.asOf).toEqual({
        asOf: '2024-06-30',
        eventsCounted: 0,
        estimatedCount: 0,
        uncertainCount: 0,
      });
      expect(empty.recentStageChanges).toEqual([]);
      const future = new Date(districtToday().getTime() + 400 * DAY).toISOString().slice(0, 10);
      const later = (
        await run<{ dashboard: DashboardAsOf }>(DASHBOARD_AS_OF, { year: 2025, asOf: future })
      ).dashboard;
      const now = (await run<{ dashboard: DashboardAsOf }>(DASHBOARD_AS_OF, { year: 2025 }))
        .dashboard;
      expect(now.asOf).toBeNull();
      expect(later.stageFunnel.map((s) => s.current)).toEqual(
        now.stageFunnel.map((s) => s.current),
      );
      expect(later.asOf?.eventsCounted).toBe(18);
    });

    it('should refuse an asOf outside 2000–2100 with a clear error', async () => {
      const res = await hub.gql(DASHBOARD_AS_OF, { year: 2025, asOf: '2101-01-01' });
      expect(res.data).toBeNull();
      expect(res.errors?.[0]?.message).toMatch(/asOf.*2000 to 2100/);
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });
  });

  describe('stageDurations', () => {
    it('should give the count, median and 90th percentile of each move, in calendar and working days', async () => {
      const [signedLanded, landedApproved] = await durations({
        pairs: [...SIGNED_LANDED, ...LANDED_APPROVED],
      });
      // SIGNED → LANDED: P3 14 days (10 working: 4 Feb was 春节, 8 Feb worked), P5 14 (10), P1 21
      // (15), P2 75 (49, landing "in March" counted on the 31st). P4 was recorded at LANDED: not
      // counted. p90 of four values: the 2.7th position, 21 + 0.7 × (75 − 21).
      expect(signedLanded).toEqual({
        from: 'SIGNED',
        to: 'LANDED',
        count: 4,
        estimatedCount: 1,
        medianDays: 17.5,
        p90Days: 58.8,
        medianWorkingDays: 12.5,
        p90WorkingDays: 38.8,
      });
      // LANDED → APPROVED: P1 42 (29), P2 50 (33), P4 118 (80, through UNDER_CONSTRUCTION on
      // 1 July), P3 119 (81: from its first landing, its suspension included).
      expect(landedApproved).toEqual({
        from: 'LANDED',
        to: 'APPROVED',
        count: 4,
        estimatedCount: 1,
        medianDays: 84,
        p90Days: 118.7,
        medianWorkingDays: 56.5,
        p90WorkingDays: 80.7,
      });
    });

    it('should filter by park, and answer for a single project', async () => {
      const [a] = await durations({ pairs: LANDED_APPROVED, filter: { parkId: parks.A } });
      expect(a).toMatchObject({ count: 2, medianDays: 46, p90Days: 49.2 });
      expect(a).toMatchObject({ medianWorkingDays: 31, p90WorkingDays: 32.6 });
      const [b] = await durations({ pairs: SIGNED_LANDED, filter: { parkId: parks.B } });
      expect(b).toMatchObject({
        count: 1,
        estimatedCount: 0,
        medianDays: 14,
        p90Days: 14,
        medianWorkingDays: 10,
        p90WorkingDays: 10,
      });
    });

    it('should count a move in the period it ended in', async () => {
      // Only P1 (3 Mar) and P3 (17 Feb) landed by 15 March; P2's "March" ends on the 31st.
      const [early] = await durations({
        from: '2025-01-01',
        to: '2025-03-15',
        pairs: SIGNED_LANDED,
      });
      expect(early).toMatchObject({ count: 2, medianDays: 17.5 });
    });

    it('should answer an empty period with zero moves and no times, and give every next-stage pair by default', async () => {
      const all = await durations({ from: '2024-01-01', to: '2024-12-31' });
      expect(all).toHaveLength(11);
      expect(all[0]).toEqual({
        from: 'PLANNED',
        to: 'NEGOTIATING',
        count: 0,
        estimatedCount: 0,
        medianDays: null,
        p90Days: null,
        medianWorkingDays: null,
        p90WorkingDays: null,
      });
      expect(all.every((d) => d.count === 0)).toBe(true);
    });

    it('should refuse a period that ends before it starts, out-of-range days and pairs out of order', async () => {
      for (const [variables, message] of [
        [{ from: '2025-04-01', to: '2025-03-01' }, /must not be after/],
        [{ from: '1990-01-01', to: '2025-03-01' }, /from.*2000 to 2100/],
        [{ pairs: [{ from: 'LANDED', to: 'SIGNED' }] }, /LANDED → SIGNED/],
        [{ pairs: [{ from: 'SIGNED', to: 'SUSPENDED' }] }, /pipeline stages/],
      ] as const) {
        const res = await hub.gql(DURATIONS, { ...YEAR_2025, ...variables });
        expect(res.data).toBeNull();
        expect(res.errors?.[0]?.message).toMatch(message);
        expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      }
    });
  });

  describe('approvalBreaches', () => {
    it('should list the approvals that took more than 35 working days, oldest start first', async () => {
      const b = await breaches({ pending: false });
      expect(b).toMatchObject({ limitWorkingDays: 35, limitSource: 'DEFAULT', totalCount: 2 });
      expect(b.items).toEqual([
        {
          project: { code: 'P3', park: { code: 'park-B' } },
          startedOn: '2025-02-17',
          approvedOn: '2025-06-16',
          workingDays: 81,
          calendarDays: 119,
          overBy: 46,
          estimated: false,
        },
        {
          project: { code: 'P4', park: { code: 'park-B' } },
          startedOn: '2025-03-05',
          approvedOn: '2025-07-01',
          workingDays: 80,
          calendarDays: 118,
          overBy: 45,
          estimated: false,
        },
      ]);
    });

    it('should take a limit, a period of approval, a park and pages', async () => {
      const tighter = await breaches({ pending: false, limit: 30 });
      expect(tighter.limitSource).toBe('ARGUMENT');
      expect(tighter.items.map((i) => [i.project.code, i.overBy, i.estimated])).toEqual([
        ['P3', 51, false],
        ['P4', 50, false],
        ['P2', 3, true],
      ]);
      const june = await breaches({ pending: false, from: '2025-06-01', to: '2025-06-30' });
      expect(june.items.map((i) => i.project.code)).toEqual(['P3']);
      const inA = await breaches({ pending: false, limit: 30, filter: { parkId: parks.A } });
      expect(inA.items.map((i) => i.project.code)).toEqual(['P2']);
      const page = await breaches({ pending: false, limit: 30, first: 1, offset: 1 });
      expect(page.totalCount).toBe(3);
      expect(page.items.map((i) => i.project.code)).toEqual(['P4']);
      const beyond = await breaches({ pending: false, limit: 30, first: 5, offset: 10 });
      expect(beyond).toMatchObject({ totalCount: 3, items: [] });
    });

    it('should list a project still waiting past the limit, not a suspended one', async () => {
      // On 14 November 2025 P5 had waited 40 working days since 15 September (the National Day
      // week off, 28 September and 11 October worked): 5 over; P6 is suspended.
      const b = await approvalBreaches(hub.db.prisma, { today: new Date('2025-11-14') });
      expect(
        b.items.map((i) => [i.projectId, i.approvedOn, i.workingDays, i.calendarDays, i.overBy]),
      ).toEqual([
        [expect.any(Number), new Date('2025-06-16'), 81, 119, 46],
        [expect.any(Number), new Date('2025-07-01'), 80, 118, 45],
        [expect.any(Number), null, 40, 60, 5],
      ]);
      const viaApi = await breaches({});
      const waiting = viaApi.items.find((i) => i.project.code === 'P5');
      expect(waiting?.approvedOn).toBeNull();
      expect(waiting?.calendarDays).toBe((districtToday().getTime() - Date.UTC(2025, 8, 15)) / DAY);
      expect(viaApi.items.map((i) => i.project.code)).not.toContain('P6');
    });

    it('should use the limit the district reported', async () => {
      await hub.db.prisma.reportedFigure.create({
        data: {
          code: 'an-2025-approval-time-limit',
          label: '审批时限',
          labelEn: 'Approval time limit',
          category: 'service',
          value: '80',
          unit: 'working_days',
          asOf: new Date('2025-07-31'),
          year: 2025,
        },
      });
      // Written past the hub: other variables than any kept answer.
      const b = await breaches({ pending: false, first: 10 });
      expect(b).toMatchObject({ limitWorkingDays: 80, limitSource: 'REPORTED_FIGURE' });
      expect(b.items.map((i) => [i.project.code, i.overBy])).toEqual([['P3', 1]]);
      await hub.db.prisma.reportedFigure.delete({ where: { code: 'an-2025-approval-time-limit' } });
    });

    it('should refuse a negative limit or page with a clear error', async () => {
      for (const variables of [{ limit: -1 }, { first: 501 }, { offset: -3 }]) {
        const res = await hub.gql(BREACHES, variables);
        expect(res.data).toBeNull();
        expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      }
    });
  });

  describe('the working-day calendar', () => {
    it('should ship the 2025 holidays and adjusted working days, and 2027 as provisional', async () => {
      const { workingCalendarDays: days } = await run<{ workingCalendarDays: CalendarDay[] }>(
        '{ workingCalendarDays(year: 2025) { day working name official } }',
        {},
      );
      const byDay = new Map(days.map((d) => [d.day, d] as const));
      expect(byDay.get('2025-01-26')).toEqual({
        day: '2025-01-26',
        working: true,
        name: '春节调休上班',
        official: true,
      });
      expect(byDay.get('2025-10-08')).toMatchObject({ working: false, official: true });
      expect(days.filter((d) => !d.working)).toHaveLength(28);
      expect(days.filter((d) => d.working)).toHaveLength(5);
      const provisional = await run<{ workingCalendarDays: { official: boolean }[] }>(
        '{ workingCalendarDays(year: 2027) { official } }',
        {},
      );
      expect(provisional.workingCalendarDays.every((d) => !d.official)).toBe(true);
    });

    it("should count with an admin's new day at once, and refuse a bad one", async () => {
      const before = await durations({ pairs: LANDED_APPROVED, filter: { parkId: parks.A } });
      expect(before[0]?.medianWorkingDays).toBe(31);
      // A local holiday on Tuesday 4 March 2025: P1's approval (from 3 March) loses a working day.
      const set = await run<SetCalendar>(SET_CALENDAR, {
        input: { days: [{ day: '2025-03-04', working: false, name: '测试假日', official: false }] },
      });
      expect(set.setWorkingCalendarDays.__typename).toBe('SetWorkingCalendarDaysSuccess');
      const after = await durations({ pairs: LANDED_APPROVED, filter: { parkId: parks.A } });
      expect(after[0]).toMatchObject({ medianWorkingDays: 30.5, p90WorkingDays: 32.5 });
      // Put back as an ordinary working day (a weekday "working" exception changes nothing).
      await run<SetCalendar>(SET_CALENDAR, {
        input: { days: [{ day: '2025-03-04', working: true, name: '测试恢复' }] },
      });
      const restored = await durations({ pairs: LANDED_APPROVED, filter: { parkId: parks.A } });
      expect(restored[0]?.medianWorkingDays).toBe(31);

      const bad = await run<SetCalendar>(SET_CALENDAR, {
        input: {
          days: [
            { day: '2025-03-05', working: false, name: ' ' },
            { day: '2025-03-05', working: false, name: '重复' },
          ],
        },
      });
      expect(bad.setWorkingCalendarDays.__typename).toBe('ValidationError');
      expect(
        await hub.db.prisma.workingCalendarDay.count({ where: { day: new Date('2025-03-05') } }),
      ).toBe(0);
      const viewer = await hub.gql(
        SET_CALENDAR,
        { input: { days: [{ day: '2025-03-06', working: false, name: '无权' }] } },
        { authorization: '' },
      );
      expect(viewer.errors?.[0]).toBeDefined();
    });
  });

  describe('stageChangeTrend by quarter', () => {
    it('should count the moves of each quarter by stage reached, a month-precise one in its quarter', async () => {
      const { stageChangeTrend: t } = await run<{ stageChangeTrend: Trend }>(
        '{ stageChangeTrend(interval: QUARTER, from: "2025-02-15", to: "2025-12-31") { from to total estimatedCount buckets { start end count estimatedCount byStage { stage count } } } }',
        {},
      );
      expect(t).toMatchObject({
        from: '2025-01-01',
        to: '2025-12-31',
        total: 12,
        estimatedCount: 0,
      });
      expect(t.buckets.map((b) => [b.start, b.end, b.count, b.byStage])).toEqual([
        // P1 signed, P1, P2 ("March"), P3 landed; P3, P6 suspended.
        [
          '2025-01-01',
          '2025-03-31',
          6,
          [
            { stage: 'SIGNED', count: 1 },
            { stage: 'LANDED', count: 3 },
            { stage: 'SUSPENDED', count: 2 },
          ],
        ],
        // P3 resumed at LANDED; P1, P2, P3 approved.
        [
          '2025-04-01',
          '2025-06-30',
          4,
          [
            { stage: 'LANDED', count: 1 },
            { stage: 'APPROVED', count: 3 },
          ],
        ],
        // P5 landed, P4 started building.
        [
          '2025-07-01',
          '2025-09-30',
          2,
          [
            { stage: 'LANDED', count: 1 },
            { stage: 'UNDER_CONSTRUCTION', count: 1 },
          ],
        ],
        ['2025-10-01', '2025-12-31', 0, []],
      ]);
    });
  });

  describe('CSV export of the long lists', () => {
    const csv = async (path: string) => {
      const res = await hub.fetch(`${hub.url.replace(/\/graphql$/, '')}${path}`, {
        headers: withDefaultAuth({}),
      });
      const text = await res.text();
      if (res.status !== 200) return { status: res.status, rows: [], error: text };
      return { status: res.status, rows: parse(text, { bom: true }) as string[][], error: null };
    };

    it('should export the approval breaches and the stalled projects with the fields’ rules', async () => {
      const breachesCsv = await csv(
        '/export/approval-breaches.csv?includePending=false&limitWorkingDays=30',
      );
      expect(breachesCsv.status).toBe(200);
      expect(breachesCsv.rows[0]![0]).toBe('项目编码(code)');
      expect(breachesCsv.rows.slice(1).map((r) => [r[0], r[3], r[4], r[5], r[8], r[9]])).toEqual([
        ['P3', '2025-02-17', '2025-06-16', '81', '51', 'false'],
        ['P4', '2025-03-05', '2025-07-01', '80', '50', 'false'],
        ['P2', '2025-03-31', '2025-05-20', '33', '3', 'true'],
      ]);
      const inB = await csv('/export/approval-breaches.csv?includePending=false&park=park-B');
      expect(inB.rows.slice(1).map((r) => r[0])).toEqual(['P3', 'P4']);
      const stalled = await csv('/export/stalled-projects.csv?minDays=0&park=park-A');
      // Park A's projects in the pipeline, oldest first: P5 landed 15 Sep 2025; P1, P2 approved.
      expect(stalled.rows.slice(1).map((r) => [r[0], r[3], r[4]])).toEqual([
        ['P1', 'APPROVED', '2025-04-14'],
        ['P2', 'APPROVED', '2025-05-20'],
        ['P5', 'LANDED', '2025-09-15'],
      ]);
      expect(Number(stalled.rows[3]![5])).toBe(
        (districtToday().getTime() - Date.UTC(2025, 8, 15)) / DAY,
      );
    });

    it('should answer a bad parameter with 400', async () => {
      for (const path of [
        '/export/approval-breaches.csv?limitWorkingDays=-1',
        '/export/approval-breaches.csv?from=2025-13-01',
        '/export/approval-breaches.csv?from=2025-06-01&to=2025-01-01',
        '/export/approval-breaches.csv?stage=SIGNED',
        '/export/stalled-projects.csv?minDays=99999999',
      ]) {
        const answer = await csv(path);
        expect(answer.status, path).toBe(400);
        expect(JSON.parse(answer.error!).error).toBeTruthy();
      }
    });
  });

  describe('statement counts', () => {
    const statementsOf = async (query: string, variables: Record<string, unknown>) => {
      const { result, statements } = await hub.log.measure(() => hub.gql(query, variables));
      expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
      return statements.length;
    };

    it('should read durations in one statement, breaches in two, an as-of page in two and an as-of dashboard in two', async () => {
      const counts = {
        durations: await statementsOf(DURATIONS, YEAR_2025),
        breaches: await statementsOf(BREACHES, { first: 100 }),
        projects: await statementsOf(PROJECTS_AS_OF, { asOf: '2025-06-30', first: 100 }),
      };
      // The year's dashboard is kept per change: read it first, then the as-of one adds its own.
      await statementsOf(DASHBOARD_AS_OF, { year: 2025 });
      const asOfDashboard = await statementsOf(DASHBOARD_AS_OF, { year: 2025, asOf: '2025-06-30' });
      // Many more projects and events, written past the hub.
      const prisma = hub.db.prisma;
      const created = await prisma.project.createManyAndReturn({
        data: Array.from({ length: 120 }, (_, i) => ({
          code: `AN-BULK-${i}`,
          name: `分析批量${i}`,
          stage: 'APPROVED' as const,
        })),
        select: { id: true },
      });
      await prisma.projectStageEvent.createMany({
        data: created.flatMap(({ id }, i) => [
          {
            projectId: id,
            kind: INITIAL,
            toStage: 'LANDED' as const,
            occurredOn: new Date(Date.UTC(2025, i % 6, 1 + (i % 27))),
            actor: 'test',
          },
          {
            projectId: id,
            kind: ADVANCE,
            fromStage: 'LANDED' as const,
            toStage: 'APPROVED' as const,
            occurredOn: new Date(Date.UTC(2025, 10, 3 + (i % 20))),
            actor: 'test',
          },
        ]),
      });
      const large = {
        durations: await statementsOf(DURATIONS, { ...YEAR_2025, filter: {} }),
        breaches: await statementsOf(BREACHES, { first: 200 }),
        projects: await statementsOf(PROJECTS_AS_OF, { asOf: '2025-12-30', first: 100 }),
      };
      console.info(
        `[${engine}] statements: ${JSON.stringify(counts)} → ${JSON.stringify(large)}; dashboard(asOf) ${asOfDashboard}`,
      );
      expect(counts).toEqual({ durations: 1, breaches: 2, projects: 2 });
      expect(large).toEqual({ durations: 1, breaches: 2, projects: 2 });
      // Its funnel with its basis, and its stage changes with their projects (served as loaded:
      // no second load of the projects those changes name).
      expect(asOfDashboard).toBe(2);
    });
  });
});
