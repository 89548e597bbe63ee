/**
 * The seed against what the district's report states: tests/fixtures/expected-facts.ts holds the
 * report's numbers, names, stages and dates as data, and this suite checks that every one of them
 * is in the seeded database as stated, and that no seeded row goes beyond them (nothing invented).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liaozhong2025, type SeedData } from '../prisma/seed/liaozhong-2025.ts';
import {
  DatePrecision,
  type Facility,
  FigureQualifier,
  type FundingAward,
  FundingSourceLevel,
  type LogisticsChannel,
  type LogisticsObservation,
  type Park,
  ParkKind,
  type ParkSnapshot,
  type Prisma,
  type PrismaClient,
  type Project,
  ProjectStage,
  type ProjectStageEvent,
  type ReportedFigure,
  type Sector,
  type SourceDocument,
  StageEventKind,
  type Target,
} from '../src/generated/prisma/client.ts';
import { SEED_ACTOR, type SeedResult, seedDistrict, seedTotal } from '../src/services/seed.ts';
import {
  type AsOf,
  type ExpectedFacts,
  type ExpectedFigure,
  type ExpectedObservation,
  type ExpectedSnapshot,
  type ExpectedSubject,
  expectedFacts,
  type Part,
} from './fixtures/expected-facts.ts';
import { describeEachEngine, openTestDatabase } from './helpers/db.ts';
import { useLeftovers } from './helpers/leftovers.ts';

type Decimal = Prisma.Decimal;

// --- the seeded database, loaded once ----------------------------------------------------------

type HubProject = Project & {
  sector: Sector | null;
  stageEvents: ProjectStageEvent[];
  sources: { id: number }[];
};

interface Hub {
  sources: SourceDocument[];
  sectors: Sector[];
  projects: HubProject[];
  figures: ReportedFigure[];
  targets: Target[];
  awards: FundingAward[];
  parks: Park[];
  facilities: Facility[];
  snapshots: ParkSnapshot[];
  channels: LogisticsChannel[];
  observations: LogisticsObservation[];
}

async function loadHub(prisma: PrismaClient): Promise<Hub> {
  return {
    sources: await prisma.sourceDocument.findMany(),
    sectors: await prisma.sector.findMany(),
    projects: await prisma.project.findMany({
      include: { sector: true, stageEvents: true, sources: { select: { id: true } } },
    }),
    figures: await prisma.reportedFigure.findMany(),
    targets: await prisma.target.findMany(),
    awards: await prisma.fundingAward.findMany(),
    parks: await prisma.park.findMany(),
    facilities: await prisma.facility.findMany(),
    snapshots: await prisma.parkSnapshot.findMany(),
    channels: await prisma.logisticsChannel.findMany(),
    observations: await prisma.logisticsObservation.findMany(),
  };
}

async function rowCounts(prisma: PrismaClient): Promise<Record<string, number>> {
  return {
    sourceDocuments: await prisma.sourceDocument.count(),
    sectors: await prisma.sector.count(),
    parks: await prisma.park.count(),
    facilities: await prisma.facility.count(),
    projects: await prisma.project.count(),
    projectStageEvents: await prisma.projectStageEvent.count(),
    logisticsChannels: await prisma.logisticsChannel.count(),
    logisticsObservations: await prisma.logisticsObservation.count(),
    parkSnapshots: await prisma.parkSnapshot.count(),
    fundingAwards: await prisma.fundingAward.count(),
    reportedFigures: await prisma.reportedFigure.count(),
    targets: await prisma.target.count(),
  };
}

// --- the walk ----------------------------------------------------------------------------------

const day = (d: Date | null | undefined) => (d ? d.toISOString().slice(0, 10) : 'null');
const same = (a: Decimal | null, b: Decimal | string | null) =>
  a === null || b === null ? a === b : a.equals(b);

/**
 * Walks the expected facts against the seeded rows and returns every fact that is missing or
 * wrong, plus every seeded row no fact accounts for.
 */
function walkFacts(facts: ExpectedFacts, hub: Hub): string[] {
  const problems: string[] = [];
  const fail = (msg: string) => problems.push(msg);
  const claimed = {
    figures: new Set<number>(),
    targets: new Set<number>(),
    awards: new Set<number>(),
    parks: new Set<number>(),
    facilities: new Set<number>(),
    snapshots: new Set<number>(),
    channels: new Set<number>(),
    observations: new Set<number>(),
    sectors: new Set<number>(),
  };
  const { report } = facts;
  const asOfOf = (part: Part): AsOf => facts.parts[part].asOf;
  const source = hub.sources.find((s) => s.publisher === report.publisher);
  const sourceId = source?.id ?? -1;

  const checkSource = (where: string, row: { sourceId: number | null }) => {
    if (row.sourceId !== sourceId)
      fail(`${where}: sourceId ${row.sourceId}, not the report's document ${sourceId}`);
  };
  const checkAsOf = (
    where: string,
    asOf: AsOf,
    on: Date | null,
    precision: DatePrecision,
    approximate?: boolean,
  ) => {
    if (asOf !== 'so-far') {
      if (day(on) !== asOf.day || precision !== DatePrecision.DAY || approximate === true)
        fail(
          `${where}: as of ${day(on)} (${precision}${approximate ? ', approximate' : ''}), the report says ${asOf.day}`,
        );
    } else {
      // "So far" with no day known: a date in the window, never claiming day precision.
      const d = day(on);
      if (
        d < report.soFar.from ||
        d > report.soFar.to ||
        precision === DatePrecision.DAY ||
        approximate === false
      )
        fail(
          `${where}: "so far" stored as ${d} (${precision}${approximate === false ? ', not approximate' : ''})`,
        );
    }
  };

  // The source document.
  if (!source) fail(`source: no document published by ${report.publisher}`);
  else {
    if (hub.sources.length !== 1)
      fail(`source: ${hub.sources.length} documents, expected the one report`);
    // No day is known: a date inside the window with no false day precision.
    const d = day(source.publishedOn);
    if (
      d < report.published.from ||
      d > report.published.to ||
      source.publishedPrecision === DatePrecision.DAY
    )
      fail(
        `source: published ${d} (${source.publishedPrecision}), the report came out between ${report.published.from} and ${report.published.to}`,
      );
  }

  // Figures.
  const figureByKey = new Map<string, ReportedFigure>();
  const expectedFigure = (want: ExpectedFigure): ReportedFigure | undefined => {
    const where = `${want.part} "${want.about}"`;
    const labelled = hub.figures.filter(
      (f) => f.unit === want.unit && f.label.includes(want.label),
    );
    const found = labelled.filter(
      (f) =>
        same(f.value, want.value) &&
        (want.textValue === undefined || f.textValue === want.textValue),
    );
    const f = found[0];
    if (found.length !== 1 || !f) {
      const others = labelled.map((o) => o.value?.toString() ?? o.textValue).join(', ');
      fail(
        `${where}: expected one figure ${want.value ?? want.textValue} ${want.unit} labelled …${want.label}…, found ${found.length}` +
          (others ? ` (same label: ${others})` : ''),
      );
      return undefined;
    }
    claimed.figures.add(f.id);
    const qualifier = want.qualifier ?? FigureQualifier.EXACT;
    if (f.qualifier !== qualifier)
      fail(`${where}: figure ${f.code} is ${f.qualifier}, expected ${qualifier}`);
    if (f.year !== report.year) fail(`${where}: figure ${f.code} counts for ${f.year}`);
    if (want.labelAlso && !f.label.includes(want.labelAlso))
      fail(`${where}: figure ${f.code}'s label does not say ${want.labelAlso}`);
    if (want.project !== undefined) {
      const p = hub.projects.find((x) => x.name === want.project);
      if (!p || f.projectId !== p.id)
        fail(`${where}: figure ${f.code} is not linked to ${want.project}`);
    }
    checkAsOf(
      `${where}: figure ${f.code}`,
      asOfOf(want.part),
      f.asOf,
      f.asOfPrecision,
      f.approximate,
    );
    checkSource(`${where}: figure ${f.code}`, f);
    return f;
  };
  for (const want of facts.figures) {
    const f = expectedFigure(want);
    if (want.key !== undefined) {
      if (figureByKey.has(want.key)) fail(`figure key ${want.key} is used twice`);
      if (f) figureByKey.set(want.key, f);
    }
  }

  // Targets: the year's, due at its end, linked to the figure that measures them (or none).
  for (const want of facts.targets) {
    const where = `${want.part} "${want.about}"`;
    const found = hub.targets.filter(
      (t) => t.unit === want.unit && t.label.includes(want.label) && same(t.value, want.value),
    );
    const t = found[0];
    if (found.length !== 1 || !t) {
      fail(
        `${where}: expected one target ${want.value} ${want.unit} labelled …${want.label}…, found ${found.length}`,
      );
      continue;
    }
    claimed.targets.add(t.id);
    if (t.year !== report.year || day(t.dueBy) !== report.dueBy)
      fail(`${where}: target ${t.code} is for ${t.year}, due ${day(t.dueBy)}`);
    checkSource(`${where}: target ${t.code}`, t);
    if (want.note !== undefined && !t.note?.includes(want.note))
      fail(`${where}: target ${t.code}'s note does not say ${want.note}`);
    const actual = want.actual === null ? undefined : figureByKey.get(want.actual);
    if (want.actual === null ? t.actualId !== null : !actual || t.actualId !== actual.id)
      fail(
        `${where}: target ${t.code}'s actual must be ${want.actual === null ? 'none' : `the ${want.actual} figure`}`,
      );
    if (!same(t.reportedRate, want.reportedRate ?? null))
      fail(
        `${where}: target ${t.code} has the rate ${t.reportedRate}%, the report gives ${want.reportedRate ?? 'none'}`,
      );
    // The rate the report gives is the actual over the target, to one decimal.
    else if (
      want.reportedRate !== undefined &&
      actual?.value &&
      !actual.value.div(t.value).times(100).toDecimalPlaces(1).equals(want.reportedRate)
    )
      fail(`${where}: ${actual.value}/${t.value} is not the reported ${want.reportedRate}%`);
  }

  // Funding awards: the year's reported totals.
  for (const want of facts.awards) {
    const where = `${want.part} "${want.about}"`;
    const found = hub.awards.filter(
      (a) => a.sourceLevel === want.level && same(a.amount, want.amount),
    );
    const a = found[0];
    if (found.length !== 1 || !a) {
      fail(
        `${where}: expected one ${want.level} funding award of ${want.amount} CNY, found ${found.length}`,
      );
      continue;
    }
    claimed.awards.add(a.id);
    if (!a.reportedTotal || a.year !== report.year)
      fail(`${where}: award ${a.code} must be the ${report.year} reported total`);
    if (want.programme !== undefined && !a.programme?.includes(want.programme))
      fail(`${where}: award ${a.code}'s programme does not name ${want.programme}`);
    if (want.overlapNote !== undefined && !a.overlapNote?.includes(want.overlapNote))
      fail(`${where}: award ${a.code} has no overlap note about ${want.overlapNote}`);
    checkAsOf(`${where}: award ${a.code}`, asOfOf(want.part), a.asOf, a.asOfPrecision);
    checkSource(`${where}: award ${a.code}`, a);
  }

  // The leading industries, and no other sector leading.
  for (const want of facts.leadingIndustries) {
    const where = `${want.part} "leading industries"`;
    const sector = hub.sectors.find((x) => x.name === want.zh);
    if (!sector) fail(`${where}: no sector ${want.zh}`);
    else {
      claimed.sectors.add(sector.id);
      if (!sector.leading || sector.nameEn.toLowerCase() !== want.en.toLowerCase())
        fail(`${where}: sector ${want.zh} must be leading and called "${want.en}"`);
    }
  }
  const leading = hub.sectors.filter((x) => x.leading).map((x) => x.name);
  if (leading.length !== facts.leadingIndustries.length)
    fail(`leading industries: leading sectors are ${leading.join(', ')}`);

  // Parks, facilities and their snapshots.
  const parkNamed = (where: string, name: string): Park | undefined => {
    const p = hub.parks.find((x) => x.name === name);
    if (!p) fail(`${where}: no park named ${name}`);
    else {
      claimed.parks.add(p.id);
      checkSource(`${where}: park ${name}`, p);
    }
    return p;
  };
  const facility = (where: string, f: Facility | undefined, what: string): Facility | undefined => {
    if (!f) fail(`${where}: no facility ${what}`);
    else {
      claimed.facilities.add(f.id);
      checkSource(`${where}: facility ${f.name}`, f);
    }
    return f;
  };
  /** The park or facility a place's fact is about. */
  const subjectOf = (where: string, s: ExpectedSubject): { park?: Park; facility?: Facility } => {
    if ('place' in s) {
      if (hub.parks.some((x) => x.name === s.place)) return { park: parkNamed(where, s.place) };
      return {
        facility: facility(
          where,
          hub.facilities.find((x) => x.name === s.place),
          s.place,
        ),
      };
    }
    const park = parkNamed(where, s.park);
    const f = hub.facilities.find(
      (x) =>
        park &&
        x.parkId === park.id &&
        x.phase === s.phase &&
        (s.nameHas === undefined || x.name.includes(s.nameHas)),
    );
    return {
      facility: facility(
        where,
        f,
        `phase ${s.phase} of ${s.park}${s.nameHas ? ` (…${s.nameHas}…)` : ''}`,
      ),
    };
  };
  const checkSnapshot = (where: string, snap: ParkSnapshot, want: ExpectedSnapshot) => {
    if (
      want.status !== undefined &&
      (snap.status !== want.status ||
        (want.statusNote && !snap.statusNote?.includes(want.statusNote)))
    )
      fail(
        `${where}: status ${snap.status} "${snap.statusNote}", expected ${want.status}${want.statusNote ? ` "${want.statusNote}"` : ''}`,
      );
    if (want.floorAreaM2 !== undefined && !same(snap.floorAreaM2, want.floorAreaM2))
      fail(`${where}: floor area ${snap.floorAreaM2}`);
    if (
      want.enterprisesRegistered !== undefined &&
      snap.enterprisesRegistered !== want.enterprisesRegistered
    )
      fail(`${where}: ${snap.enterprisesRegistered} registered`);
    if (want.enterprisesSigned !== undefined && snap.enterprisesSigned !== want.enterprisesSigned)
      fail(`${where}: ${snap.enterprisesSigned} signed`);
    if (want.note !== undefined && !snap.note?.includes(want.note))
      fail(`${where}: the snapshot's note does not say ${want.note}`);
  };
  for (const want of facts.places) {
    const where = `${want.part} "${want.about}"`;
    const { park, facility: f } = subjectOf(where, want.subject);
    if (!park && !f) continue;
    const found = hub.snapshots.filter((s) =>
      park ? s.parkId === park.id : s.facilityId === f?.id,
    );
    const snap = found[0];
    if (found.length !== 1 || !snap) {
      fail(`${where}: expected one snapshot, found ${found.length}`);
      continue;
    }
    claimed.snapshots.add(snap.id);
    checkAsOf(`${where}: snapshot`, asOfOf(want.part), snap.asOf, snap.asOfPrecision);
    checkSource(`${where}: snapshot`, snap);
    checkSnapshot(where, snap, want.snapshot);
  }

  // Logistics channels and what the report says of them.
  const observed = (o: LogisticsObservation, want: ExpectedObservation) =>
    (want.metric === undefined || o.metric === want.metric) &&
    (want.value === undefined || o.value === want.value) &&
    (want.textValue === undefined || o.textValue === want.textValue) &&
    (want.textHas ?? []).every((term) => !!o.textValue?.includes(term)) &&
    (want.nationalRank === undefined || o.nationalRank === want.nationalRank) &&
    (want.periodStart === undefined || day(o.periodStart) === want.periodStart);
  for (const want of facts.channels) {
    const where = `${want.part} "${want.about}"`;
    const c = hub.channels.find(
      (x) =>
        x.kind === want.kind &&
        (want.name === undefined || x.name === want.name) &&
        (want.nameHas === undefined || x.name.includes(want.nameHas)),
    );
    if (!c) {
      fail(`${where}: no ${want.kind} channel`);
      continue;
    }
    claimed.channels.add(c.id);
    checkSource(`${where}: channel ${c.name}`, c);
    for (const o of want.observations) {
      const found = hub.observations.filter((x) => x.channelId === c.id && observed(x, o));
      const obs = found[0];
      if (found.length !== 1 || !obs) {
        fail(
          `${where}: expected one observation of ${c.name} like ${JSON.stringify(o)}, found ${found.length}`,
        );
        continue;
      }
      claimed.observations.add(obs.id);
      checkAsOf(
        `${where}: observation ${obs.metric}`,
        asOfOf(want.part),
        obs.periodEnd,
        obs.periodPrecision,
      );
      checkSource(`${where}: observation ${obs.metric}`, obs);
    }
  }

  // The zone, the three parks the report leaves unnamed, the two channels.
  {
    const { part, bondedZone, unnamedParks } = facts.zoneAndParks;
    const zone = hub.parks.find((p) => p.name === bondedZone);
    if (zone?.kind !== ParkKind.BONDED_ZONE) fail(`${part}: ${bondedZone} must be the bonded zone`);
    const bonded = hub.parks.filter((p) => p.kind === ParkKind.BONDED_ZONE);
    if (bonded.length !== 1) fail(`${part}: ${bonded.length} bonded zones`);
    if (hub.channels.length !== facts.channels.length)
      fail(`${part}: ${hub.channels.length} channels, the report names ${facts.channels.length}`);
    for (const p of [...hub.parks, ...hub.facilities])
      if (p.description?.includes(unnamedParks))
        fail(`${part}: ${p.name} claims to be one of the ${unnamedParks}`);
  }

  // Every named project, exactly as stated, with its INITIAL stage event; and no other project.
  const named = new Map<string, Part>();
  for (const want of facts.projects) {
    const where = `${want.part}: project ${want.zh}`;
    const before = named.get(want.zh);
    if (before) fail(`${where} is also named in ${before}`);
    named.set(want.zh, want.part);
    const p = hub.projects.find((x) => x.name === want.zh);
    if (!p) {
      fail(`${where} is missing`);
      continue;
    }
    const asOf = asOfOf(want.part);
    if (p.nameEn?.toLowerCase() !== want.en.toLowerCase())
      fail(`${where}: English name "${p.nameEn}", the report says "${want.en}"`);
    if (p.stage !== want.stage) fail(`${where}: stage ${p.stage}, expected ${want.stage}`);
    if (!p.sources.some((x) => x.id === sourceId)) fail(`${where}: not linked to the report`);
    if (
      p.parkId !== null ||
      p.plannedInvestment !== null ||
      p.completedInvestment !== null ||
      p.expectedOutputValue !== null
    )
      fail(`${where}: park or money the report does not state`);
    if (want.category !== undefined && !p.sector?.nameEn.toLowerCase().includes(want.category))
      fail(`${where} is in sector ${p.sector?.nameEn ?? 'none'}, the report says ${want.category}`);
    if (want.notes !== undefined && !p.notes?.includes(want.notes))
      fail(`${where}: notes do not mention ${want.notes}`);
    const [event, ...more] = p.stageEvents;
    if (!event || more.length)
      fail(`${where}: ${p.stageEvents.length} stage events, expected the INITIAL one`);
    else {
      if (
        event.kind !== StageEventKind.INITIAL ||
        event.fromStage !== null ||
        event.toStage !== want.stage ||
        event.actor !== SEED_ACTOR
      )
        fail(
          `${where}: stage event ${event.kind} ${event.fromStage} → ${event.toStage} by ${event.actor}`,
        );
      if (!event.note?.includes('报告') || !/source/i.test(event.note))
        fail(`${where}: stage event note must cite the report`);
      checkAsOf(`${where}: stage event`, asOf, event.occurredOn, event.occurredPrecision);
      checkSource(`${where}: stage event`, event);
    }
  }
  for (const p of hub.projects)
    if (!named.has(p.name)) fail(`project ${p.name} is not named in the report`);

  // Nothing invented: every seeded row is accounted for by some expected fact.
  const unclaimed = <T extends { id: number }>(
    model: string,
    rows: T[],
    set: Set<number>,
    label: (r: T) => string,
  ) => {
    for (const r of rows)
      if (!set.has(r.id)) fail(`${model} ${label(r)} is not backed by the report`);
  };
  unclaimed('figure', hub.figures, claimed.figures, (r) => r.code);
  unclaimed('target', hub.targets, claimed.targets, (r) => r.code);
  unclaimed('funding award', hub.awards, claimed.awards, (r) => r.code);
  unclaimed('park', hub.parks, claimed.parks, (r) => r.name);
  unclaimed('facility', hub.facilities, claimed.facilities, (r) => r.name);
  unclaimed('park snapshot', hub.snapshots, claimed.snapshots, (r) => `#${r.id}`);
  unclaimed('channel', hub.channels, claimed.channels, (r) => r.name);
  unclaimed('observation', hub.observations, claimed.observations, (r) => r.metric);
  // Other sectors only classify named projects.
  for (const sector of hub.sectors)
    if (!claimed.sectors.has(sector.id) && !hub.projects.some((p) => p.sectorId === sector.id))
      fail(`sector ${sector.name} is neither a leading industry nor any named project's`);

  return problems;
}

// --- the suites --------------------------------------------------------------------------------

const expectedCounts = (data: SeedData): SeedResult => ({
  sourceDocuments: 1,
  sectors: data.sectors.length,
  parks: data.parks.length,
  facilities: data.facilities.length,
  projects: data.projects.length,
  projectStageEvents: data.projects.length,
  logisticsChannels: data.channels.length,
  logisticsObservations: data.observations.length,
  parkSnapshots: data.snapshots.length,
  fundingAwards: data.fundingAwards.length,
  reportedFigures: data.figures.length,
  targets: data.targets.length,
});

describeEachEngine('seedDistrict', (engine) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let first: SeedResult;
  const leftovers = useLeftovers();

  /** A fresh database (`seeded`: as a first seed leaves it), closed after the suite. */
  const fresh = async (opts: { seeded?: boolean } = {}) => {
    const other = await openTestDatabase(engine, opts);
    leftovers.push(other);
    return other;
  };

  beforeAll(async () => {
    db = await fresh();
    first = await seedDistrict(db.prisma);
  });

  it('should create every row of the report on an empty database', () => {
    expect(first).toEqual(expectedCounts(liaozhong2025));
  });

  it('should store every fact the report states, and nothing it does not', async () => {
    expect(walkFacts(expectedFacts, await loadHub(db.prisma))).toEqual([]);
  });

  it('should create nothing on a second run and leave every row count unchanged', async () => {
    const before = await rowCounts(db.prisma);
    const again = await seedDistrict(db.prisma);
    expect(seedTotal(again)).toBe(0);
    expect(await rowCounts(db.prisma)).toEqual(before);
  });

  it('should only read, one query per model, when everything is there', async () => {
    const operations: string[] = [];
    const logged = db.prisma.$extends({
      query: {
        async $allOperations({ model, operation, args, query }) {
          operations.push(`${model ?? ''}.${operation}`);
          return query(args);
        },
      },
    });
    // An extended client is a PrismaClient at runtime; its type only differs by the extension.
    expect(seedTotal(await seedDistrict(logged as unknown as PrismaClient))).toBe(0);
    const writes = operations.filter((op) => !/\.(findMany|findUnique)$/.test(op));
    expect(writes).toEqual(['.$executeRaw', '.$executeRaw']); // the seed's and the stage log's advisory locks
    expect(operations.length).toBeLessThanOrEqual(Object.keys(first).length + 1); // 12 models, 11 of them read, 2 locks
  });

  describe('after an editor changed seeded rows', () => {
    let edited: Awaited<ReturnType<typeof openTestDatabase>>;
    let reseed: SeedResult;
    let projectId: number;

    beforeAll(async () => {
      edited = await fresh({ seeded: true });
      const { prisma } = edited;
      projectId = (
        await prisma.project.update({
          where: { code: 'LZ-2025-001' },
          data: { stage: ProjectStage.UNDER_CONSTRUCTION, notes: 'edited' },
        })
      ).id;
      await prisma.reportedFigure.update({
        where: { code: 'lz-2025-approvals-completed' },
        data: { value: '180' },
      });
      await prisma.project.update({ where: { code: 'LZ-2025-012' }, data: { code: 'YIJIA' } });
      await prisma.target.delete({ where: { code: 'lz-2025-target-completions' } });
      reseed = await seedDistrict(prisma);
    });

    it('should re-create only the row that was deleted', async () => {
      expect(reseed.targets).toBe(1);
      expect(seedTotal(reseed)).toBe(1);
      const target = await edited.prisma.target.findUniqueOrThrow({
        where: { code: 'lz-2025-target-completions' },
        include: { actual: true },
      });
      expect(target.actual?.code).toBe('lz-2025-projects-in-operation');
    });

    it("should keep an edited project's stage, notes and single stage event", async () => {
      const after = await edited.prisma.project.findUniqueOrThrow({
        where: { id: projectId },
        include: { stageEvents: true },
      });
      expect(after.stage).toBe(ProjectStage.UNDER_CONSTRUCTION);
      expect(after.notes).toBe('edited');
      expect(after.stageEvents).toHaveLength(1);
    });

    it("should keep an edited figure's value", async () => {
      const figure = await edited.prisma.reportedFigure.findUniqueOrThrow({
        where: { code: 'lz-2025-approvals-completed' },
      });
      expect(figure.value?.toString()).toBe('180');
    });

    it('should recognise a project by its name after its code changed', async () => {
      expect(await edited.prisma.project.count({ where: { name: '益嘉农产品' } })).toBe(1);
      const figure = await edited.prisma.reportedFigure.findUniqueOrThrow({
        where: { code: 'lz-2025-yijia-output-increase' },
        include: { project: true },
      });
      expect(figure.project?.code).toBe('YIJIA');
    });
  });

  it.runIf(engine === 'postgres')(
    'should seed once when two servers start on one database together',
    async () => {
      const shared = await fresh();
      const runs = await Promise.all([seedDistrict(shared.prisma), seedDistrict(shared.prisma)]);
      const projects = runs.map((r) => r.projects).sort();
      expect(projects).toEqual([0, liaozhong2025.projects.length]);
      expect(await rowCounts(shared.prisma)).toEqual(expectedCounts(liaozhong2025));
    },
  );
});

describe('the walk over the expected facts', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;

  beforeAll(async () => {
    db = await openTestDatabase('pglite');
  });

  afterAll(async () => {
    await db.close();
  });

  it('should check every expected fact: on an empty database each one is reported', () => {
    const empty: Hub = {
      sources: [],
      sectors: [],
      projects: [],
      figures: [],
      targets: [],
      awards: [],
      parks: [],
      facilities: [],
      snapshots: [],
      channels: [],
      observations: [],
    };
    const trees: ExpectedFigure = {
      part: 'B',
      about: 'trees planted',
      value: '3',
      unit: 'trees',
      label: '植树',
    };
    const problems = walkFacts(
      { ...expectedFacts, figures: [...expectedFacts.figures, trees] },
      empty,
    );
    const reported = (prefix: string) =>
      expect(
        problems.filter((p) => p.startsWith(prefix)),
        prefix,
      ).not.toEqual([]);
    reported('source: no document published by 辽中区委宣传部');
    for (const x of [
      ...expectedFacts.figures,
      trees,
      ...expectedFacts.targets,
      ...expectedFacts.awards,
      ...expectedFacts.places,
      ...expectedFacts.channels,
    ])
      reported(`${x.part} "${x.about}": `);
    for (const x of expectedFacts.projects) reported(`${x.part}: project ${x.zh} is missing`);
    for (const x of expectedFacts.leadingIndustries)
      reported(`${x.part} "leading industries": no sector ${x.zh}`);
    reported(`D: 综保区 must be the bonded zone`);
  });

  it('should report a missing, wrong or invented fact', async () => {
    const data = structuredClone(liaozhong2025);
    const broken: SeedData = {
      ...data,
      projects: [
        ...data.projects
          .filter((p) => p.name !== '昊明预制菜')
          .map((p) => (p.name === '益嘉农产品' ? { ...p, stage: ProjectStage.IN_OPERATION } : p)),
        { ...data.projects[0]!, code: 'LZ-2025-999', name: '虚构项目' },
      ],
      figures: data.figures.map((f) =>
        f.code === 'lz-2025-approvals-completed' ? { ...f, value: '177' } : f,
      ),
      fundingAwards: data.fundingAwards.map((a) =>
        a.sourceLevel === FundingSourceLevel.CENTRAL ? { ...a, amount: '260000000.00' } : a,
      ),
      snapshots: data.snapshots.filter((s) => s.parkCode !== 'china-russia-park'),
    };
    await seedDistrict(db.prisma, broken);
    const problems = walkFacts(expectedFacts, await loadHub(db.prisma)).join('\n');

    expect(problems).toMatch(/project 昊明预制菜 is missing/);
    expect(problems).toMatch(/project 益嘉农产品: stage IN_OPERATION, expected AT_CAPACITY/);
    expect(problems).toMatch(/project 虚构项目 is not named in the report/);
    expect(problems).toMatch(/expected one figure 176 projects .*same label: 177/);
    expect(problems).toMatch(/expected one CENTRAL funding award of 250000000 CNY, found 0/);
    expect(problems).toMatch(/D "中俄园[^"]*": expected one snapshot, found 0/);
  });
});
