/**
 * The read side over HTTP, on PGlite and PostgreSQL: every filter and ordering of `projects`,
 * paging both ways and its limit, `node(id)` for every node type, and every reported figure of
 * the district's report (tests/fixtures/expected-facts.ts) read back through GraphQL (figures, targets, funding, parks, channels,
 * named projects).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prisma, type ProjectStage } from '../src/generated/prisma/client.ts';
import { PIPELINE } from '../src/services/stages.ts';
import { describeEachEngine } from './helpers/db.ts';
import { startTestHub, type TestHub } from './helpers/server.ts';

/** Asserts an exact decimal, whatever scale the server prints it with ("250000000" or "250000000.00"). */
function expectDecimal(actual: unknown, expected: string | null): void {
  if (expected === null) {
    expect(actual).toBeNull();
    return;
  }
  expect(typeof actual, `decimal ${String(actual)} should be a string`).toBe('string');
  expect(
    new Prisma.Decimal(actual as string).equals(expected),
    `${String(actual)} should equal ${expected}`,
  ).toBe(true);
}

const PROJECT_FIELDS = 'id code name nameEn stage plannedInvestment stageChangedAt createdAt';

const PROJECTS = /* GraphQL */ `
  query Projects($filter: ProjectFilter, $orderBy: ProjectOrder, $first: Int, $after: String, $last: Int, $before: String) {
    projects(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { ${PROJECT_FIELDS} } }
    }
  }
`;

interface ProjectNode {
  id: string;
  code: string;
  name: string;
  nameEn: string | null;
  stage: ProjectStage;
  plannedInvestment: string | null;
  stageChangedAt: string;
  createdAt: string;
}

interface ProjectPage {
  totalCount: number;
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
  edges: { cursor: string; node: ProjectNode }[];
}

/** Every named project of the report and the stage it is reported at (sections A–C, F). */
const NAMED_PROJECTS: Record<string, ProjectStage> = {
  昊明预制菜: 'APPROVED',
  远程摩擦智能生产线: 'APPROVED',
  农村综合改革试点试验: 'TENDERED',
  城镇生活污水处理厂: 'TENDERED',
  鲨鱼饲料: 'LAND_ACQUIRED',
  屹美新材料: 'LAND_ACQUIRED',
  韵达东北总部基地: 'REGISTERED',
  博钰源纸箱: 'REGISTERED',
  中科凌胜: 'UNDER_CONSTRUCTION',
  中建材废旧轮胎处理: 'UNDER_CONSTRUCTION',
  西部供水: 'UNDER_CONSTRUCTION',
  益嘉农产品: 'AT_CAPACITY',
  中永消防设备: 'IN_OPERATION',
  昊明白羽鸡养殖: 'IN_OPERATION',
  申信金墅花园二期: 'COMPLETED',
  崖州湾国家实验室区域中心: 'PLANNED',
  中建三局集中式风电: 'SIGNED',
  中化循环低碳: 'LANDED',
  再生家电拆解: 'NEGOTIATING',
  海辰储能电池: 'NEGOTIATING',
  天彤电力工程: 'PLANNED',
  昊明鸡肉粉: 'PLANNED',
  二中分校: 'PLANNED',
  北四路至烈士塔段打通工程: 'PLANNED',
  中科超算中心: 'PLANNED',
  中科凌胜齿轮油: 'PLANNED',
  京抚线红庙子大桥: 'PLANNED',
  安辽畜禽养殖污水处理: 'PLANNED',
  安澜粪污资源化利用: 'PLANNED',
  郡威天宝家园二期: 'PLANNED',
  老客运站: 'PLANNED',
};
const PROJECT_COUNT = Object.keys(NAMED_PROJECTS).length;

/** Every figure the report gives, by seed code: value, unit, qualifier, as-of date and precision. */
const REPORTED_FIGURES: Record<
  string,
  { value: string | null; unit: string; qualifier?: string; asOf: string; text?: string }
> = {
  'lz-2025-approvals-completed': { value: '176', unit: 'projects', asOf: '2025-07-31' },
  'lz-2025-tenders-completed': { value: '13', unit: 'projects', asOf: '2025-07-31' },
  'lz-2025-industrial-land-parcels-won': { value: '10', unit: 'parcels', asOf: '2025-07-31' },
  'lz-2025-registration-submissions': { value: '7', unit: 'projects', asOf: '2025-07-31' },
  'lz-2025-key-projects-started': { value: '105', unit: 'projects', asOf: '2025-07-31' },
  'lz-2025-projects-in-operation': { value: '26', unit: 'projects', asOf: '2025-08-01' },
  'lz-2025-cumulative-investment-completed': {
    value: '1700000000',
    unit: 'CNY',
    asOf: '2025-08-01',
  },
  'lz-2025-yijia-output-increase': { value: '50000000', unit: 'CNY', asOf: '2025-08-01' },
  'lz-2025-agricultural-projects-in-operation': {
    value: '6',
    unit: 'projects',
    asOf: '2025-08-01',
  },
  'lz-2025-agricultural-projects-expected-output': {
    value: '160000000',
    unit: 'CNY',
    qualifier: 'APPROXIMATE',
    asOf: '2025-08-01',
  },
  'lz-2025-real-estate-projects-completed': { value: '2', unit: 'projects', asOf: '2025-08-01' },
  'lz-2025-homes-delivered': { value: '1500', unit: 'homes', asOf: '2025-08-01' },
  'lz-2025-policies-secured': { value: '6', unit: 'policies', asOf: '2025-08-01' },
  'lz-2025-projects-secured': { value: '5', unit: 'projects', asOf: '2025-08-01' },
  'lz-2025-investment-promotion-events': { value: '88', unit: 'events', asOf: '2025-08-01' },
  'lz-2025-signed-projects-100m-plus': { value: '70', unit: 'projects', asOf: '2025-08-01' },
  'lz-2025-landed-projects': { value: '38', unit: 'projects', asOf: '2025-08-01' },
  'lz-2025-attraction-working-rhythm': {
    value: null,
    unit: 'text',
    asOf: '2025-08-01',
    text: '日联、周跑、月跟进、季落地',
  },
  'lz-2025-approval-departments-integrated': {
    value: '13',
    unit: 'departments',
    asOf: '2025-08-01',
  },
  'lz-2025-construction-project-items-relisted': {
    value: '110',
    unit: 'items',
    asOf: '2025-08-01',
  },
  'lz-2025-approval-time-limit': {
    value: '35',
    unit: 'working_days',
    qualifier: 'AT_MOST',
    asOf: '2025-08-01',
  },
  'lz-2025-assisted-approval-items': { value: '9', unit: 'items', asOf: '2025-08-01' },
  'lz-2025-assisted-approval-average-time': {
    value: '7',
    unit: 'working_days',
    qualifier: 'AT_MOST',
    asOf: '2025-08-01',
  },
};

/** Rows of the report read back, as the queries below select them (decimals as strings). */
interface TargetRead {
  code: string;
  value: string;
  dueBy: string | null;
  actual: { code: string } | null;
  progress: {
    actualValue: string | null;
    computedRate: string | null;
    reportedRate: string | null;
    targetValue: string;
    rateMismatch: boolean;
    target: { code: string };
  };
}

interface AwardPage {
  totalCount: number;
  edges: { node: { code: string; amount: string } }[];
}

interface ParkRead {
  code: string;
  latestSnapshot: { enterprisesRegistered: number | null; enterprisesSigned: number | null } | null;
  facilities: {
    latestSnapshot: {
      status: string;
      statusNote: string | null;
      floorAreaM2: string | null;
    } | null;
  }[];
  projects: { totalCount: number; edges: { node: { code: string } }[] };
}

interface FacilityRead {
  code: string;
  latestSnapshot: { statusNote: string | null } | null;
}

interface ChannelRead {
  observations: { metric: string; textValue: string | null }[];
  latestNationalRank: unknown;
  dispatches: unknown[];
  old: unknown[];
  recent: unknown[];
}

describeEachEngine('query API', (engine) => {
  let hub: TestHub;
  /** Global ids by code, filled in beforeAll. */
  const parkIds: Record<string, string> = {};
  const sectorIds: Record<string, string> = {};
  const projectIds: Record<string, string> = {};

  async function ok<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<T> {
    const res = await hub.gql<T>(query, variables);
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return res.data!;
  }

  async function projects(variables: Record<string, unknown>): Promise<ProjectPage> {
    return (await ok<{ projects: ProjectPage }>(PROJECTS, variables)).projects;
  }

  async function codesFor(filter: Record<string, unknown>): Promise<string[]> {
    const page = await projects({ filter, first: 100 });
    expect(page.totalCount).toBe(page.edges.length);
    return page.edges.map((e) => e.node.code).sort();
  }

  beforeAll(async () => {
    hub = await startTestHub({ engine, listen: false });
    const prisma = hub.db.prisma;
    // The report gives no parks or planned investments for its projects: add a few to filter on.
    const bonded = await prisma.park.findUniqueOrThrow({
      where: { code: 'comprehensive-bonded-zone' },
    });
    const russia = await prisma.park.findUniqueOrThrow({ where: { code: 'china-russia-park' } });
    const set = (code: string, data: Prisma.ProjectUpdateInput) =>
      prisma.project.update({ where: { code }, data });
    await set('LZ-2025-001', {
      park: { connect: { id: bonded.id } },
      plannedInvestment: '100000000.00',
    });
    await set('LZ-2025-002', {
      park: { connect: { id: bonded.id } },
      plannedInvestment: '250000000.00',
    });
    await set('LZ-2025-003', {
      park: { connect: { id: russia.id } },
      plannedInvestment: '50000000.00',
    });
    await set('LZ-2025-004', { plannedInvestment: '500000000.00' });
    // A single central award for one project, beside the report's 2.5亿 district-wide total.
    const haoming = await prisma.project.findUniqueOrThrow({ where: { code: 'LZ-2025-001' } });
    await prisma.fundingAward.create({
      data: {
        code: 'test-central-award',
        sourceLevel: 'CENTRAL',
        instrument: 'GRANT',
        amount: '50000000.00',
        year: 2025,
        projectId: haoming.id,
      },
    });

    const ids = await ok<{
      parks: { id: string; code: string }[];
      sectors: { id: string; code: string }[];
      projects: { edges: { node: { id: string; code: string } }[] };
    }>(
      `{ parks { id code } sectors { id code } projects(first: 100) { edges { node { id code } } } }`,
    );
    for (const p of ids.parks) parkIds[p.code] = p.id;
    for (const s of ids.sectors) sectorIds[s.code] = s.id;
    for (const e of ids.projects.edges) projectIds[e.node.code] = e.node.id;
  });

  afterAll(async () => {
    await hub?.close();
  });

  describe('projects(filter)', () => {
    it('should return every seeded project without a filter', async () => {
      const page = await projects({ first: 100 });
      expect(page.totalCount).toBe(PROJECT_COUNT);
      const stages = Object.fromEntries(page.edges.map((e) => [e.node.name, e.node.stage]));
      expect(stages).toEqual(NAMED_PROJECTS);
    });

    it('should filter by a list of stages', async () => {
      expect(await codesFor({ stage: ['NEGOTIATING', 'SIGNED'] })).toEqual([
        'LZ-2025-017',
        'LZ-2025-019',
        'LZ-2025-020',
      ]);
      expect(await codesFor({ stage: ['UNDER_CONSTRUCTION'] })).toEqual([
        'LZ-2025-009',
        'LZ-2025-010',
        'LZ-2025-011',
      ]);
      expect(await codesFor({ stage: ['SUSPENDED'] })).toEqual([]);
    });

    it('should filter by park', async () => {
      expect(await codesFor({ parkId: parkIds['comprehensive-bonded-zone'] })).toEqual([
        'LZ-2025-001',
        'LZ-2025-002',
      ]);
      expect(await codesFor({ parkId: parkIds['china-russia-park'] })).toEqual(['LZ-2025-003']);
      expect(await codesFor({ parkId: parkIds['surface-finishing-park'] })).toEqual([]);
    });

    it('should reject a park id of another type', async () => {
      const res = await hub.gql(PROJECTS, {
        filter: { parkId: sectorIds.agriculture },
        first: 5,
      });
      expect(res.errors?.length).toBeGreaterThan(0);
    });

    it('should filter by sector', async () => {
      expect(await codesFor({ sectorId: sectorIds['agri-processing'] })).toEqual([
        'LZ-2025-001',
        'LZ-2025-005',
        'LZ-2025-012',
        'LZ-2025-022',
      ]);
      expect(await codesFor({ sectorId: sectorIds['real-estate'] })).toEqual([
        'LZ-2025-015',
        'LZ-2025-030',
        'LZ-2025-031',
      ]);
    });

    it('should match a Chinese name substring', async () => {
      expect(await codesFor({ nameContains: '昊明' })).toEqual([
        'LZ-2025-001',
        'LZ-2025-014',
        'LZ-2025-022',
      ]);
      expect(await codesFor({ nameContains: '中科凌胜' })).toEqual(['LZ-2025-009', 'LZ-2025-026']);
    });

    it('should match an English name substring in any case, and a code exactly', async () => {
      expect(await codesFor({ nameContains: 'haoming' })).toEqual([
        'LZ-2025-001',
        'LZ-2025-014',
        'LZ-2025-022',
      ]);
      expect(await codesFor({ nameContains: 'SUPERCOMPUTING' })).toEqual(['LZ-2025-025']);
      expect(await codesFor({ nameContains: 'LZ-2025-007' })).toEqual(['LZ-2025-007']);
      expect(await codesFor({ nameContains: '  ' })).toHaveLength(PROJECT_COUNT);
    });

    it('should filter by a planned investment range, bounds included', async () => {
      expect(await codesFor({ plannedInvestmentMin: '100000000' })).toEqual([
        'LZ-2025-001',
        'LZ-2025-002',
        'LZ-2025-004',
      ]);
      expect(await codesFor({ plannedInvestmentMax: '250000000.00' })).toEqual([
        'LZ-2025-001',
        'LZ-2025-002',
        'LZ-2025-003',
      ]);
      expect(
        await codesFor({ plannedInvestmentMin: '100000000', plannedInvestmentMax: '250000000' }),
      ).toEqual(['LZ-2025-001', 'LZ-2025-002']);
    });

    it('should filter by a milestone reached, counting later stages as reached', async () => {
      expect(await codesFor({ reached: { stage: 'UNDER_CONSTRUCTION' } })).toEqual([
        'LZ-2025-009',
        'LZ-2025-010',
        'LZ-2025-011',
        'LZ-2025-012',
        'LZ-2025-013',
        'LZ-2025-014',
        'LZ-2025-015',
      ]);
      expect(await codesFor({ reached: { stage: 'APPROVED' } })).toHaveLength(15);
      expect(await codesFor({ reached: { stage: 'PLANNED' } })).toHaveLength(PROJECT_COUNT);
    });

    it('should filter by a milestone reached within a date range', async () => {
      // Section A reports as of 2025-07-31; the others "so far", stored as 2025-08-01.
      const julyOnly = await codesFor({
        reached: { stage: 'APPROVED', from: '2025-07-01', to: '2025-07-31' },
      });
      expect(julyOnly).toEqual(
        Array.from({ length: 11 }, (_, i) => `LZ-2025-${String(i + 1).padStart(3, '0')}`),
      );
      const fromAugust = await codesFor({ reached: { stage: 'APPROVED', from: '2025-08-01' } });
      expect(fromAugust).toEqual(['LZ-2025-012', 'LZ-2025-013', 'LZ-2025-014', 'LZ-2025-015']);
      expect(await codesFor({ reached: { stage: 'APPROVED', to: '2025-07-30' } })).toEqual([]);
    });

    it('should filter by the day the stage last changed, both days included', async () => {
      expect(await codesFor({ changedTo: '2025-07-31' })).toHaveLength(11);
      expect(await codesFor({ changedFrom: '2025-08-01' })).toHaveLength(20);
      expect(await codesFor({ changedFrom: '2025-07-31', changedTo: '2025-07-31' })).toHaveLength(
        11,
      );
      expect(await codesFor({ changedFrom: '2025-08-02' })).toEqual([]);
    });

    it('should combine conditions with AND', async () => {
      expect(
        await codesFor({ parkId: parkIds['comprehensive-bonded-zone'], nameContains: '昊明' }),
      ).toEqual(['LZ-2025-001']);
      expect(await codesFor({ stage: ['APPROVED'], plannedInvestmentMin: '200000000' })).toEqual([
        'LZ-2025-002',
      ]);
    });

    it('should reject an impossible date', async () => {
      const res = await hub.gql(PROJECTS, { filter: { changedFrom: '2025-02-30' }, first: 5 });
      expect(res.errors?.[0]?.message).toMatch(/real calendar date/);
    });
  });

  describe('projects(orderBy)', () => {
    async function ordered(field: string, direction: 'ASC' | 'DESC'): Promise<ProjectNode[]> {
      const page = await projects({ orderBy: { field, direction }, first: 100 });
      return page.edges.map((e) => e.node);
    }
    const rank = (stage: ProjectStage) => [...PIPELINE, 'SUSPENDED', 'CANCELLED'].indexOf(stage);
    const idOf = (n: ProjectNode) => n.code;

    it('should order by name both ways, as the database collates, ties by id', async () => {
      const expected = await hub.db.prisma.project.findMany({
        orderBy: [{ name: 'asc' }, { id: 'asc' }],
        select: { code: true },
      });
      const asc = await ordered('NAME', 'ASC');
      expect(asc.map(idOf)).toEqual(expected.map((p) => p.code));
      expect((await ordered('NAME', 'DESC')).map(idOf)).toEqual(asc.map(idOf).reverse());
    });

    it('should order by planned investment both ways, unknown amounts last', async () => {
      const asc = (await ordered('PLANNED_INVESTMENT', 'ASC')).map(idOf);
      expect(asc.slice(0, 4)).toEqual(['LZ-2025-003', 'LZ-2025-001', 'LZ-2025-002', 'LZ-2025-004']);
      const desc = (await ordered('PLANNED_INVESTMENT', 'DESC')).map(idOf);
      expect(desc.slice(0, 4)).toEqual([
        'LZ-2025-004',
        'LZ-2025-002',
        'LZ-2025-001',
        'LZ-2025-003',
      ]);
      // Unknown amounts: after all known ones, ties by id in the same direction.
      expect(asc.slice(4)).toEqual([...asc.slice(4)].sort());
      expect(desc.slice(4)).toEqual([...desc.slice(4)].sort().reverse());
    });

    it('should order by pipeline stage both ways, ties by id', async () => {
      const asc = await ordered('STAGE', 'ASC');
      expect(asc[0]!.stage).toBe('PLANNED');
      expect(asc.at(-1)!.stage).toBe('AT_CAPACITY');
      for (let i = 1; i < asc.length; i++) {
        const [a, b] = [asc[i - 1]!, asc[i]!];
        expect(rank(a.stage) < rank(b.stage) || (a.stage === b.stage && a.code < b.code)).toBe(
          true,
        );
      }
      expect((await ordered('STAGE', 'DESC')).map(idOf)).toEqual(asc.map(idOf).reverse());
    });

    it('should order by last stage change both ways', async () => {
      const asc = await ordered('STAGE_CHANGED_AT', 'ASC');
      expect(asc.slice(0, 11).every((p) => p.stageChangedAt.startsWith('2025-07-31'))).toBe(true);
      for (let i = 1; i < asc.length; i++)
        expect(asc[i - 1]!.stageChangedAt <= asc[i]!.stageChangedAt).toBe(true);
      expect((await ordered('STAGE_CHANGED_AT', 'DESC')).map(idOf)).toEqual(
        asc.map(idOf).reverse(),
      );
    });

    it('should order by creation both ways', async () => {
      const asc = await ordered('CREATED_AT', 'ASC');
      for (let i = 1; i < asc.length; i++)
        expect(asc[i - 1]!.createdAt <= asc[i]!.createdAt).toBe(true);
      expect((await ordered('CREATED_AT', 'DESC')).map(idOf)).toEqual(asc.map(idOf).reverse());
    });
  });

  describe('paging', () => {
    async function pageForward(size: number, orderBy?: unknown): Promise<string[]> {
      const seen: string[] = [];
      let after: string | null = null;
      for (let guard = 0; guard < 50; guard++) {
        const page: ProjectPage = await projects({ first: size, after, orderBy });
        seen.push(...page.edges.map((e) => e.node.code));
        expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
        if (!page.pageInfo.hasNextPage) return seen;
        after = page.pageInfo.endCursor;
      }
      throw new Error('paging did not end');
    }

    async function pageBackward(size: number, orderBy?: unknown): Promise<string[]> {
      const seen: string[] = [];
      let before: string | null = null;
      for (let guard = 0; guard < 50; guard++) {
        const page: ProjectPage = await projects({ last: size, before, orderBy });
        seen.unshift(...page.edges.map((e) => e.node.code));
        expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor ?? null);
        if (!page.pageInfo.hasPreviousPage) return seen;
        before = page.pageInfo.startCursor;
      }
      throw new Error('paging did not end');
    }

    it('should serve 20 items by default', async () => {
      const page = await projects({});
      expect(page.edges).toHaveLength(20);
      expect(page.pageInfo.hasNextPage).toBe(true);
      expect(page.totalCount).toBe(PROJECT_COUNT);
    });

    it('should page forward with first/after through every project once', async () => {
      const all = (await projects({ first: 100 })).edges.map((e) => e.node.code);
      expect(await pageForward(7)).toEqual(all);
    });

    it('should page backward with last/before through every project once', async () => {
      const all = (await projects({ first: 100 })).edges.map((e) => e.node.code);
      expect(await pageBackward(7)).toEqual(all);
      const last = await projects({ last: 3 });
      expect(last.edges.map((e) => e.node.code)).toEqual(all.slice(-3));
      expect(last.pageInfo.hasPreviousPage).toBe(true);
    });

    it('should page both ways through an ordering with unknown values', async () => {
      for (const direction of ['ASC', 'DESC']) {
        const orderBy = { field: 'PLANNED_INVESTMENT', direction };
        const all = (await projects({ first: 100, orderBy })).edges.map((e) => e.node.code);
        expect(await pageForward(3, orderBy)).toEqual(all);
        expect(await pageBackward(3, orderBy)).toEqual(all);
      }
    });

    it('should page a filtered list, totalCount counting the whole filtered list', async () => {
      const first = await projects({ filter: { stage: ['PLANNED'] }, first: 5 });
      expect(first.totalCount).toBe(12);
      const next = await projects({
        filter: { stage: ['PLANNED'] },
        first: 10,
        after: first.pageInfo.endCursor,
      });
      expect(next.edges).toHaveLength(7);
      expect(next.pageInfo.hasNextPage).toBe(false);
      expect(next.totalCount).toBe(12);
    });

    it('should allow 100 items and refuse 101 with PAGE_SIZE_EXCEEDED', async () => {
      expect((await projects({ first: 100 })).edges).toHaveLength(PROJECT_COUNT);
      for (const args of [{ first: 101 }, { last: 500 }]) {
        const res = await hub.gql(PROJECTS, args);
        expect(res.data).toBeNull();
        expect(res.errors?.[0]?.extensions?.code).toBe('PAGE_SIZE_EXCEEDED');
        expect(res.errors?.[0]?.message).toMatch(/maximum page size of 100/);
      }
    });

    it('should refuse more than 100 on nested and other connections too', async () => {
      for (const query of [
        `{ parks { projects(first: 101) { totalCount } } }`,
        `{ sectors { projects(last: 101) { totalCount } } }`,
        `{ projects(first: 1) { edges { node { stageHistory(last: 101) { totalCount } } } } }`,
        `{ stageEvents(first: 101) { totalCount } }`,
        `{ fundingAwards(first: 101) { totalCount } }`,
      ]) {
        const res = await hub.gql(query);
        expect(res.errors?.[0]?.extensions?.code, query).toBe('PAGE_SIZE_EXCEEDED');
      }
    });
  });

  describe('node(id)', () => {
    it('should resolve every node type by its global id', async () => {
      const data = await ok(`{
        projects(first: 1) { edges { node { id __typename stageHistory(first: 1) { edges { node { id __typename } } } } } }
        sectors { id __typename }
        parks { id __typename snapshots { id __typename } }
        facilities { id __typename }
        fundingAwards(first: 1) { edges { node { id __typename } } }
        logisticsChannels { id __typename observations { id __typename } }
        reportedFigures { id __typename }
        targets { id __typename }
        sourceDocuments { id __typename }
      }`);
      const all = JSON.stringify(data);
      const nodes = [...all.matchAll(/\{"id":"([^"]+)","__typename":"(\w+)"/g)].map((m) => ({
        id: m[1]!,
        typename: m[2]!,
      }));
      const typenames = new Set(nodes.map((n) => n.typename));
      expect([...typenames].sort()).toEqual([
        'Facility',
        'FundingAward',
        'LogisticsChannel',
        'LogisticsObservation',
        'Park',
        'ParkSnapshot',
        'Project',
        'ProjectStageEvent',
        'ReportedFigure',
        'Sector',
        'SourceDocument',
        'Target',
      ]);
      // Every type the schema makes a Node is covered.
      const schema = await ok<{ __type: { possibleTypes: { name: string }[] } }>(
        `{ __type(name: "Node") { possibleTypes { name } } }`,
      );
      expect(schema.__type.possibleTypes.map((t) => t.name).sort()).toEqual([...typenames].sort());

      for (const { id, typename } of nodes) {
        const res = await ok<{ node: { id: string; __typename: string } | null }>(
          `query($id: ID!) { node(id: $id) { id __typename } }`,
          { id },
        );
        expect(res.node).toEqual({ id, __typename: typename });
      }
      const many = await ok<{ nodes: ({ id: string } | null)[] }>(
        `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
        {
          ids: nodes.map((n) => n.id),
        },
      );
      expect(many.nodes.map((n) => n?.id)).toEqual(nodes.map((n) => n.id));
    });

    it('should return a project node with its relations', async () => {
      const data = await ok<{
        node: {
          plannedInvestment: string | null;
          milestones: { stage: string; reached: boolean; reachedOn: string | null }[];
        };
      }>(
        `query($id: ID!) { node(id: $id) { ... on Project {
        name nameEn stage park { name } sector { name leading }
        plannedInvestment
        stageHistory { totalCount edges { node { kind toStage occurredOn occurredPrecision } } }
        milestones { stage reached reachedOn }
        fundingAwards { code amount }
        sources { code }
      } } }`,
        { id: projectIds['LZ-2025-001'] },
      );
      expect(data.node).toMatchObject({
        name: '昊明预制菜',
        nameEn: 'Haoming prepared dishes',
        stage: 'APPROVED',
        park: { name: '综保区' },
        sector: { name: '农产品精深加工', leading: true },
        stageHistory: {
          totalCount: 1,
          edges: [
            {
              node: {
                kind: 'INITIAL',
                toStage: 'APPROVED',
                occurredOn: '2025-07-31',
                occurredPrecision: 'DAY',
              },
            },
          ],
        },
        fundingAwards: [{ code: 'test-central-award' }],
        sources: [{ code: 'liaozhong-autumn-campaign-2025' }],
      });
      expectDecimal(data.node.plannedInvestment, '100000000');
      const milestones = data.node.milestones;
      expect(milestones.filter((m) => m.reached).map((m) => m.stage)).toEqual([
        'PLANNED',
        'NEGOTIATING',
        'SIGNED',
        'LANDED',
        'APPROVED',
      ]);
      expect(milestones.find((m) => m.stage === 'APPROVED')?.reachedOn).toBe('2025-07-31');
    });

    it('should return null for an unknown id of a known type', async () => {
      const id = Buffer.from('Project:999999').toString('base64');
      expect((await ok(`query($id: ID!) { node(id: $id) { id } }`, { id })).node).toBeNull();
    });
  });

  describe('the report read back', () => {
    it('should serve every reported figure with its unit, qualifier and as-of date', async () => {
      const data = await ok<{
        reportedFigures: {
          code: string;
          value: string | null;
          textValue: string | null;
          unit: string;
          qualifier: string;
          asOf: string;
          asOfPrecision: string;
          approximate: boolean;
          source: { code: string };
        }[];
      }>(`{ reportedFigures(year: 2025) {
        code value textValue unit qualifier asOf asOfPrecision approximate year category label labelEn source { code }
      } }`);
      const byCode = Object.fromEntries(data.reportedFigures.map((f) => [f.code, f]));
      expect(Object.keys(byCode).sort()).toEqual(Object.keys(REPORTED_FIGURES).sort());
      for (const [code, want] of Object.entries(REPORTED_FIGURES)) {
        const got = byCode[code]!;
        expectDecimal(got.value, want.value);
        expect(got.unit, code).toBe(want.unit);
        expect(got.qualifier, code).toBe(want.qualifier ?? 'EXACT');
        expect(got.asOf, code).toBe(want.asOf);
        // Section A is dated 截至7月底 (a day); "so far" is a month, flagged approximate.
        expect(got.asOfPrecision, code).toBe(want.asOf === '2025-07-31' ? 'DAY' : 'MONTH');
        expect(got.approximate, code).toBe(want.asOf !== '2025-07-31');
        if (want.text) expect(got.textValue).toBe(want.text);
        expect(got.source.code).toBe('liaozhong-autumn-campaign-2025');
      }
    });

    it('should filter reported figures by year and category', async () => {
      const approval = await ok<{ reportedFigures: { code: string; value: string }[] }>(
        `{ reportedFigures(year: 2025, category: "approval") { code value } }`,
      );
      expect(approval.reportedFigures).toHaveLength(1);
      expectDecimal(approval.reportedFigures[0]!.value, '176');
      const construction = await ok<{ reportedFigures: { code: string }[] }>(
        `{ reportedFigures(category: "construction") { code value } }`,
      );
      expect(construction.reportedFigures.map((f) => f.code)).toEqual([
        'lz-2025-key-projects-started',
      ]);
      expect((await ok(`{ reportedFigures(year: 2024) { code } }`)).reportedFigures).toEqual([]);
      const one = await ok<{ reportedFigure: { value: string; project: { name: string } } }>(
        `{ reportedFigure(code: "lz-2025-yijia-output-increase") { value project { name } } }`,
      );
      expect(one.reportedFigure.project.name).toBe('益嘉农产品');
      expectDecimal(one.reportedFigure.value, '50000000');
    });

    it('should serve targets with the computed and the reported completion rate', async () => {
      const data = await ok<{ targets: TargetRead[] }>(`{ targets(year: 2025) {
        code value unit dueBy reportedRate
        actual { code value }
        progress { targetValue actualValue unit computedRate reportedRate rateMismatch target { code } actual { code } }
      } }`);
      const byCode = Object.fromEntries(data.targets.map((t) => [t.code, t]));
      expect(Object.keys(byCode)).toEqual([
        'lz-2025-target-completions',
        'lz-2025-target-key-projects-started',
        'lz-2025-target-registration-projects',
        'lz-2025-target-registration-investment',
      ]);
      // 26 / 60 = 43.33…% → 43.3, as the report says: no mismatch.
      const completions = byCode['lz-2025-target-completions']!;
      expectDecimal(completions.value, '60');
      expect(completions.dueBy).toBe('2025-12-31');
      expect(completions.actual!.code).toBe('lz-2025-projects-in-operation');
      expectDecimal(completions.progress.targetValue, '60');
      expectDecimal(completions.progress.actualValue, '26');
      expectDecimal(completions.progress.computedRate, '43.3');
      expectDecimal(completions.progress.reportedRate, '43.3');
      expect(completions.progress.rateMismatch).toBe(false);
      expect(completions.progress.target.code).toBe('lz-2025-target-completions');
      // 105 / 150 = 70.0%; the report gives no rate.
      const started = byCode['lz-2025-target-key-projects-started']!.progress;
      expectDecimal(started.actualValue, '105');
      expectDecimal(started.computedRate, '70.0');
      expect(started.reportedRate).toBeNull();
      expect(started.rateMismatch).toBe(false);
      // 41 projects / 52.3亿 by year end: no actual linked, so no rate.
      expectDecimal(byCode['lz-2025-target-registration-projects']!.value, '41');
      expectDecimal(byCode['lz-2025-target-registration-investment']!.value, '5230000000');
      for (const code of [
        'lz-2025-target-registration-projects',
        'lz-2025-target-registration-investment',
      ]) {
        expect(byCode[code]!.progress).toMatchObject({
          actualValue: null,
          computedRate: null,
          rateMismatch: false,
          actual: null,
        });
      }
      const one = await ok<{ target: { progress: { computedRate: string } } }>(
        `{ target(code: "lz-2025-target-completions") { progress { computedRate } } }`,
      );
      expectDecimal(one.target.progress.computedRate, '43.3');
    });

    it('should show funding totals as reported, never adding overlapping levels', async () => {
      const data = await ok<{
        fundingTotals: {
          sourceLevel: string;
          amount: string;
          reportedAmount: string | null;
          awardedAmount: string | null;
          awardCount: number;
          mayOverlap: boolean;
          overlapNote: string | null;
        }[];
      }>(`{ fundingTotals(year: 2025) {
        year sourceLevel amount reportedAmount awardedAmount awardCount mayOverlap overlapNote
      } }`);
      const byLevel = Object.fromEntries(data.fundingTotals.map((t) => [t.sourceLevel, t]));
      expect(Object.keys(byLevel)).toEqual(['CENTRAL', 'PROVINCIAL_AND_ABOVE', 'POLICY_BANK']);
      // 2.5亿 central as reported; the test's single 5000万 award is part of it, not added to it.
      expectDecimal(byLevel.CENTRAL!.amount, '250000000');
      expectDecimal(byLevel.CENTRAL!.reportedAmount, '250000000');
      expectDecimal(byLevel.CENTRAL!.awardedAmount, '50000000');
      expect(byLevel.CENTRAL!.awardCount).toBe(2);
      expectDecimal(byLevel.PROVINCIAL_AND_ABOVE!.amount, '460000000');
      expect(byLevel.PROVINCIAL_AND_ABOVE!.awardedAmount).toBeNull();
      expectDecimal(byLevel.POLICY_BANK!.amount, '980000000');
      // The 4.6亿 may include the 2.5亿: both flagged, with the note; policy-bank money is not.
      for (const level of ['CENTRAL', 'PROVINCIAL_AND_ABOVE']) {
        expect(byLevel[level]!.mayOverlap).toBe(true);
        expect(byLevel[level]!.overlapNote).toMatch(/不可相加|never be added/);
      }
      expect(byLevel.POLICY_BANK!.mayOverlap).toBe(false);
      // No grand total exists to add them up.
      const type = await ok<{ __type: { fields: { name: string }[] } }>(
        `{ __type(name: "FundingTotal") { fields { name } } }`,
      );
      expect(type.__type.fields.map((f) => f.name)).not.toContain('grandTotal');
      expect((await ok(`{ fundingTotals(year: 2024) { amount } }`)).fundingTotals).toEqual([]);
      expect((await ok(`{ fundingTotals { year } }`)).fundingTotals).toHaveLength(3);
    });

    it('should filter funding awards by source level, year and project', async () => {
      const q = `query($filter: FundingAwardFilter) { fundingAwards(filter: $filter, first: 10) {
        totalCount edges { node { code amount reportedTotal overlapNote asOf asOfPrecision project { code } } }
      } }`;
      const codes = async (filter: Record<string, unknown>) =>
        (await ok<{ fundingAwards: AwardPage }>(q, { filter })).fundingAwards.edges.map(
          (e) => e.node.code,
        );
      expect(await codes({})).toEqual([
        'lz-2025-central-project-funds',
        'lz-2025-provincial-and-above-funds',
        'lz-2025-policy-bank-financing',
        'test-central-award',
      ]);
      expect(await codes({ sourceLevel: ['CENTRAL'] })).toEqual([
        'lz-2025-central-project-funds',
        'test-central-award',
      ]);
      expect(await codes({ sourceLevel: ['POLICY_BANK', 'PROVINCIAL_AND_ABOVE'] })).toEqual([
        'lz-2025-provincial-and-above-funds',
        'lz-2025-policy-bank-financing',
      ]);
      expect(await codes({ year: 2025, reportedTotal: true })).toHaveLength(3);
      expect(await codes({ year: 2024 })).toEqual([]);
      expect(await codes({ projectId: projectIds['LZ-2025-001'] })).toEqual(['test-central-award']);
      const central = (
        await ok<{ fundingAwards: AwardPage }>(q, {
          filter: { sourceLevel: ['CENTRAL'], reportedTotal: true },
        })
      ).fundingAwards;
      expect(central.totalCount).toBe(1);
      expect(central.edges[0]!.node).toMatchObject({
        asOf: '2025-08-01',
        asOfPrecision: 'MONTH',
        reportedTotal: true,
      });
      expectDecimal(central.edges[0]!.node.amount, '250000000');
    });

    it('should serve parks with facilities and latest and historical snapshots', async () => {
      const data = await ok<{ parks: ParkRead[]; facilities: FacilityRead[] }>(`{
        parks {
          code name kind
          latestSnapshot { asOf enterprisesRegistered enterprisesSigned }
          snapshots { asOf }
          facilities { code phase latestSnapshot { status statusNote floorAreaM2 } snapshots { asOf } }
          projects(first: 5) { totalCount edges { node { code } } }
        }
        facilities { code park { code } latestSnapshot { status statusNote asOf asOfPrecision } }
      }`);
      const parks = Object.fromEntries(data.parks.map((p) => [p.code, p]));
      expect(Object.keys(parks)).toEqual([
        'comprehensive-bonded-zone',
        'china-russia-park',
        'environmental-park-b',
        'surface-finishing-park',
      ]);
      expect(parks['comprehensive-bonded-zone']).toMatchObject({
        name: '综保区',
        kind: 'BONDED_ZONE',
        latestSnapshot: null,
      });
      const phase1 = parks['comprehensive-bonded-zone']!.facilities[0]!;
      expect(phase1).toMatchObject({
        code: 'comprehensive-bonded-zone-phase-1',
        phase: 1,
        latestSnapshot: { status: 'COMPLETED' },
      });
      expectDecimal(phase1.latestSnapshot!.floorAreaM2, '280000'); // 28万㎡
      expect(parks['comprehensive-bonded-zone']!.facilities[1]!.latestSnapshot!.statusNote).toMatch(
        /完成合围/,
      );
      expect(parks['china-russia-park']!.latestSnapshot!.enterprisesRegistered).toBe(72);
      expect(parks['surface-finishing-park']!.latestSnapshot!.enterprisesSigned).toBe(15);
      expect(parks['environmental-park-b']!.facilities[0]!.latestSnapshot).toMatchObject({
        status: 'COMPLETED',
      });
      expect(parks['comprehensive-bonded-zone']!.projects.totalCount).toBe(2);
      expect(parks['china-russia-park']!.projects.edges.map((e) => e.node.code)).toEqual([
        'LZ-2025-003',
      ]);

      const facilities = Object.fromEntries(data.facilities.map((f) => [f.code, f]));
      expect(facilities['liaozhong-no-1']).toMatchObject({
        park: null,
        latestSnapshot: { status: 'FITTING_OUT' },
      });
      expect(facilities['development-zone-industrial-wastewater-plant']).toMatchObject({
        park: null,
        latestSnapshot: {
          status: 'UNDER_CONSTRUCTION',
          asOf: '2025-08-01',
          asOfPrecision: 'MONTH',
        },
      });
      expect(
        facilities['development-zone-industrial-wastewater-plant']!.latestSnapshot!.statusNote,
      ).toMatch(/进场施工/);
    });

    it('should keep the latest snapshot latest when a new one is recorded, and the history in order', async () => {
      const prisma = hub.db.prisma;
      const park = await prisma.park.findUniqueOrThrow({ where: { code: 'china-russia-park' } });
      await prisma.parkSnapshot.create({
        data: { parkId: park.id, asOf: new Date('2025-06-30'), enterprisesRegistered: 50 },
      });
      const data = await ok<{
        node: {
          latestSnapshot: { enterprisesRegistered: number | null };
          snapshots: { asOf: string }[];
        };
      }>(
        `query($id: ID!) { node(id: $id) { ... on Park { latestSnapshot { enterprisesRegistered } snapshots { asOf } } } }`,
        {
          id: parkIds['china-russia-park'],
        },
      );
      expect(data.node.latestSnapshot.enterprisesRegistered).toBe(72);
      expect(data.node.snapshots.map((s) => s.asOf)).toEqual(['2025-06-30', '2025-08-01']);
    });

    it('should serve logistics channels with their time series and latest national rank', async () => {
      const data = await ok<{ logisticsChannels: ChannelRead[] }>(`{ logisticsChannels {
        code name kind
        observations { metric textValue periodStart periodEnd periodPrecision nationalRank }
        dispatches: observations(metric: "dispatches") { nationalRank }
        old: observations(periodTo: "2025-07-31") { metric }
        recent: observations(periodFrom: "2025-08-01", periodTo: "2025-08-31") { metric }
        latestNationalRank { metric nationalRank periodEnd unit }
      } }`);
      const [train, tir] = data.logisticsChannels as [ChannelRead, ChannelRead];
      expect(train).toMatchObject({
        code: 'china-russia-freight-train',
        name: '中俄国际班列',
        kind: 'RAIL_FREIGHT',
        latestNationalRank: null,
      });
      expect(train.observations).toEqual([
        {
          metric: 'service_status',
          textValue: '开通运行',
          periodStart: null,
          periodEnd: '2025-08-01',
          periodPrecision: 'MONTH',
          nationalRank: null,
        },
      ]);
      expect(tir).toMatchObject({ code: 'tir-road-transport', kind: 'ROAD_TIR' });
      // TIR dispatches since the start of the year: 2nd nationally.
      expect(tir.latestNationalRank).toEqual({
        metric: 'dispatches',
        nationalRank: 2,
        periodEnd: '2025-08-01',
        unit: 'vehicle trips',
      });
      expect(tir.dispatches).toEqual([{ nationalRank: 2 }]);
      expect(tir.old).toEqual([]);
      expect(tir.recent).toHaveLength(2);
      expect(tir.observations.find((o) => o.metric === 'assembly_centre')!.textValue).toMatch(
        /全国第三个/,
      );
    });

    it('should serve the four leading industries', async () => {
      const data = await ok<{ sectors: { name: string; leading: boolean }[] }>(
        `{ sectors { name leading } }`,
      );
      expect(data.sectors.filter((s) => s.leading).map((s) => s.name)).toEqual([
        '农产品精深加工',
        '节能环保',
        '先进装备制造及配套',
        '保税加工及现代商贸物流',
      ]);
    });
  });
});
