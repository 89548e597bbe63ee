/**
 * `dashboard(year)` against numbers computed by hand from the seed (the district's report): the
 * stage funnel now and reached, planned investment sums, target progress (26 / 60 → 43.3%),
 * funding as reported, logistics highlights, park summary and the last stage changes; and how
 * `year` scopes each part.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prisma, type ProjectStage, StageEventKind } from '../src/generated/prisma/client.ts';
import { computeDashboard, currentYear, RECENT_STAGE_CHANGES } from '../src/services/dashboard.ts';
import { targetProgress } from '../src/services/targets.ts';
import { describeEachEngine } from './helpers/db.ts';
import { startTestHub, type TestHub } from './helpers/server.ts';

const D = (value: string) => new Prisma.Decimal(value);

function expectDecimal(actual: unknown, expected: string | null): void {
  if (expected === null) {
    expect(actual).toBeNull();
    return;
  }
  expect(
    new Prisma.Decimal(actual as string).equals(expected),
    `${String(actual)} should equal ${expected}`,
  ).toBe(true);
}

const ALL_STAGES: ProjectStage[] = [
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
];

/**
 * The seed by hand: the 31 named projects at the stages the report gives them (12 planned: 崖州湾
 * and the 11 next steps of section F; 2 negotiating; 1 signed; …; 1 at capacity: 益嘉).
 */
const NOW: Record<ProjectStage, number> = {
  PLANNED: 12,
  NEGOTIATING: 2,
  SIGNED: 1,
  LANDED: 1,
  APPROVED: 2,
  TENDERED: 2,
  LAND_ACQUIRED: 2,
  REGISTERED: 2,
  UNDER_CONSTRUCTION: 3,
  COMPLETED: 1,
  IN_OPERATION: 2,
  AT_CAPACITY: 1,
  SUSPENDED: 0,
  CANCELLED: 0,
};

/** Reached at least each stage: the projects now at it or at any later pipeline stage. */
const REACHED: Record<ProjectStage, number> = {
  PLANNED: 31,
  NEGOTIATING: 19,
  SIGNED: 17,
  LANDED: 16,
  APPROVED: 15,
  TENDERED: 13,
  LAND_ACQUIRED: 11,
  REGISTERED: 9,
  UNDER_CONSTRUCTION: 7,
  COMPLETED: 4,
  IN_OPERATION: 3,
  AT_CAPACITY: 1,
  SUSPENDED: 0,
  CANCELLED: 0,
};

const DASHBOARD = /* GraphQL */ `
  query Dashboard($year: Int) {
    dashboard(year: $year) {
      year generatedAt
      projects { count plannedInvestment plannedInvestmentKnownCount }
      stageFunnel {
        stage
        current { count plannedInvestment plannedInvestmentKnownCount }
        reached { count plannedInvestment plannedInvestmentKnownCount }
        reachedInYear { count plannedInvestment plannedInvestmentKnownCount }
      }
      targets { target { code } actual { code } unit targetValue actualValue computedRate reportedRate rateMismatch }
      funding { year sourceLevel amount reportedAmount mayOverlap overlapNote }
      logistics {
        channel { code }
        latestObservations { metric textValue periodEnd }
        latestNationalRank { metric nationalRank periodEnd }
      }
      parks {
        park { code name }
        projects { count plannedInvestment plannedInvestmentKnownCount }
        latestSnapshot { asOf enterprisesRegistered enterprisesSigned }
        latestFacilitySnapshots { facility { code } status floorAreaM2 statusNote }
      }
      recentStageChanges { sequence fromStage toStage occurredOn project { name } }
      figures { code value }
    }
  }
`;

/** A count with its planned investment, as the dashboard gives it (decimals as strings). */
interface Tally {
  count: number;
  plannedInvestment: string | null;
  plannedInvestmentKnownCount: number;
}

/** The answer to DASHBOARD. */
interface DashboardData {
  year: number;
  generatedAt: string;
  projects: Tally;
  stageFunnel: { stage: ProjectStage; current: Tally; reached: Tally; reachedInYear: Tally }[];
  targets: {
    target: { code: string };
    actual: { code: string } | null;
    unit: string;
    targetValue: string;
    actualValue: string | null;
    computedRate: string | null;
    reportedRate: string | null;
    rateMismatch: boolean;
  }[];
  funding: {
    year: number;
    sourceLevel: string;
    amount: string;
    reportedAmount: string | null;
    mayOverlap: boolean;
    overlapNote: string | null;
  }[];
  logistics: {
    channel: { code: string };
    latestObservations: { metric: string; textValue: string | null; periodEnd: string | null }[];
    latestNationalRank: { metric: string; nationalRank: number; periodEnd: string | null } | null;
  }[];
  parks: {
    park: { code: string; name: string };
    projects: Tally;
    latestSnapshot: {
      asOf: string;
      enterprisesRegistered: number | null;
      enterprisesSigned: number | null;
    } | null;
    latestFacilitySnapshots: {
      facility: { code: string };
      status: string;
      floorAreaM2: string | null;
      statusNote: string | null;
    }[];
  }[];
  recentStageChanges: {
    sequence: string;
    fromStage: ProjectStage | null;
    toStage: ProjectStage;
    occurredOn: string;
    project: { name: string };
  }[];
  figures: { code: string; value: string }[];
}
type Target = DashboardData['targets'][number];
type Channel = DashboardData['logistics'][number];

describe('targetProgress', () => {
  const target = (value: string, reportedRate: string | null, unit = 'projects') => ({
    value: D(value),
    reportedRate: reportedRate === null ? null : D(reportedRate),
    unit,
  });
  const actual = (value: string | null, unit = 'projects') => ({
    value: value === null ? null : D(value),
    unit,
  });

  it('should compute 26 / 60 as 43.3 and agree with the reported 43.3', () => {
    const p = targetProgress(target('60', '43.30'), actual('26'));
    expect(p.computedRate?.toString()).toBe('43.3');
    expect(p.reportedRate?.toString()).toBe('43.3');
    expect(p.rateMismatch).toBe(false);
  });

  it('should round half up to one decimal', () => {
    expect(targetProgress(target('8', null), actual('1')).computedRate?.toString()).toBe('12.5');
    expect(targetProgress(target('16', null), actual('1')).computedRate?.toString()).toBe('6.3'); // 6.25
    expect(targetProgress(target('3', null), actual('2')).computedRate?.toString()).toBe('66.7');
    expect(targetProgress(target('150', null), actual('105')).computedRate?.toString()).toBe('70');
  });

  it('should flag a mismatch of one tenth or more after rounding, and nothing below', () => {
    expect(targetProgress(target('60', '43.4'), actual('26')).rateMismatch).toBe(true);
    expect(targetProgress(target('60', '45'), actual('26')).rateMismatch).toBe(true);
    expect(targetProgress(target('60', '43.33'), actual('26')).rateMismatch).toBe(false);
    expect(targetProgress(target('60', '43.34'), actual('26')).rateMismatch).toBe(false);
    expect(targetProgress(target('60', '43.35'), actual('26')).rateMismatch).toBe(true); // reported rounds to 43.4
  });

  it('should compute no rate without a number, with a zero target or across units', () => {
    expect(targetProgress(target('60', '43.3'), null)).toMatchObject({
      computedRate: null,
      rateMismatch: false,
    });
    expect(targetProgress(target('60', null), actual(null))).toMatchObject({
      actualValue: null,
      computedRate: null,
    });
    expect(targetProgress(target('0', null), actual('5')).computedRate).toBeNull();
    expect(targetProgress(target('5230000000', null, 'CNY'), actual('7')).computedRate).toBeNull();
  });
});

describe('currentYear', () => {
  it('should be the calendar year in Liaozhong (UTC+8)', () => {
    expect(currentYear(new Date('2025-12-31T15:59:59Z'))).toBe(2025);
    expect(currentYear(new Date('2025-12-31T16:00:00Z'))).toBe(2026);
  });
});

describeEachEngine('dashboard', (engine) => {
  let hub: TestHub;

  async function dashboard(year?: number): Promise<DashboardData> {
    const res = await hub.gql<{ dashboard: DashboardData }>(
      DASHBOARD,
      year === undefined ? {} : { year },
    );
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return res.data!.dashboard;
  }

  const step = (d: DashboardData, stage: ProjectStage) =>
    d.stageFunnel.find((s) => s.stage === stage)!;

  beforeAll(async () => {
    // Computed on every request: these tests write to the database directly, past the bus.
    hub = await startTestHub({ engine, env: { HUB_CACHE_MS: '0' }, listen: false });
    const prisma = hub.db.prisma;
    // The report gives no planned investments or parks for its projects: add a few to sum.
    const bonded = await prisma.park.findUniqueOrThrow({
      where: { code: 'comprehensive-bonded-zone' },
    });
    const invest = (code: string, plannedInvestment: string, parkId?: number) =>
      prisma.project.update({ where: { code }, data: { plannedInvestment, parkId } });
    await invest('LZ-2025-001', '100000000.00', bonded.id); // 昊明预制菜, APPROVED
    await invest('LZ-2025-009', '200000000.00', bonded.id); // 中科凌胜, UNDER_CONSTRUCTION
    await invest('LZ-2025-012', '300000000.00'); // 益嘉农产品, AT_CAPACITY
    await invest('LZ-2025-017', '50000000.00'); // 中建三局集中式风电, SIGNED
  });

  afterAll(async () => {
    await hub?.close();
  });

  describe('for 2025, the seeded year', () => {
    it('should count the projects now at each stage, every stage in pipeline order', async () => {
      const d = await dashboard(2025);
      expect(d.year).toBe(2025);
      expect(d.stageFunnel.map((s) => s.stage)).toEqual(ALL_STAGES);
      for (const stage of ALL_STAGES) expect(step(d, stage).current.count, stage).toBe(NOW[stage]);
      expect(d.projects.count).toBe(31);
    });

    it('should count the projects that reached at least each stage, skipped stages included', async () => {
      const d = await dashboard(2025);
      for (const stage of ALL_STAGES) {
        expect(step(d, stage).reached.count, stage).toBe(REACHED[stage]);
        // Every seed event is of 2025, so all of it was reached in the year.
        expect(step(d, stage).reachedInYear.count, stage).toBe(REACHED[stage]);
      }
    });

    it('should sum the known planned investments and say how many are known', async () => {
      const d = await dashboard(2025);
      const tally = (s: Tally) => [
        s.count,
        s.plannedInvestment === null ? null : D(s.plannedInvestment).toString(),
        s.plannedInvestmentKnownCount,
      ];
      expect(tally(d.projects)).toEqual([31, '650000000', 4]);
      expect(tally(step(d, 'APPROVED').current)).toEqual([2, '100000000', 1]);
      expect(tally(step(d, 'AT_CAPACITY').current)).toEqual([1, '300000000', 1]);
      expect(tally(step(d, 'PLANNED').current)).toEqual([12, null, 0]);
      // Reached: 1亿 (APPROVED) + 2亿 (UNDER_CONSTRUCTION) + 3亿 (AT_CAPACITY), + 0.5亿 from SIGNED on.
      expect(tally(step(d, 'APPROVED').reached)).toEqual([15, '600000000', 3]);
      expect(tally(step(d, 'SIGNED').reached)).toEqual([17, '650000000', 4]);
      expect(tally(step(d, 'PLANNED').reached)).toEqual([31, '650000000', 4]);
      expect(tally(step(d, 'UNDER_CONSTRUCTION').reached)).toEqual([7, '500000000', 2]);
      expect(tally(step(d, 'AT_CAPACITY').reached)).toEqual([1, '300000000', 1]);
      expect(tally(step(d, 'SUSPENDED').reached)).toEqual([0, null, 0]);
    });

    it('should show target progress with the computed and the reported rate', async () => {
      const d = await dashboard(2025);
      expect(d.targets.map((t) => t.target.code)).toEqual([
        'lz-2025-target-completions',
        'lz-2025-target-key-projects-started',
        'lz-2025-target-registration-projects',
        'lz-2025-target-registration-investment',
      ]);
      const [completions, started, registered, investment] = d.targets as [
        Target,
        Target,
        Target,
        Target,
      ];
      expect(completions.actual?.code).toBe('lz-2025-projects-in-operation');
      expectDecimal(completions.targetValue, '60');
      expectDecimal(completions.actualValue, '26');
      expectDecimal(completions.computedRate, '43.3');
      expectDecimal(completions.reportedRate, '43.3');
      expect(completions.rateMismatch).toBe(false);
      expectDecimal(started.targetValue, '150');
      expectDecimal(started.actualValue, '105');
      expectDecimal(started.computedRate, '70.0');
      expect(started.reportedRate).toBeNull();
      expectDecimal(registered.targetValue, '41');
      expect(registered.computedRate).toBeNull();
      expectDecimal(investment.targetValue, '5230000000');
      expect(investment.unit).toBe('CNY');
    });

    it('should show funding by source as reported, the overlap flagged', async () => {
      const d = await dashboard(2025);
      const funding = Object.fromEntries(d.funding.map((f) => [f.sourceLevel, f]));
      expect(Object.keys(funding)).toEqual(['CENTRAL', 'PROVINCIAL_AND_ABOVE', 'POLICY_BANK']);
      expectDecimal(funding.CENTRAL!.amount, '250000000');
      expectDecimal(funding.PROVINCIAL_AND_ABOVE!.amount, '460000000');
      expectDecimal(funding.POLICY_BANK!.amount, '980000000');
      expect([
        funding.CENTRAL!.mayOverlap,
        funding.PROVINCIAL_AND_ABOVE!.mayOverlap,
        funding.POLICY_BANK!.mayOverlap,
      ]).toEqual([true, true, false]);
    });

    it("should show each channel's latest observations and national rank", async () => {
      const d = await dashboard(2025);
      const [train, tir] = d.logistics as [Channel, Channel];
      expect(train.channel.code).toBe('china-russia-freight-train');
      expect(train.latestObservations).toEqual([
        { metric: 'service_status', textValue: '开通运行', periodEnd: '2025-08-01' },
      ]);
      expect(train.latestNationalRank).toBeNull();
      expect(tir.channel.code).toBe('tir-road-transport');
      expect(tir.latestObservations.map((o) => o.metric)).toEqual([
        'assembly_centre',
        'dispatches',
      ]);
      expect(tir.latestNationalRank).toEqual({
        metric: 'dispatches',
        nationalRank: 2,
        periodEnd: '2025-08-01',
      });
    });

    it("should summarise each park: projects, latest snapshot, facilities' latest snapshots", async () => {
      const d = await dashboard(2025);
      const parks = Object.fromEntries(d.parks.map((p) => [p.park.code, p]));
      expect(Object.keys(parks)).toEqual([
        'comprehensive-bonded-zone',
        'china-russia-park',
        'environmental-park-b',
        'surface-finishing-park',
      ]);
      const bonded = parks['comprehensive-bonded-zone']!;
      expect(bonded.projects.count).toBe(2);
      expectDecimal(bonded.projects.plannedInvestment, '300000000');
      expect(bonded.latestSnapshot).toBeNull();
      expect(bonded.latestFacilitySnapshots.map((s) => s.facility.code)).toEqual([
        'comprehensive-bonded-zone-phase-1',
        'comprehensive-bonded-zone-phase-2',
      ]);
      expectDecimal(bonded.latestFacilitySnapshots[0]!.floorAreaM2, '280000');
      expect(bonded.latestFacilitySnapshots[0]!.status).toBe('COMPLETED');
      expect(parks['china-russia-park']!.latestSnapshot?.enterprisesRegistered).toBe(72);
      expect(parks['china-russia-park']!.projects).toEqual({
        count: 0,
        plannedInvestment: null,
        plannedInvestmentKnownCount: 0,
      });
      expect(parks['surface-finishing-park']!.latestSnapshot?.enterprisesSigned).toBe(15);
      expect(parks['environmental-park-b']!.latestFacilitySnapshots[0]!.statusNote).toMatch(
        /雨水系统改造一期完工/,
      );
    });

    it("should list the last stage changes, newest first, and the year's figures", async () => {
      const d = await dashboard(2025);
      expect(d.recentStageChanges).toHaveLength(RECENT_STAGE_CHANGES);
      const sequences = d.recentStageChanges.map((e) => Number(e.sequence));
      expect(sequences).toEqual([...sequences].sort((a, b) => b - a));
      expect(d.recentStageChanges[0]!.project.name).toBe('老客运站');
      expect(d.figures).toHaveLength(23);
      expectDecimal(d.figures.find((f) => f.code === 'lz-2025-approvals-completed')!.value, '176');
    });

    it('should serve the same plain object the service computes, for the subscription to reuse', async () => {
      const data = await computeDashboard(hub.db.prisma, 2025);
      expect(data.stageFunnel).toHaveLength(ALL_STAGES.length);
      expect(data.stageFunnel.map((s) => s.reached.count)).toEqual(
        ALL_STAGES.map((s) => REACHED[s]),
      );
      expect(data.targets[0]!.computedRate?.toString()).toBe('43.3');
      expect(data.recentStageChanges[0]!.project.name).toBe('老客运站');
    });
  });

  describe('year', () => {
    it('should default to the current year in the district', async () => {
      const d = await dashboard();
      expect(d.year).toBe(currentYear());
    });

    it('should scope targets, figures, funding, observations, snapshots and changes to the year', async () => {
      const d = await dashboard(2024);
      expect(d.targets).toEqual([]);
      expect(d.figures).toEqual([]);
      expect(d.funding).toEqual([]);
      expect(d.recentStageChanges).toEqual([]);
      expect(
        d.logistics.every(
          (l) => l.latestObservations.length === 0 && l.latestNationalRank === null,
        ),
      ).toBe(true);
      expect(
        d.parks.every((p) => p.latestSnapshot === null && p.latestFacilitySnapshots.length === 0),
      ).toBe(true);
      // Nothing had been reached by the end of 2024; "now" is now, whatever the year.
      expect(d.stageFunnel.every((s) => s.reached.count === 0 && s.reachedInYear.count === 0)).toBe(
        true,
      );
      expect(step(d, 'PLANNED').current.count).toBe(12);
    });

    it('should refuse a year out of range', async () => {
      const res = await hub.gql(DASHBOARD, { year: 1999 });
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });

    it("should follow stage changes: skipped stages reached, the year's reached counted, newest change first", async () => {
      const prisma = hub.db.prisma;
      const advance = async (code: string, from: ProjectStage, to: ProjectStage, on: string) => {
        const project = await prisma.project.update({
          where: { code },
          data: { stage: to, stageChangedAt: new Date(on) },
        });
        await prisma.projectStageEvent.create({
          data: {
            projectId: project.id,
            kind: StageEventKind.ADVANCE,
            fromStage: from,
            toStage: to,
            occurredOn: new Date(on),
            actor: 'test',
          },
        });
      };
      await advance('LZ-2025-016', 'PLANNED', 'NEGOTIATING', '2026-03-01'); // 崖州湾国家实验室区域中心
      await advance('LZ-2025-021', 'PLANNED', 'UNDER_CONSTRUCTION', '2026-04-01'); // 天彤电力工程, skipping 7 stages
      const tir = await prisma.logisticsChannel.findUniqueOrThrow({
        where: { code: 'tir-road-transport' },
      });
      await prisma.logisticsObservation.create({
        data: {
          channelId: tir.id,
          metric: 'dispatches',
          periodStart: new Date('2026-01-01'),
          periodEnd: new Date('2026-06-30'),
          nationalRank: 1,
        },
      });

      const d2026 = await dashboard(2026);
      expect(step(d2026, 'PLANNED').current.count).toBe(10);
      expect(step(d2026, 'NEGOTIATING').current.count).toBe(3);
      expect(step(d2026, 'UNDER_CONSTRUCTION').current.count).toBe(4);
      expect(step(d2026, 'NEGOTIATING').reached.count).toBe(21);
      expect(step(d2026, 'APPROVED').reached.count).toBe(16);
      expect(step(d2026, 'UNDER_CONSTRUCTION').reached.count).toBe(8);
      expect(step(d2026, 'NEGOTIATING').reachedInYear.count).toBe(2);
      expect(step(d2026, 'APPROVED').reachedInYear.count).toBe(1);
      expect(step(d2026, 'PLANNED').reachedInYear.count).toBe(0);
      expect(
        d2026.recentStageChanges
          .slice(0, 2)
          .map((e) => [e.project.name, e.fromStage, e.toStage, e.occurredOn]),
      ).toEqual([
        ['天彤电力工程', 'PLANNED', 'UNDER_CONSTRUCTION', '2026-04-01'],
        ['崖州湾国家实验室区域中心', 'PLANNED', 'NEGOTIATING', '2026-03-01'],
      ]);
      expect(d2026.logistics[1]!.latestNationalRank).toEqual({
        metric: 'dispatches',
        nationalRank: 1,
        periodEnd: '2026-06-30',
      });

      // 2025 as it stood at its end: the 2026 changes are not in its reached counts or changes.
      const d2025 = await dashboard(2025);
      for (const stage of ALL_STAGES)
        expect(step(d2025, stage).reached.count, stage).toBe(REACHED[stage]);
      expect(d2025.recentStageChanges[0]!.project.name).toBe('老客运站');
      expect(d2025.logistics[1]!.latestNationalRank?.nationalRank).toBe(2);
    });

    it('should keep the tallies equal to the projects and reaches themselves through every kind of write', async () => {
      const prisma = hub.db.prisma;
      const event = (projectId: number, toStage: ProjectStage, on: string) => ({
        projectId,
        kind: StageEventKind.ADVANCE,
        toStage,
        occurredOn: new Date(on),
        actor: 'test',
      });
      // Investments set, changed and cleared on projects that have reaches.
      await prisma.project.update({
        where: { code: 'LZ-2025-016' },
        data: { plannedInvestment: '70000000.00' },
      });
      await prisma.project.update({
        where: { code: 'LZ-2025-009' },
        data: { plannedInvestment: '250000000.50' },
      });
      await prisma.project.update({
        where: { code: 'LZ-2025-017' },
        data: { plannedInvestment: null },
      });
      await prisma.project.updateMany({
        where: { code: { in: ['LZ-2025-001', 'LZ-2025-012'] } },
        data: { plannedInvestment: '1000.00' },
      });
      // An earlier event recorded later moves a reach to an earlier year; several in one statement.
      const early = await prisma.project.findUniqueOrThrow({ where: { code: 'LZ-2025-021' } });
      const other = await prisma.project.findUniqueOrThrow({ where: { code: 'LZ-2025-016' } });
      await prisma.projectStageEvent.createMany({
        data: [
          event(early.id, 'SIGNED', '2023-06-01'),
          event(other.id, 'LANDED', '2026-05-01'),
          event(other.id, 'APPROVED', '2026-06-01'),
        ],
      });
      // Reaches written and deleted outside the log (the log itself is append-only), then their project.
      const gone = await prisma.project.create({
        data: {
          code: 'TALLY-GONE',
          name: '删除的项目',
          stage: 'SIGNED',
          plannedInvestment: '5.00',
        },
      });
      await prisma.projectStageReach.createMany({
        data: (['PLANNED', 'SIGNED'] as const).map((stage) => ({
          projectId: gone.id,
          stage,
          firstOn: new Date('2024-02-02'),
        })),
      });
      await prisma.projectStageReach.deleteMany({ where: { projectId: gone.id } });
      await prisma.project.delete({ where: { id: gone.id } });
      // Projects moved between parks and stages, several in one statement.
      const bonded = await prisma.park.findUniqueOrThrow({
        where: { code: 'comprehensive-bonded-zone' },
      });
      await prisma.project.updateMany({
        where: { code: { in: ['LZ-2025-012', 'LZ-2025-016', 'LZ-2025-017'] } },
        data: { parkId: bonded.id, stage: 'TENDERED' },
      });
      await prisma.project.update({ where: { code: 'LZ-2025-001' }, data: { parkId: null } });

      const now = await dashboard(2026);
      const byStage = await prisma.project.groupBy({
        by: ['stage'],
        _count: { _all: true, plannedInvestment: true },
        _sum: { plannedInvestment: true },
      });
      for (const stage of ALL_STAGES) {
        const want = byStage.find((g) => g.stage === stage);
        expect(step(now, stage).current.count, stage).toBe(want?._count._all ?? 0);
        expectDecimal(
          step(now, stage).current.plannedInvestment,
          want?._sum.plannedInvestment?.toString() ?? null,
        );
        expect(step(now, stage).current.plannedInvestmentKnownCount, stage).toBe(
          want?._count.plannedInvestment ?? 0,
        );
      }
      const byPark = await prisma.project.groupBy({
        by: ['parkId'],
        _count: { _all: true, plannedInvestment: true },
        _sum: { plannedInvestment: true },
      });
      const parks = await prisma.park.findMany({ orderBy: { id: 'asc' } });
      expect(now.parks.map((p) => p.park.code)).toEqual(parks.map((p) => p.code));
      for (const [i, park] of parks.entries()) {
        const want = byPark.find((g) => g.parkId === park.id);
        expect(now.parks[i]!.projects.count, park.code).toBe(want?._count._all ?? 0);
        expectDecimal(
          now.parks[i]!.projects.plannedInvestment,
          want?._sum.plannedInvestment?.toString() ?? null,
        );
        expect(now.parks[i]!.projects.plannedInvestmentKnownCount, park.code).toBe(
          want?._count.plannedInvestment ?? 0,
        );
      }
      expect(now.parks.find((p) => p.park.code === bonded.code)!.projects.count).toBe(4);

      for (const year of [2023, 2024, 2025, 2026]) {
        const expected = await prisma.$queryRaw<
          {
            stage: ProjectStage;
            count: number;
            investment: string | null;
            known: number;
            inYearCount: number;
            inYearInvestment: string | null;
            inYearKnown: number;
          }[]
        >(Prisma.sql`
          SELECT r.stage::text AS stage, COUNT(*)::int AS count,
                 SUM(p."plannedInvestment")::text AS investment,
                 COUNT(p."plannedInvestment")::int AS known,
                 (COUNT(*) FILTER (WHERE EXTRACT(YEAR FROM r."firstOn") = ${year}))::int AS "inYearCount",
                 (SUM(p."plannedInvestment") FILTER (WHERE EXTRACT(YEAR FROM r."firstOn") = ${year}))::text
                   AS "inYearInvestment",
                 (COUNT(p."plannedInvestment") FILTER (WHERE EXTRACT(YEAR FROM r."firstOn") = ${year}))::int
                   AS "inYearKnown"
            FROM "ProjectStageReach" r JOIN "Project" p ON p.id = r."projectId"
           WHERE EXTRACT(YEAR FROM r."firstOn") <= ${year}
           GROUP BY r.stage`);
        const d = await dashboard(year);
        for (const stage of ALL_STAGES) {
          const want = expected.find((row) => row.stage === stage);
          const { reached, reachedInYear } = step(d, stage);
          const label = `${year} ${stage}`;
          expect(reached.count, label).toBe(want?.count ?? 0);
          expectDecimal(reached.plannedInvestment, want?.investment ?? null);
          expect(reached.plannedInvestmentKnownCount, label).toBe(want?.known ?? 0);
          expect(reachedInYear.count, label).toBe(want?.inYearCount ?? 0);
          expectDecimal(reachedInYear.plannedInvestment, want?.inYearInvestment ?? null);
          expect(reachedInYear.plannedInvestmentKnownCount, label).toBe(want?.inYearKnown ?? 0);
        }
      }
      expect(step(await dashboard(2023), 'SIGNED').reachedInYear.count).toBeGreaterThan(0);

      // The last changes of a year: the latest recorded that occurred by its end, whatever the
      // years of occurrence of those recorded after them (here alternating, recorded late).
      await prisma.projectStageEvent.createMany({
        data: Array.from({ length: 14 }, (_, i) =>
          event(i % 2 ? early.id : other.id, 'SUSPENDED', i % 2 ? '2022-03-01' : '2024-09-01'),
        ),
      });
      for (const year of [2021, 2022, 2023, 2024, 2025, 2026]) {
        const latest = await prisma.projectStageEvent.findMany({
          where: { occurredOn: { lte: new Date(Date.UTC(year, 11, 31)) } },
          orderBy: { sequence: 'desc' },
          take: RECENT_STAGE_CHANGES,
        });
        expect(
          (await dashboard(year)).recentStageChanges.map((e) => e.sequence),
          String(year),
        ).toEqual(latest.map((e) => e.sequence.toString()));
      }
    });
  });
});
