/**
 * The hub's projects as an OC4IDS 0.9 project package (Open Contracting for Infrastructure Data
 * Standard, schema 0.9.5): open data in the standard's form, for `GET /oc4ids` and
 * `npm run hub -- export-oc4ids`.
 *
 * Mapping (every field is left out when the hub has nothing for it: no empty strings, arrays or
 * objects; every amount with its currency, CNY):
 * - id: OC4IDS_ID_PREFIX + code; identifiers: the code; title: the Chinese name; description:
 *   the description, else the notes; language `zh`; updated: the last change of the project or
 *   its stage.
 * - status: from the stage (STAGE_STATUS); a SUSPENDED project has the status of the stage it left.
 * - sector: from the hub's sector (SECTOR_MAP) to the projectSector codelist.
 * - locations: the district, with the park as part of the description.
 * - budget: the planned investment, with the project's funding awards as a budget breakdown by
 *   source (and as `finance` when the instrument is a loan, bond or grant).
 * - parties: the publisher as public authority, the investor and each funding source as funder.
 * - milestones: one per stage event, met on its day; completion: the day the project reached
 *   COMPLETED and the completed investment, once finished.
 */
import type {
  FundingInstrument,
  FundingSourceLevel,
  Prisma,
  PrismaClient,
  ProjectStage,
  StageEventKind,
} from '../generated/prisma/client.ts';
import { milestoneDates, STAGE_TERMS } from '../services/stages.ts';

/** The OC4IDS schema version the package declares (major.minor of 0.9.5). */
export const OC4IDS_VERSION = '0.9';

export interface Oc4idsOptions {
  /** The publisher, also each project's public authority. */
  publisherName: string;
  /** Prefix of project ids: id = prefix + code. */
  idPrefix: string;
  /** The package's own URI: where it is published (for HTTP, the request URL). */
  uri: string;
}

/** projectStatus of each stage (SUSPENDED: see `projectStatus`). */
export const STAGE_STATUS: Record<Exclude<ProjectStage, 'SUSPENDED'>, string> = {
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
};

/**
 * The hub's sectors in the projectSector codelist. Industry sectors are `economy` (the codelist's
 * agribusiness, agriculture, science); 节能环保 projects are the district's wastewater, recycling
 * and waste plants (`waterAndWaste`); 新能源 is `energy`. 基础设施 and 民生工程 mix sectors (a
 * water supply and a bridge; a school and a road), so they map to none rather than a wrong one.
 */
export const SECTOR_MAP: Record<string, string[]> = {
  'agri-processing': ['economy'],
  'energy-environment': ['waterAndWaste'],
  'advanced-equipment': ['economy'],
  'bonded-logistics': ['economy'],
  agriculture: ['economy'],
  'real-estate': ['economy'],
  'science-technology': ['economy'],
  'new-energy': ['energy'],
  'new-materials': ['economy'],
};

/** Where every project is: the district. */
const DISTRICT = {
  name: '沈阳市辽中区',
  address: { locality: '辽中区', region: '辽宁省沈阳市', countryName: '中国' },
};

const FUNDER_NAMES: Record<FundingSourceLevel, string> = {
  CENTRAL: '中央财政',
  PROVINCIAL: '辽宁省',
  PROVINCIAL_AND_ABOVE: '省级及以上财政',
  MUNICIPAL: '沈阳市',
  DISTRICT: '辽中区',
  POLICY_BANK: '政策性银行',
  SPECIAL_BOND: '地方政府专项债券',
  COMMERCIAL_BANK: '商业银行',
  OTHER: '其他来源',
};

const FINANCE_TYPE: Partial<Record<FundingInstrument, string>> = {
  LOAN: 'loan',
  BOND: 'bond',
  GRANT: 'grant',
  SUBSIDY: 'grant',
};

/** milestoneType and milestoneCode of an event into a stage. */
const MILESTONE_KIND: Partial<Record<ProjectStage, { type: string; code?: string }>> = {
  PLANNED: { type: 'preProcurement' },
  NEGOTIATING: { type: 'preProcurement' },
  SIGNED: { type: 'approval' },
  LANDED: { type: 'approval' },
  APPROVED: { type: 'approval', code: 'projectApproval' },
  TENDERED: { type: 'procurement' },
  LAND_ACQUIRED: { type: 'procurement' },
  REGISTERED: { type: 'reporting' },
  UNDER_CONSTRUCTION: { type: 'delivery', code: 'commencement' },
  COMPLETED: { type: 'delivery', code: 'completion' },
  IN_OPERATION: { type: 'delivery', code: 'commissioning' },
  AT_CAPACITY: { type: 'delivery' },
};

const KIND_SUFFIX: Partial<Record<StageEventKind, string>> = {
  CORRECTION: '(更正)',
  RESUME: '(恢复)',
};
const PRECISION_NOTE = {
  DAY: null,
  MONTH: '日期精确到月',
  QUARTER: '日期精确到季度',
  YEAR: '日期精确到年',
} as const;

const FINISHED: readonly ProjectStage[] = ['COMPLETED', 'IN_OPERATION', 'AT_CAPACITY'];

const projectSelect = {
  code: true,
  name: true,
  description: true,
  notes: true,
  stage: true,
  stageBeforeSuspension: true,
  investor: true,
  plannedInvestment: true,
  completedInvestment: true,
  updatedAt: true,
  sector: { select: { code: true } },
  park: { select: { name: true } },
  stageEvents: {
    orderBy: { sequence: 'asc' },
    select: {
      sequence: true,
      kind: true,
      fromStage: true,
      toStage: true,
      occurredOn: true,
      occurredPrecision: true,
      note: true,
      recordedAt: true,
    },
  },
  fundingAwards: {
    orderBy: { id: 'asc' },
    select: {
      code: true,
      sourceLevel: true,
      instrument: true,
      programme: true,
      amount: true,
      year: true,
      awardedOn: true,
      note: true,
    },
  },
} satisfies Prisma.ProjectSelect;

type SourceProject = Prisma.ProjectGetPayload<{ select: typeof projectSelect }>;

/** A calendar day in Liaozhong as an OC4IDS date-time (midnight, UTC+8). */
function dayTime(day: Date): string {
  return `${day.toISOString().slice(0, 10)}T00:00:00+08:00`;
}

function cny(amount: Prisma.Decimal | null | undefined) {
  return amount == null ? undefined : { amount: Number(amount.toFixed(2)), currency: 'CNY' };
}

/** Drops undefined, null, blank strings, empty arrays and empty objects, all the way down. */
export function prune<T>(value: T): T | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return (value.trim() ? value : undefined) as T | undefined;
  if (Array.isArray(value)) {
    const items = value.map(prune).filter((v) => v !== undefined);
    return (items.length ? items : undefined) as T | undefined;
  }
  if (typeof value === 'object' && !(value instanceof Date)) {
    const entries = Object.entries(value).flatMap(([k, v]) => {
      const p = prune(v);
      return p === undefined ? [] : [[k, p] as const];
    });
    return (entries.length ? Object.fromEntries(entries) : undefined) as T | undefined;
  }
  return value;
}

/** projectStatus of a project; a SUSPENDED one keeps the status of the stage it left. */
export function projectStatus(
  p: Pick<SourceProject, 'stage' | 'stageBeforeSuspension' | 'stageEvents'>,
): string | undefined {
  if (p.stage !== 'SUSPENDED') return STAGE_STATUS[p.stage];
  const left =
    p.stageBeforeSuspension ?? p.stageEvents.findLast((e) => e.toStage === 'SUSPENDED')?.fromStage;
  return left && left !== 'SUSPENDED' ? STAGE_STATUS[left] : undefined;
}

/** One project in OC4IDS form. */
export function oc4idsProject(
  p: SourceProject,
  options: Pick<Oc4idsOptions, 'publisherName' | 'idPrefix'>,
): Record<string, unknown> {
  const authority = { id: 'public-authority', name: options.publisherName };
  const parties = new Map<string, { id: string; name: string; roles: Set<string> }>();
  const party = (id: string, name: string, role: string) => {
    const existing = [...parties.values()].find((x) => x.name === name);
    const entry = existing ?? { id, name, roles: new Set<string>() };
    entry.roles.add(role);
    parties.set(entry.id, entry);
    return { id: entry.id, name: entry.name };
  };
  const publicAuthority = party(authority.id, authority.name, 'publicAuthority');
  if (p.investor) party('investor', p.investor, 'funder');

  const breakdown = p.fundingAwards.map((a) => ({
    id: a.code,
    description: a.programme ?? a.note,
    amount: cny(a.amount),
    period: {
      startDate: `${a.year}-01-01T00:00:00+08:00`,
      endDate: `${a.year}-12-31T23:59:59+08:00`,
    },
    sourceParty: party(
      `funder-${a.sourceLevel.toLowerCase()}`,
      FUNDER_NAMES[a.sourceLevel],
      'funder',
    ),
    approvalDate: a.awardedOn ? dayTime(a.awardedOn) : undefined,
  }));
  const finance = p.fundingAwards.flatMap((a) =>
    FINANCE_TYPE[a.instrument]
      ? [
          {
            id: a.code,
            title: a.programme,
            value: cny(a.amount),
            financingParty: party(
              `funder-${a.sourceLevel.toLowerCase()}`,
              FUNDER_NAMES[a.sourceLevel],
              'funder',
            ),
            type: FINANCE_TYPE[a.instrument],
          },
        ]
      : [],
  );

  const milestones = p.stageEvents.map((e) => {
    const kind = MILESTONE_KIND[e.toStage];
    return {
      id: `stage-event-${e.sequence}`,
      title: `${STAGE_TERMS[e.toStage].zh}${KIND_SUFFIX[e.kind] ?? ''}`,
      type: kind?.type,
      code: kind?.code,
      status: 'met',
      dateMet: dayTime(e.occurredOn),
      dateModified: e.recordedAt.toISOString(),
      description: [e.note, PRECISION_NOTE[e.occurredPrecision]].filter(Boolean).join(' / '),
    };
  });

  const reached = milestoneDates(p.stageEvents);
  const finishedStage = p.stage === 'SUSPENDED' ? p.stageBeforeSuspension : p.stage;
  const completedOn =
    finishedStage && FINISHED.includes(finishedStage) ? reached.get('COMPLETED') : undefined;
  const lastChange = Math.max(
    p.updatedAt.getTime(),
    ...p.stageEvents.map((e) => e.recordedAt.getTime()),
  );

  const project = {
    id: `${options.idPrefix}${p.code}`,
    updated: new Date(lastChange).toISOString(),
    language: 'zh',
    identifiers: [{ id: p.code, scheme: 'liaozhong-hub-project-code' }],
    publicAuthority,
    title: p.name,
    description: p.description ?? p.notes,
    status: projectStatus(p),
    sector: p.sector ? SECTOR_MAP[p.sector.code] : undefined,
    locations: [
      {
        id: 'district',
        description: p.park ? `${DISTRICT.name} ${p.park.name}` : DISTRICT.name,
        address: DISTRICT.address,
      },
    ],
    budget: {
      amount: cny(p.plannedInvestment),
      budgetBreakdowns: breakdown.length
        ? [
            {
              id: 'funding-sources',
              description: '资金来源 / Funding sources',
              budgetBreakdown: breakdown,
            },
          ]
        : undefined,
      finance,
    },
    parties: [...parties.values()].map((x) => ({ id: x.id, name: x.name, roles: [...x.roles] })),
    milestones,
    completion: completedOn
      ? { endDate: dayTime(completedOn), finalValue: cny(p.completedInvestment) }
      : undefined,
  };
  return prune(project)!;
}

/** When the package's contents last changed: the latest project edit or stage event. */
async function lastChanged(prisma: PrismaClient): Promise<Date> {
  const [projects, events] = await Promise.all([
    prisma.project.aggregate({ _max: { updatedAt: true } }),
    prisma.projectStageEvent.aggregate({ _max: { recordedAt: true } }),
  ]);
  const times = [projects._max.updatedAt, events._max.recordedAt].flatMap((d) =>
    d ? [d.getTime()] : [],
  );
  return times.length ? new Date(Math.max(...times)) : new Date();
}

/** The hub has no project: a package needs at least one. */
export class EmptyPackageError extends Error {
  override name = 'EmptyPackageError';
}

/**
 * The package as JSON text, streamed a page of projects at a time (projects in code order).
 * Throws EmptyPackageError before the first chunk when there is no project.
 */
export async function oc4idsPackageChunks(
  prisma: PrismaClient,
  options: Oc4idsOptions,
): Promise<AsyncGenerator<string>> {
  if ((await prisma.project.count()) === 0)
    throw new EmptyPackageError('the hub has no projects: an OC4IDS package needs at least one');
  const publishedDate = (await lastChanged(prisma)).toISOString();
  const head = prune({
    version: OC4IDS_VERSION,
    uri: options.uri,
    publishedDate,
    publisher: { name: options.publisherName },
  });
  async function* chunks(): AsyncGenerator<string> {
    yield `${JSON.stringify(head).slice(0, -1)},"projects":[`;
    let lastCode: string | null = null;
    let first = true;
    for (;;) {
      const page: SourceProject[] = await prisma.project.findMany({
        where: lastCode === null ? {} : { code: { gt: lastCode } },
        orderBy: { code: 'asc' },
        take: 200,
        select: projectSelect,
      });
      for (const p of page) {
        yield `${first ? '' : ','}${JSON.stringify(oc4idsProject(p, options))}`;
        first = false;
      }
      if (page.length < 200) break;
      lastCode = page.at(-1)!.code;
    }
    yield ']}';
  }
  return chunks();
}

/** The whole package as an object (tests, small districts). */
export async function buildOc4idsPackage(
  prisma: PrismaClient,
  options: Oc4idsOptions,
): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of await oc4idsPackageChunks(prisma, options)) text += chunk;
  return JSON.parse(text) as Record<string, unknown>;
}
