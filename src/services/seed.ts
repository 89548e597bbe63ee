/**
 * Inserts the district's report data (prisma/seed) that is missing from the database.
 *
 * Insert-only and idempotent: a row is looked up by its code (or its unique name), and if it
 * exists it is left exactly as it is, so an editor's later changes (a project's stage moved by a
 * mutation, a corrected figure) survive every restart. A second run creates nothing. Rows without
 * a code (park snapshots, logistics observations) are identified by subject, source and date.
 *
 * The whole seed is one interactive transaction: one query per model to find what exists, one
 * `createMany` per model for what is missing. On PostgreSQL a transaction-scoped advisory lock
 * serialises servers that start together, so they never race to insert the same codes.
 */

import {
  type IsoDate,
  liaozhong2025,
  type ReportedDate,
  type SeedData,
  type SeedParkSnapshot,
} from '../../prisma/seed/liaozhong-2025.ts';
import { type Prisma, type PrismaClient, StageEventKind } from '../generated/prisma/client.ts';
import { lockStageLog } from './stage-log.ts';

/** Rows created by one run, per model. All zero when the database already held everything. */
export interface SeedResult {
  sourceDocuments: number;
  sectors: number;
  parks: number;
  facilities: number;
  projects: number;
  projectStageEvents: number;
  logisticsChannels: number;
  logisticsObservations: number;
  parkSnapshots: number;
  fundingAwards: number;
  reportedFigures: number;
  targets: number;
}

/** Who the seed's rows and stage events are recorded by. */
export const SEED_ACTOR = 'seed';

type Tx = Prisma.TransactionClient;

interface Keyed {
  id: number;
  code: string;
  name: string;
}

function date(on: IsoDate): Date {
  return new Date(`${on}T00:00:00.000Z`);
}

function reported(d: ReportedDate): { on: Date; precision: ReportedDate['precision'] } {
  return { on: date(d.on), precision: d.precision };
}

function lookup(ids: ReadonlyMap<string, number>, code: string, what: string): number {
  const id = ids.get(code);
  if (id === undefined) throw new Error(`seed data: unknown ${what} code ${JSON.stringify(code)}`);
  return id;
}

/**
 * Finds the rows of `wanted` that exist (by code, else by unique name), creates the others, and
 * returns every seed code's id: an existing row found by name keeps its own (edited) code.
 */
async function ensureByCodeOrName<T extends { code: string; name: string }>(
  wanted: readonly T[],
  find: (codes: string[], names: string[]) => Promise<Keyed[]>,
  create: (missing: T[]) => Promise<Keyed[]>,
): Promise<{ ids: Map<string, number>; created: Keyed[] }> {
  const existing = wanted.length
    ? await find(
        wanted.map((w) => w.code),
        wanted.map((w) => w.name),
      )
    : [];
  const byCode = new Map(existing.map((e) => [e.code, e.id]));
  const byName = new Map(existing.map((e) => [e.name, e.id]));
  const missing = wanted.filter((w) => !byCode.has(w.code) && !byName.has(w.name));
  const created = missing.length ? await create(missing) : [];
  const ids = new Map<string, number>();
  for (const w of wanted) {
    const id =
      byCode.get(w.code) ?? byName.get(w.name) ?? created.find((c) => c.code === w.code)?.id;
    if (id === undefined) throw new Error(`seed: ${w.code} was neither found nor created`);
    ids.set(w.code, id);
  }
  return { ids, created };
}

/** Rows of `wanted` whose code is not in the database yet. */
async function missingByCode<T extends { code: string }>(
  wanted: readonly T[],
  find: (codes: string[]) => Promise<{ code: string }[]>,
): Promise<T[]> {
  if (!wanted.length) return [];
  const existing = new Set((await find(wanted.map((w) => w.code))).map((e) => e.code));
  return wanted.filter((w) => !existing.has(w.code));
}

function snapshotKey(parkId: number | null, facilityId: number | null, asOf: Date): string {
  return `${parkId ?? '-'}|${facilityId ?? '-'}|${asOf.toISOString()}`;
}

function observationKey(channelId: number, metric: string, periodEnd: Date): string {
  return `${channelId}|${metric}|${periodEnd.toISOString()}`;
}

/** What every step of one seed run shares. */
interface SeedRun {
  tx: Tx;
  /** The report's source document: every other row points at it. */
  sourceId: number;
  /** Rows created so far, per model. */
  result: SeedResult;
}

const keyed = { id: true, code: true, name: true } as const;
const recordedBy = SEED_ACTOR;

/** The source document, found by code or created; every other row points at it. */
async function seedSource(
  tx: Tx,
  doc: SeedData['source'],
): Promise<{ id: number; created: boolean }> {
  const source = await tx.sourceDocument.findUnique({
    where: { code: doc.code },
    select: { id: true },
  });
  if (source) return { id: source.id, created: false };
  const published = reported(doc.published);
  const created = await tx.sourceDocument.create({
    data: {
      code: doc.code,
      title: doc.title,
      titleEn: doc.titleEn,
      publisher: doc.publisher,
      publishedOn: published.on,
      publishedPrecision: published.precision,
      url: doc.url,
      note: doc.note,
    },
    select: { id: true },
  });
  return { id: created.id, created: true };
}

/** Sectors, parks and their facilities; returns each one's id by seed code. */
async function seedPlaces({ tx, sourceId, result }: SeedRun, data: SeedData) {
  const sectors = await ensureByCodeOrName(
    data.sectors,
    (codes, names) =>
      tx.sector.findMany({
        where: { OR: [{ code: { in: codes } }, { name: { in: names } }] },
        select: keyed,
      }),
    (missing) =>
      tx.sector.createManyAndReturn({
        data: missing.map((s) => ({
          code: s.code,
          name: s.name,
          nameEn: s.nameEn,
          leading: s.leading,
        })),
        select: keyed,
      }),
  );
  result.sectors = sectors.created.length;

  const parks = await ensureByCodeOrName(
    data.parks,
    (codes, names) =>
      tx.park.findMany({
        where: { OR: [{ code: { in: codes } }, { name: { in: names } }] },
        select: keyed,
      }),
    (missing) =>
      tx.park.createManyAndReturn({
        data: missing.map((p) => ({
          code: p.code,
          name: p.name,
          nameEn: p.nameEn,
          kind: p.kind,
          description: p.description,
          sourceId,
        })),
        select: keyed,
      }),
  );
  result.parks = parks.created.length;

  const facilities = await ensureByCodeOrName(
    data.facilities,
    (codes, names) =>
      tx.facility.findMany({
        where: { OR: [{ code: { in: codes } }, { name: { in: names } }] },
        select: keyed,
      }),
    (missing) =>
      tx.facility.createManyAndReturn({
        data: missing.map((f) => ({
          code: f.code,
          name: f.name,
          nameEn: f.nameEn,
          parkId: f.parkCode === null ? null : lookup(parks.ids, f.parkCode, 'park'),
          phase: f.phase,
          description: f.description,
          sourceId,
        })),
        select: keyed,
      }),
  );
  result.facilities = facilities.created.length;
  return { sectors: sectors.ids, parks: parks.ids, facilities: facilities.ids };
}

/** Projects, each new one with its INITIAL stage event; returns each one's id by seed code. */
async function seedProjects(
  { tx, sourceId, result }: SeedRun,
  data: SeedData,
  sectorIds: ReadonlyMap<string, number>,
): Promise<Map<string, number>> {
  const stageOf = new Map(data.projects.map((p) => [p.code, p]));
  const projects = await ensureByCodeOrName(
    data.projects,
    (codes, names) =>
      tx.project.findMany({
        where: { OR: [{ code: { in: codes } }, { name: { in: names } }] },
        select: keyed,
      }),
    (missing) =>
      tx.project.createManyAndReturn({
        data: missing.map((p) => ({
          code: p.code,
          name: p.name,
          nameEn: p.nameEn,
          description: p.description,
          notes: p.notes,
          sectorId: p.sectorCode === null ? null : lookup(sectorIds, p.sectorCode, 'sector'),
          stage: p.stage,
          stageChangedAt: date(p.stageAsOf.on),
          createdBy: SEED_ACTOR,
          updatedBy: SEED_ACTOR,
        })),
        select: keyed,
      }),
  );
  result.projects = projects.created.length;
  if (projects.created.length) {
    const events = await tx.projectStageEvent.createMany({
      data: projects.created.map((created) => {
        const p = stageOf.get(created.code)!;
        const asOf = reported(p.stageAsOf);
        return {
          projectId: created.id,
          kind: StageEventKind.INITIAL,
          fromStage: null,
          toStage: p.stage,
          occurredOn: asOf.on,
          occurredPrecision: asOf.precision,
          actor: SEED_ACTOR,
          note: p.stageNote,
          sourceId,
        };
      }),
    });
    result.projectStageEvents = events.count;
    await tx.sourceDocument.update({
      where: { id: sourceId },
      data: { projects: { connect: projects.created.map((c) => ({ id: c.id })) } },
      select: { id: true },
    });
  }
  return projects.ids;
}

/** Logistics channels and their observations (no code: channel, metric and period end among this source's). */
async function seedLogistics({ tx, sourceId, result }: SeedRun, data: SeedData): Promise<void> {
  const channels = await ensureByCodeOrName(
    data.channels,
    (codes, names) =>
      tx.logisticsChannel.findMany({
        where: { OR: [{ code: { in: codes } }, { name: { in: names } }] },
        select: keyed,
      }),
    (missing) =>
      tx.logisticsChannel.createManyAndReturn({
        data: missing.map((c) => ({
          code: c.code,
          name: c.name,
          nameEn: c.nameEn,
          kind: c.kind,
          description: c.description,
          sourceId,
        })),
        select: keyed,
      }),
  );
  result.logisticsChannels = channels.created.length;

  // Observations: no code, so (channel, metric, period end) among this source's observations.
  if (data.observations.length) {
    const rows = data.observations.map((o) => ({
      channelId: lookup(channels.ids, o.channelCode, 'channel'),
      metric: o.metric,
      value: o.value,
      textValue: o.textValue,
      unit: o.unit,
      periodStart: o.periodStart === null ? null : date(o.periodStart),
      periodEnd: date(o.periodEnd.on),
      periodPrecision: o.periodEnd.precision,
      nationalRank: o.nationalRank,
      note: o.note,
      sourceId,
      recordedBy,
    }));
    const existing = await tx.logisticsObservation.findMany({
      where: { sourceId, channelId: { in: [...new Set(rows.map((r) => r.channelId))] } },
      select: { channelId: true, metric: true, periodEnd: true },
    });
    const have = new Set(existing.map((e) => observationKey(e.channelId, e.metric, e.periodEnd)));
    const missing = rows.filter(
      (r) => !have.has(observationKey(r.channelId, r.metric, r.periodEnd)),
    );
    if (missing.length)
      result.logisticsObservations = (
        await tx.logisticsObservation.createMany({ data: missing })
      ).count;
  }
}

/** Park and facility snapshots (no code: park or facility and as-of date among this source's). */
async function seedParkSnapshots(
  { tx, sourceId, result }: SeedRun,
  data: SeedData,
  places: { parks: ReadonlyMap<string, number>; facilities: ReadonlyMap<string, number> },
): Promise<void> {
  if (data.snapshots.length) {
    const subject = (s: SeedParkSnapshot) =>
      s.parkCode !== undefined
        ? { parkId: lookup(places.parks, s.parkCode, 'park'), facilityId: null }
        : { parkId: null, facilityId: lookup(places.facilities, s.facilityCode, 'facility') };
    const rows = data.snapshots.map((s) => ({
      ...subject(s),
      asOf: date(s.asOf.on),
      asOfPrecision: s.asOf.precision,
      status: s.status,
      statusNote: s.statusNote,
      floorAreaM2: s.floorAreaM2,
      enterprisesRegistered: s.enterprisesRegistered,
      enterprisesSigned: s.enterprisesSigned,
      note: s.note,
      sourceId,
      recordedBy,
    }));
    const parkIds = rows.flatMap((r) => (r.parkId === null ? [] : [r.parkId]));
    const facilityIds = rows.flatMap((r) => (r.facilityId === null ? [] : [r.facilityId]));
    const existing = await tx.parkSnapshot.findMany({
      where: { sourceId, OR: [{ parkId: { in: parkIds } }, { facilityId: { in: facilityIds } }] },
      select: { parkId: true, facilityId: true, asOf: true },
    });
    const have = new Set(existing.map((e) => snapshotKey(e.parkId, e.facilityId, e.asOf)));
    const missing = rows.filter((r) => !have.has(snapshotKey(r.parkId, r.facilityId, r.asOf)));
    if (missing.length)
      result.parkSnapshots = (await tx.parkSnapshot.createMany({ data: missing })).count;
  }
}

/** Funding awards and reported totals, by code. */
async function seedFunding({ tx, sourceId, result }: SeedRun, data: SeedData): Promise<void> {
  const awards = await missingByCode(data.fundingAwards, (codes) =>
    tx.fundingAward.findMany({ where: { code: { in: codes } }, select: { code: true } }),
  );
  if (awards.length) {
    result.fundingAwards = (
      await tx.fundingAward.createMany({
        data: awards.map((a) => {
          const asOf = reported(a.asOf);
          return {
            code: a.code,
            sourceLevel: a.sourceLevel,
            instrument: a.instrument,
            programme: a.programme,
            programmeEn: a.programmeEn,
            amount: a.amount,
            year: a.year,
            asOf: asOf.on,
            asOfPrecision: asOf.precision,
            reportedTotal: a.reportedTotal,
            overlapNote: a.overlapNote,
            note: a.note,
            sourceId,
            recordedBy,
          };
        }),
      })
    ).count;
  }
}

/** Reported figures, then the targets that link the figure measuring them; by code. */
async function seedFiguresAndTargets(
  { tx, sourceId, result }: SeedRun,
  data: SeedData,
  projectIds: ReadonlyMap<string, number>,
): Promise<void> {
  // Figures before targets: a target links the figure that measures it.
  const figureIds = new Map<string, number>();
  if (data.figures.length) {
    const existing = await tx.reportedFigure.findMany({
      where: { code: { in: data.figures.map((f) => f.code) } },
      select: { id: true, code: true },
    });
    for (const e of existing) figureIds.set(e.code, e.id);
    const missing = data.figures.filter((f) => !figureIds.has(f.code));
    if (missing.length) {
      const created = await tx.reportedFigure.createManyAndReturn({
        data: missing.map((f) => {
          const asOf = reported(f.asOf);
          return {
            code: f.code,
            label: f.label,
            labelEn: f.labelEn,
            category: f.category,
            value: f.value,
            textValue: f.textValue,
            unit: f.unit,
            qualifier: f.qualifier,
            asOf: asOf.on,
            asOfPrecision: asOf.precision,
            approximate: f.approximate,
            year: f.year,
            projectId: f.projectCode === null ? null : lookup(projectIds, f.projectCode, 'project'),
            note: f.note,
            sourceId,
            recordedBy,
          };
        }),
        select: { id: true, code: true },
      });
      for (const c of created) figureIds.set(c.code, c.id);
      result.reportedFigures = created.length;
    }
  }

  const targets = await missingByCode(data.targets, (codes) =>
    tx.target.findMany({ where: { code: { in: codes } }, select: { code: true } }),
  );
  if (targets.length) {
    result.targets = (
      await tx.target.createMany({
        data: targets.map((t) => ({
          code: t.code,
          label: t.label,
          labelEn: t.labelEn,
          year: t.year,
          value: t.value,
          unit: t.unit,
          dueBy: t.dueBy === null ? null : date(t.dueBy),
          actualId:
            t.actualFigureCode === null ? null : lookup(figureIds, t.actualFigureCode, 'figure'),
          reportedRate: t.reportedRate,
          note: t.note,
          sourceId,
          recordedBy,
        })),
      })
    ).count;
  }
}

function emptyResult(): SeedResult {
  return {
    sourceDocuments: 0,
    sectors: 0,
    parks: 0,
    facilities: 0,
    projects: 0,
    projectStageEvents: 0,
    logisticsChannels: 0,
    logisticsObservations: 0,
    parkSnapshots: 0,
    fundingAwards: 0,
    reportedFigures: 0,
    targets: 0,
  };
}

/** Every model in the order their references need: places, projects, then what points at them. */
async function seedInTransaction(tx: Tx, data: SeedData): Promise<SeedResult> {
  const source = await seedSource(tx, data.source);
  const run: SeedRun = { tx, sourceId: source.id, result: emptyResult() };
  run.result.sourceDocuments = source.created ? 1 : 0;
  const places = await seedPlaces(run, data);
  const projectIds = await seedProjects(run, data, places.sectors);
  await seedLogistics(run, data);
  await seedParkSnapshots(run, data, places);
  await seedFunding(run, data);
  await seedFiguresAndTargets(run, data, projectIds);
  return run.result;
}

/**
 * Inserts the seed rows missing from the database (by default the 2025 report) and returns how
 * many rows of each model it created. Never updates or deletes a row.
 */
export async function seedDistrict(
  prisma: PrismaClient,
  data: SeedData = liaozhong2025,
): Promise<SeedResult> {
  return prisma.$transaction(
    async (tx) => {
      // Serialise concurrent seeds (several servers starting on one PostgreSQL). PGlite has one
      // connection, so there it is a no-op in effect.
      // 72707370: the seed's lock key (the migrations lock on 72707369).
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(72707370)`;
      // New projects get INITIAL stage events: take the log's lock too, so their sequences stay
      // commit-ordered beside live stage changes on other servers.
      await lockStageLog(tx);
      return seedInTransaction(tx, data);
    },
    { maxWait: 30_000, timeout: 120_000 },
  );
}

/** Total rows a seed run created. */
export function seedTotal(result: SeedResult): number {
  return Object.values(result).reduce((sum, n) => sum + n, 0);
}
