/**
 * The OC4IDS export: the fields it must have and the codes it uses (always), the standard's own
 * schemas and codelists when OC4IDS_SCHEMA_DIR names them (tests/helpers/oc4ids.ts), and the
 * mapping from the hub's projects, stages and funding.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/index.ts';
import { buildOc4idsPackage, projectStatus, STAGE_STATUS } from '../src/exchange/oc4ids.ts';
import { Prisma, type ProjectStage } from '../src/generated/prisma/client.ts';
import { createProject } from '../src/services/projects.ts';
import { changeProjectStage } from '../src/services/stage-change.ts';
import { openTestDatabase } from './helpers/db.ts';
import { TEST_ACTOR } from './helpers/fixtures.ts';
import {
  type Codelist,
  exportValidator,
  officialCodes,
  officialSkipReason,
  officialValidator,
  usedCodes,
} from './helpers/oc4ids.ts';
import { startTestHub, type TestHub } from './helpers/server.ts';

const OPTIONS = {
  publisherName: '辽中区',
  idPrefix: 'oc4ids-lzq-',
  uri: 'https://data.example.cn/oc4ids',
};
const day = (iso: string) => new Date(`${iso}T00:00:00Z`);
const officialSkipped = officialSkipReason();

/** Paths of every empty string, array or object in `value`. */
function empties(value: unknown, path = '$'): string[] {
  if (typeof value === 'string') return value.trim() ? [] : [path];
  if (Array.isArray(value))
    return value.length ? value.flatMap((v, i) => empties(v, `${path}[${i}]`)) : [path];
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    return entries.length ? entries.flatMap(([k, v]) => empties(v, `${path}.${k}`)) : [path];
  }
  return value === null ? [path] : [];
}

/** Every Value-like object (a numeric `amount` or a `currency`), with where it is. */
function values(value: unknown, path = '$'): { path: string; v: Record<string, unknown> }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => values(v, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    const here = typeof v.amount === 'number' || 'currency' in v ? [{ path, v }] : [];
    return [...here, ...Object.entries(value).flatMap(([k, v]) => values(v, `${path}.${k}`))];
  }
  return [];
}

/** An OC4IDS project as the export writes it: the fields these tests read by name. */
interface Oc4idsProject {
  id: string;
  title?: string;
  status?: string;
  sector?: string[];
  locations?: { description?: string }[];
  milestones: {
    title?: string;
    type?: string;
    code?: string;
    dateMet?: string;
    description?: string;
  }[];
  [field: string]: unknown;
}

type Pkg = { projects: Oc4idsProject[] } & Record<string, unknown>;

/** Valid by the export's own check, and by the official schemas when they are there. */
function expectValid(pkg: unknown): void {
  for (const validate of officialSkipped
    ? [exportValidator()]
    : [exportValidator(), officialValidator()]) {
    const ok = validate(pkg);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 1)).toEqual([]);
    expect(ok).toBe(true);
  }
  expect(empties(pkg)).toEqual([]);
  for (const { path, v } of values(pkg)) {
    expect(v, path).toEqual({ amount: expect.any(Number), currency: 'CNY' });
  }
}

describe('OC4IDS project package', () => {
  let db: Database;
  let seeded: Pkg;

  beforeAll(async () => {
    db = await openTestDatabase('pglite', { seeded: true });
    seeded = (await buildOc4idsPackage(db.prisma, OPTIONS)) as Pkg;
  });
  afterAll(async () => {
    await db?.close();
  });

  it('should have every field the export must have, each code from its codelist, for the seeded district', () => {
    expectValid(seeded);
    expect(seeded).toMatchObject({
      version: '0.9',
      uri: OPTIONS.uri,
      publisher: { name: '辽中区' },
    });
    expect(seeded.projects).toHaveLength(31);
  });

  /** The seeded package with a wrong status, a wrong currency, a milestone without its date and no publishedDate. */
  const broken = () => {
    const pkg = structuredClone(seeded);
    pkg.projects[0]!.status = 'building';
    pkg.projects[1]!.budget = { amount: { amount: 1, currency: 'YUAN' } };
    delete pkg.projects[2]!.milestones[0]!.dateMet;
    delete (pkg as Record<string, unknown>).publishedDate;
    return pkg;
  };

  it("should fail a broken package: the export's own check really checks", () => {
    const validate = exportValidator();
    expect(validate(broken())).toBe(false);
    expect(validate.errors!.map((e) => e.instancePath).sort()).toEqual(
      expect.arrayContaining([
        '',
        '/projects/0/status',
        '/projects/1/budget/amount/currency',
        '/projects/2/milestones/0',
      ]),
    );
  });

  (officialSkipped ? describe.skip : describe)(
    'against the official OC4IDS 0.9.5 schema files',
    () => {
      it('should validate the seeded district', () => {
        const validate = officialValidator();
        expect(validate(seeded), JSON.stringify(validate.errors, null, 1)).toBe(true);
      });

      it('should fail a broken package: the validator really checks', () => {
        const validate = officialValidator();
        expect(validate(broken())).toBe(false);
        expect(validate.errors!.map((e) => e.instancePath).sort()).toEqual(
          expect.arrayContaining(['', '/projects/0/status', '/projects/1/budget/amount/currency']),
        );
      });

      it.each(Object.keys(usedCodes) as Codelist[])(
        'should use only codes of the official %s codelist',
        (codelist) => {
          const official = officialCodes(codelist);
          expect(official.size).toBeGreaterThan(0);
          expect(usedCodes[codelist].filter((c) => !official.has(c))).toEqual([]);
        },
      );
    },
  );

  it('should emit no empty strings, arrays or objects, and every amount with its currency', () => {
    expect(empties(seeded)).toEqual([]);
    expect(empties({ a: '', b: [], c: {}, d: [{}], e: ' ' })).toEqual([
      '$.a',
      '$.b',
      '$.c',
      '$.d[0]',
      '$.e',
    ]);
  });

  it('should map each seeded project: id prefix + code, title, status from the stage, sector, location, milestones', async () => {
    const rows = await db.prisma.project.findMany({
      orderBy: { code: 'asc' },
      include: { sector: true },
    });
    expect(seeded.projects.map((p) => p.id)).toEqual(rows.map((r) => `oc4ids-lzq-${r.code}`));
    for (const [i, row] of rows.entries()) {
      const p = seeded.projects[i]!;
      expect(p.title).toBe(row.name);
      expect(p.status).toBe(STAGE_STATUS[row.stage as Exclude<ProjectStage, 'SUSPENDED'>]);
      expect(p.locations).toEqual([
        {
          id: 'district',
          description: '沈阳市辽中区',
          address: { locality: '辽中区', region: '辽宁省沈阳市', countryName: '中国' },
        },
      ]);
      expect(p.parties).toContainEqual({
        id: 'public-authority',
        name: '辽中区',
        roles: ['publicAuthority'],
      });
      expect(p.milestones).toHaveLength(1);
      expect(p.milestones[0]).toMatchObject({
        status: 'met',
        dateMet: expect.stringMatching(/^2025-0[78]-\d\dT00:00:00\+08:00$/),
      });
    }
    const byCode = (code: string) => seeded.projects.find((p) => p.id === `oc4ids-lzq-${code}`)!;
    expect(byCode('LZ-2025-001')).toMatchObject({
      title: '昊明预制菜',
      status: 'preparation',
      sector: ['economy'],
    });
    expect(byCode('LZ-2025-004')).toMatchObject({ sector: ['waterAndWaste'] });
    expect(byCode('LZ-2025-008').sector).toBeUndefined(); // the report gives no sector
  });

  it('should map every stage to the projectStatus codelist as the district defines it', () => {
    expect(STAGE_STATUS).toEqual({
      PLANNED: 'identification',
      NEGOTIATING: 'identification',
      SIGNED: 'identification',
      LANDED: 'preparation',
      APPROVED: 'preparation',
      TENDERED: 'preparation',
      LAND_ACQUIRED: 'preparation',
      REGISTERED: 'implementation',
      UNDER_CONSTRUCTION: 'implementation',
      COMPLETED: 'completion',
      IN_OPERATION: 'maintenance',
      AT_CAPACITY: 'maintenance',
      CANCELLED: 'cancelled',
    });
    const events = [{ toStage: 'SUSPENDED' as const, fromStage: 'UNDER_CONSTRUCTION' as const }];
    expect(
      projectStatus({
        stage: 'SUSPENDED',
        stageBeforeSuspension: 'LANDED',
        stageEvents: [] as never,
      }),
    ).toBe('preparation');
    expect(
      projectStatus({
        stage: 'SUSPENDED',
        stageBeforeSuspension: null,
        stageEvents: events as never,
      }),
    ).toBe('implementation');
  });

  it('should add budget with funding sources, parties, dated milestones and completion once finished', async () => {
    const deps = { prisma: db.prisma };
    const park = await db.prisma.park.findUniqueOrThrow({
      where: { code: 'comprehensive-bonded-zone' },
    });
    const { project } = await createProject(
      deps,
      {
        code: 'OC-001',
        name: '综保区冷链物流中心',
        parkId: park.id,
        investor: '沈阳某冷链有限公司',
        plannedInvestment: new Prisma.Decimal('800000000'),
        completedInvestment: new Prisma.Decimal('760000000.25'),
        stage: 'SIGNED',
        stageOccurredOn: day('2025-01-15'),
        stageNote: '签约仪式',
      },
      TEST_ACTOR,
    );
    await changeProjectStage(
      deps,
      { projectId: project.id, toStage: 'UNDER_CONSTRUCTION', occurredOn: day('2025-03-01') },
      TEST_ACTOR,
    );
    await changeProjectStage(
      deps,
      { projectId: project.id, toStage: 'COMPLETED', occurredOn: day('2025-09-30') },
      TEST_ACTOR,
    );
    await changeProjectStage(
      deps,
      {
        projectId: project.id,
        toStage: 'SUSPENDED',
        occurredOn: day('2025-10-08'),
        note: '设备检修',
      },
      TEST_ACTOR,
    );
    await db.prisma.fundingAward.create({
      data: {
        code: 'oc-001-special-bond',
        sourceLevel: 'SPECIAL_BOND',
        instrument: 'BOND',
        programme: '专项债券',
        amount: '200000000',
        year: 2025,
        projectId: project.id,
      },
    });
    const { project: cancelled } = await createProject(
      deps,
      { code: 'OC-002', name: '取消的项目', stageOccurredOn: day('2025-02-01') },
      TEST_ACTOR,
    );
    await changeProjectStage(
      deps,
      { projectId: cancelled.id, toStage: 'CANCELLED', occurredOn: day('2025-06-01') },
      TEST_ACTOR,
    );

    const pkg = (await buildOc4idsPackage(db.prisma, OPTIONS)) as Pkg;
    expectValid(pkg);
    const p = pkg.projects.find((x) => x.id === 'oc4ids-lzq-OC-001')!;
    expect(p.status).toBe('completion'); // suspended after COMPLETED: the status of the stage it left
    expect(p.locations?.[0]?.description).toBe('沈阳市辽中区 综保区');
    expect(p.budget).toEqual({
      amount: { amount: 800000000, currency: 'CNY' },
      budgetBreakdowns: [
        {
          id: 'funding-sources',
          description: '资金来源 / Funding sources',
          budgetBreakdown: [
            {
              id: 'oc-001-special-bond',
              description: '专项债券',
              amount: { amount: 200000000, currency: 'CNY' },
              period: {
                startDate: '2025-01-01T00:00:00+08:00',
                endDate: '2025-12-31T23:59:59+08:00',
              },
              sourceParty: { id: 'funder-special_bond', name: '地方政府专项债券' },
            },
          ],
        },
      ],
      finance: [
        {
          id: 'oc-001-special-bond',
          title: '专项债券',
          value: { amount: 200000000, currency: 'CNY' },
          financingParty: { id: 'funder-special_bond', name: '地方政府专项债券' },
          type: 'bond',
        },
      ],
    });
    expect(p.parties).toEqual([
      { id: 'public-authority', name: '辽中区', roles: ['publicAuthority'] },
      { id: 'investor', name: '沈阳某冷链有限公司', roles: ['funder'] },
      { id: 'funder-special_bond', name: '地方政府专项债券', roles: ['funder'] },
    ]);
    expect(p.milestones.map((m) => [m.title, m.type, m.code, m.dateMet, m.description])).toEqual([
      ['签约', 'approval', undefined, '2025-01-15T00:00:00+08:00', '签约仪式'],
      ['开复工', 'delivery', 'commencement', '2025-03-01T00:00:00+08:00', undefined],
      ['竣工', 'delivery', 'completion', '2025-09-30T00:00:00+08:00', undefined],
      ['暂停', undefined, undefined, '2025-10-08T00:00:00+08:00', '设备检修'],
    ]);
    expect(p.completion).toEqual({
      endDate: '2025-09-30T00:00:00+08:00',
      finalValue: { amount: 760000000.25, currency: 'CNY' },
    });
    const c = pkg.projects.find((x) => x.id === 'oc4ids-lzq-OC-002')!;
    expect(c.status).toBe('cancelled');
    expect(c.completion).toBeUndefined();
    expect(c.budget).toBeUndefined();
  });
});

describe('GET /oc4ids', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await startTestHub({
      env: { OC4IDS_PUBLISHER_NAME: '沈阳市辽中区人民政府', OC4IDS_ID_PREFIX: 'oc4ids-test-' },
      listen: false,
    });
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('should serve the valid package with the configured publisher and id prefix', async () => {
    const url = hub.url.replace(/\/graphql$/, '/oc4ids');
    const res = await hub.fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const pkg = (await res.json()) as Pkg;
    expectValid(pkg);
    expect(pkg).toMatchObject({ uri: url, publisher: { name: '沈阳市辽中区人民政府' } });
    expect(pkg.projects[0]).toMatchObject({
      id: 'oc4ids-test-LZ-2025-001',
      publicAuthority: { name: '沈阳市辽中区人民政府' },
    });
    expect((await hub.fetch(url, { method: 'POST' })).status).toBe(405);
  });
});
