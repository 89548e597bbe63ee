/**
 * A synthetic district for the benchmark, loaded into a fresh PostgreSQL database:
 * 10,000 projects across 100 parks (with 200 facilities and their quarterly snapshots),
 * 100,000 stage events (commit-ordered sequences, plausible forward moves, a few suspensions,
 * resumptions and cancellations), 20,000 funding awards (and each year's reported totals),
 * five years of daily, weekly and monthly logistics observations on four channels, and each
 * year's reported figures and targets.
 *
 * The database is dropped and re-created, migrated through the hub's own `openDatabase`, then
 * filled with multi-row `INSERT ... SELECT * FROM unnest($1::type[], ...)` statements (one
 * statement per 5,000 rows), which needs no COPY support from the driver. Same seed, same data.
 *
 * Run alone: `node --import tsx tests/bench/generate.ts` (prints what it loaded).
 */
import pg from 'pg';
import { openDatabase } from '../../src/db/index.ts';
import { districtToday } from '../../src/services/stage-log.ts';
import { PIPELINE } from '../../src/services/stages.ts';
import { bench, databaseUrl } from './config.ts';

export const DISTRICT_SIZE = {
  projects: 10_000,
  parks: 100,
  facilitiesPerPark: 2,
  sectors: 12,
  stageEvents: 100_000,
  fundingAwards: 20_000,
  logisticsChannels: 4,
  years: 5,
  figuresPerYear: 40,
  targetsPerYear: 12,
} as const;

/** mulberry32: a small, fast, seeded PRNG (the same district on every run). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY_MS = 86_400_000;
const iso = (d: Date) => d.toISOString().slice(0, 10);
const pad = (n: number, w: number) => String(n).padStart(w, '0');

type Column = [name: string, sqlType: string];

/** Inserts rows (arrays in column order) in chunks, one `unnest` statement per chunk. */
async function insertRows(
  client: pg.ClientBase,
  table: string,
  columns: Column[],
  rows: unknown[][],
  chunk = 5_000,
): Promise<void> {
  const names = columns.map(([n]) => `"${n}"`).join(', ');
  const params = columns.map(([, t], i) => `$${i + 1}::${t}[]`).join(', ');
  const sql = `INSERT INTO "${table}" (${names}) SELECT * FROM unnest(${params})`;
  for (let start = 0; start < rows.length; start += chunk) {
    const slice = rows.slice(start, start + chunk);
    await client.query(
      sql,
      columns.map((_, c) => slice.map((row) => row[c] ?? null)),
    );
  }
}

export interface GeneratedDistrict {
  counts: Record<string, number>;
  /** The day the generator took as today in the district (no event is later). */
  today: string;
  years: number[];
  seconds: number;
}

export interface GenerateOptions {
  /** Database to (re)create. @default bench.databaseName */
  name?: string;
  seed?: number;
  log?: (line: string) => void;
}

/** Drops and re-creates the benchmark database, migrates it and loads the district. */
export async function generateDistrict(options: GenerateOptions = {}): Promise<GeneratedDistrict> {
  const started = performance.now();
  const name = options.name ?? bench.databaseName;
  const log = options.log ?? (() => undefined);
  const random = prng(options.seed ?? 20251127);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const between = (lo: number, hi: number) => lo + random() * (hi - lo);

  const admin = new pg.Client({ connectionString: bench.adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = databaseUrl(name);
  // The hub's own migrations, exactly as the hub applies them at start-up.
  const db = await openDatabase({ databaseUrl: url, dataDir: '/nonexistent', poolSize: 1 });
  await db.close();
  log(`created ${name} and applied the hub's migrations`);

  const today = districtToday();
  const lastYear = today.getUTCFullYear();
  const years = Array.from(
    { length: DISTRICT_SIZE.years },
    (_, i) => lastYear - DISTRICT_SIZE.years + 1 + i,
  );
  const firstDay = new Date(Date.UTC(years[0]!, 0, 1));
  const span = today.getTime() - firstDay.getTime();
  const counts: Record<string, number> = {};

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    await insertRows(
      client,
      'SourceDocument',
      [
        ['id', 'int'],
        ['code', 'text'],
        ['title', 'text'],
        ['publishedOn', 'date'],
      ],
      [[1, 'bench-synthetic', '基准测试合成数据 / Synthetic benchmark district', iso(today)]],
    );

    const sectors = Array.from({ length: DISTRICT_SIZE.sectors }, (_, i) => [
      i + 1,
      `BS-${pad(i + 1, 2)}`,
      `行业${pad(i + 1, 2)}`,
      `Sector ${pad(i + 1, 2)}`,
      i < 4,
    ]);
    await insertRows(
      client,
      'Sector',
      [
        ['id', 'int'],
        ['code', 'text'],
        ['name', 'text'],
        ['nameEn', 'text'],
        ['leading', 'boolean'],
      ],
      sectors,
    );
    counts.sectors = sectors.length;

    const parks = Array.from({ length: DISTRICT_SIZE.parks }, (_, i) => [
      i + 1,
      `BP-${pad(i + 1, 3)}`,
      `园区${pad(i + 1, 3)}`,
      `Park ${pad(i + 1, 3)}`,
      i === 0 ? 'BONDED_ZONE' : 'PARK',
      1,
    ]);
    await insertRows(
      client,
      'Park',
      [
        ['id', 'int'],
        ['code', 'text'],
        ['name', 'text'],
        ['nameEn', 'text'],
        ['kind', '"ParkKind"'],
        ['sourceId', 'int'],
      ],
      parks,
    );
    counts.parks = parks.length;

    const facilities: unknown[][] = [];
    for (let p = 1; p <= DISTRICT_SIZE.parks; p++) {
      for (let phase = 1; phase <= DISTRICT_SIZE.facilitiesPerPark; phase++) {
        const id = facilities.length + 1;
        facilities.push([
          id,
          `BF-${pad(id, 4)}`,
          `设施${pad(id, 4)}`,
          `Facility ${pad(id, 4)}`,
          p,
          phase,
        ]);
      }
    }
    await insertRows(
      client,
      'Facility',
      [
        ['id', 'int'],
        ['code', 'text'],
        ['name', 'text'],
        ['nameEn', 'text'],
        ['parkId', 'int'],
        ['phase', 'int'],
      ],
      facilities,
    );
    counts.facilities = facilities.length;

    // Quarterly snapshots of every park and facility, up to today.
    const snapshots: unknown[][] = [];
    const statuses = ['PLANNED', 'UNDER_CONSTRUCTION', 'FITTING_OUT', 'COMPLETED', 'IN_OPERATION'];
    for (const year of years) {
      for (const q of [0, 1, 2, 3]) {
        const asOf = new Date(Date.UTC(year, q * 3 + 3, 0));
        if (asOf > today) continue;
        const step = (year - years[0]!) * 4 + q;
        for (let p = 1; p <= DISTRICT_SIZE.parks; p++) {
          snapshots.push([
            snapshots.length + 1,
            p,
            null,
            iso(asOf),
            null,
            Math.floor(between(0, 40)),
            Math.floor(between(0, 60)),
            `${pad(Math.floor(between(1e4, 9e5)), 6)}.00`,
          ]);
        }
        for (const f of facilities) {
          const status = statuses[Math.min(statuses.length - 1, Math.floor(step / 4))];
          snapshots.push([
            snapshots.length + 1,
            null,
            f[0],
            iso(asOf),
            status,
            null,
            null,
            `${pad(Math.floor(between(1e4, 3e5)), 6)}.00`,
          ]);
        }
      }
    }
    await insertRows(
      client,
      'ParkSnapshot',
      [
        ['id', 'int'],
        ['parkId', 'int'],
        ['facilityId', 'int'],
        ['asOf', 'date'],
        ['status', '"FacilityStatus"'],
        ['enterprisesRegistered', 'int'],
        ['enterprisesSigned', 'int'],
        ['floorAreaM2', 'numeric'],
      ],
      snapshots,
    );
    counts.parkSnapshots = snapshots.length;

    // Stage histories: an INITIAL event, then mostly forward moves (one stage, sometimes two),
    // a few suspend/resume pairs, a few cancellations; dates move forward, never past today.
    interface Ev {
      projectId: number;
      kind: string;
      from: string | null;
      to: string;
      on: number;
    }
    const events: Ev[] = [];
    const stageOf: { stage: string; before: string | null; first: number; last: number }[] = [];
    const remaining = { events: DISTRICT_SIZE.stageEvents };
    for (let p = 1; p <= DISTRICT_SIZE.projects; p++) {
      const left = DISTRICT_SIZE.projects - p;
      // 4..16 events, averaging the total exactly: the last projects take what is left.
      let n = left === 0 ? remaining.events : Math.max(1, Math.min(16, Math.round(between(4, 16))));
      if (remaining.events - n < left) n = remaining.events - left;
      if (remaining.events - n > left * 16) n = remaining.events - left * 16;
      remaining.events -= n;
      let on = firstDay.getTime() + Math.floor((random() * span * 0.7) / DAY_MS) * DAY_MS;
      let rank = random() < 0.7 ? 0 : 1;
      let stage: string = PIPELINE[rank]!;
      let before: string | null = null;
      events.push({ projectId: p, kind: 'INITIAL', from: null, to: stage, on });
      const first = on;
      for (let k = 1; k < n; k++) {
        on = Math.min(today.getTime(), on + Math.floor(between(3, 45)) * DAY_MS);
        const from = stage;
        const left = n - k;
        if (stage === 'SUSPENDED') {
          stage = before!;
          before = null;
          events.push({ projectId: p, kind: 'RESUME', from, to: stage, on });
        } else if (left === 1 && random() < 0.04) {
          stage = 'CANCELLED';
          before = null;
          events.push({ projectId: p, kind: 'CANCEL', from, to: stage, on });
        } else if (left >= 2 && (random() < 0.05 || rank >= PIPELINE.length - 1)) {
          before = stage;
          stage = 'SUSPENDED';
          events.push({ projectId: p, kind: 'SUSPEND', from, to: stage, on });
        } else if (rank < PIPELINE.length - 1) {
          rank = Math.min(PIPELINE.length - 1, rank + (random() < 0.2 ? 2 : 1));
          stage = PIPELINE[rank]!;
          events.push({ projectId: p, kind: 'ADVANCE', from, to: stage, on });
        } else {
          // At capacity with one event left: a correction back one stage, with its note.
          rank -= 1;
          stage = PIPELINE[rank]!;
          events.push({ projectId: p, kind: 'CORRECTION', from, to: stage, on });
        }
      }
      stageOf.push({ stage, before, first, last: on });
    }
    // Commit order: sequence follows the day, ties in a random but fixed order; recordedAt grows
    // with the sequence (a few minutes apart on the same day).
    const order = events.map((e, i) => ({ e, i, tie: random() }));
    order.sort((a, b) => a.e.on - b.e.on || a.tie - b.tie);
    const recordedAt = new Map<number, number>();
    let lastRecorded = 0;
    const eventRows = order.map(({ e, i }, seq) => {
      // Recorded at 09:00 in Liaozhong (01:00 UTC) or just after the previous event.
      const at = Math.max(lastRecorded + 1_000, e.on + 3_600_000 + Math.floor(random() * 60_000));
      lastRecorded = at;
      recordedAt.set(i, at);
      return [
        seq + 1,
        seq + 1,
        e.projectId,
        e.kind,
        e.from,
        e.to,
        iso(new Date(e.on)),
        new Date(at).toISOString(),
        'bench',
        e.kind === 'CORRECTION' ? '基准数据更正 / benchmark correction' : null,
      ];
    });
    // A project's stageChangedAt is its last event's recordedAt.
    const lastAt = new Map<number, number>();
    const firstAt = new Map<number, number>();
    order.forEach(({ e, i }) => {
      const at = recordedAt.get(i)!;
      lastAt.set(e.projectId, at);
      if (!firstAt.has(e.projectId)) firstAt.set(e.projectId, at);
    });

    const investors = [
      '沈阳城投',
      '辽中国资',
      '华润',
      '中粮',
      '万科',
      '远大',
      '宝马供应链',
      '禾丰',
      '正大',
      '昊明',
    ];
    const projects = stageOf.map((s, idx) => {
      const id = idx + 1;
      const planned =
        random() < 0.9
          ? `${Math.floor(between(1e6, 5e9))}.${pad(Math.floor(random() * 100), 2)}`
          : null;
      const changed = new Date(lastAt.get(id)!).toISOString();
      return [
        id,
        `BJ-${pad(id, 5)}`,
        `项目${pad(id, 5)}`,
        `Project ${pad(id, 5)}`,
        1 + Math.floor(random() * DISTRICT_SIZE.sectors),
        s.stage,
        s.before,
        changed,
        random() < 0.97 ? 1 + Math.floor(random() * DISTRICT_SIZE.parks) : null,
        pick(investors),
        planned,
        planned && random() < 0.6 ? `${Math.floor(Number(planned) * random())}.00` : null,
        random() < 0.5 ? `${Math.floor(between(1e6, 1e10))}.00` : null,
        new Date(firstAt.get(id)!).toISOString(),
        changed,
        'bench',
        'bench',
      ];
    });
    await insertRows(
      client,
      'Project',
      [
        ['id', 'int'],
        ['code', 'text'],
        ['name', 'text'],
        ['nameEn', 'text'],
        ['sectorId', 'int'],
        ['stage', '"ProjectStage"'],
        ['stageBeforeSuspension', '"ProjectStage"'],
        ['stageChangedAt', 'timestamptz'],
        ['parkId', 'int'],
        ['investor', 'text'],
        ['plannedInvestment', 'numeric'],
        ['completedInvestment', 'numeric'],
        ['expectedOutputValue', 'numeric'],
        ['createdAt', 'timestamptz'],
        ['updatedAt', 'timestamptz'],
        ['createdBy', 'text'],
        ['updatedBy', 'text'],
      ],
      projects,
    );
    counts.projects = projects.length;
    await insertRows(
      client,
      'ProjectStageEvent',
      [
        ['id', 'int'],
        ['sequence', 'bigint'],
        ['projectId', 'int'],
        ['kind', '"StageEventKind"'],
        ['fromStage', '"ProjectStage"'],
        ['toStage', '"ProjectStage"'],
        ['occurredOn', 'date'],
        ['recordedAt', 'timestamptz'],
        ['actor', 'text'],
        ['note', 'text'],
      ],
      eventRows,
    );
    counts.stageEvents = eventRows.length;

    // Funding: each year's reported district-wide totals for three levels, and single awards.
    const levels = [
      'CENTRAL',
      'PROVINCIAL',
      'PROVINCIAL_AND_ABOVE',
      'MUNICIPAL',
      'DISTRICT',
      'POLICY_BANK',
      'SPECIAL_BOND',
      'COMMERCIAL_BANK',
      'OTHER',
    ];
    const instruments = ['GRANT', 'LOAN', 'BOND', 'SUBSIDY', 'EQUITY', 'UNSPECIFIED'];
    const awards: unknown[][] = [];
    for (const year of years) {
      for (const level of ['CENTRAL', 'PROVINCIAL_AND_ABOVE', 'SPECIAL_BOND']) {
        const id = awards.length + 1;
        const overlap =
          level === 'PROVINCIAL_AND_ABOVE'
            ? '可能包含中央资金 / may include the central funds'
            : null;
        awards.push([
          id,
          `BA-${pad(id, 6)}`,
          level,
          'UNSPECIFIED',
          `${Math.floor(between(1e8, 9e8))}.00`,
          year,
          null,
          iso(new Date(Math.min(today.getTime(), Date.UTC(year, 11, 31)))),
          true,
          overlap,
          null,
        ]);
      }
    }
    while (awards.length < DISTRICT_SIZE.fundingAwards) {
      const id = awards.length + 1;
      const year = pick(years);
      const awardedOn = Math.min(
        today.getTime(),
        Date.UTC(year, 0, 1) + Math.floor(random() * 365) * DAY_MS,
      );
      awards.push([
        id,
        `BA-${pad(id, 6)}`,
        pick(levels),
        pick(instruments),
        `${Math.floor(between(1e4, 5e7))}.${pad(Math.floor(random() * 100), 2)}`,
        year,
        iso(new Date(awardedOn)),
        null,
        false,
        null,
        random() < 0.85 ? 1 + Math.floor(random() * DISTRICT_SIZE.projects) : null,
      ]);
    }
    await insertRows(
      client,
      'FundingAward',
      [
        ['id', 'int'],
        ['code', 'text'],
        ['sourceLevel', '"FundingSourceLevel"'],
        ['instrument', '"FundingInstrument"'],
        ['amount', 'numeric'],
        ['year', 'int'],
        ['awardedOn', 'date'],
        ['asOf', 'date'],
        ['reportedTotal', 'boolean'],
        ['overlapNote', 'text'],
        ['projectId', 'int'],
      ],
      awards,
    );
    counts.fundingAwards = awards.length;

    // Logistics: four channels; daily dispatches, weekly TEU, monthly status and national rank.
    const channels = Array.from({ length: DISTRICT_SIZE.logisticsChannels }, (_, i) => [
      i + 1,
      `BL-${i + 1}`,
      i < 2 ? `中欧班列${i + 1}号线` : `TIR线路${i - 1}`,
      i < 2 ? `China-Russia train ${i + 1}` : `TIR route ${i - 1}`,
      i < 2 ? 'RAIL_FREIGHT' : 'ROAD_TIR',
    ]);
    await insertRows(
      client,
      'LogisticsChannel',
      [
        ['id', 'int'],
        ['code', 'text'],
        ['name', 'text'],
        ['nameEn', 'text'],
        ['kind', '"ChannelKind"'],
      ],
      channels,
    );
    counts.logisticsChannels = channels.length;
    const observations: unknown[][] = [];
    const obs = (
      channelId: number,
      metric: string,
      value: string | null,
      textValue: string | null,
      unit: string | null,
      start: number,
      end: number,
      rank: number | null,
    ) =>
      observations.push([
        observations.length + 1,
        channelId,
        metric,
        value,
        textValue,
        unit,
        iso(new Date(start)),
        iso(new Date(end)),
        rank,
      ]);
    for (const [channelId] of channels as [number][]) {
      for (let t = firstDay.getTime(); t <= today.getTime(); t += DAY_MS)
        obs(channelId, 'dispatches', String(Math.floor(between(0, 6))), null, 'trips', t, t, null);
      for (let t = firstDay.getTime(); t + 6 * DAY_MS <= today.getTime(); t += 7 * DAY_MS)
        obs(
          channelId,
          'teu',
          `${Math.floor(between(10, 400))}.0000`,
          null,
          'TEU',
          t,
          t + 6 * DAY_MS,
          null,
        );
      for (const year of years) {
        for (let m = 0; m < 12; m++) {
          const start = Date.UTC(year, m, 1);
          const end = Date.UTC(year, m + 1, 0);
          if (end > today.getTime()) continue;
          obs(
            channelId,
            'service_status',
            null,
            pick(['常态化运行', '加密开行', '临时调整']),
            null,
            start,
            end,
            null,
          );
          obs(
            channelId,
            'monthly_dispatches',
            String(Math.floor(between(20, 150))),
            null,
            'trips',
            start,
            end,
            1 + Math.floor(random() * 20),
          );
        }
      }
    }
    await insertRows(
      client,
      'LogisticsObservation',
      [
        ['id', 'int'],
        ['channelId', 'int'],
        ['metric', 'text'],
        ['value', 'numeric'],
        ['textValue', 'text'],
        ['unit', 'text'],
        ['periodStart', 'date'],
        ['periodEnd', 'date'],
        ['nationalRank', 'int'],
      ],
      observations,
    );
    counts.logisticsObservations = observations.length;

    // Reported figures and targets, per year; each target measured by a figure of the same unit.
    const categories = [
      'approval',
      'tender',
      'land',
      'registration',
      'construction',
      'completion',
      'operation',
      'investment',
      'attraction',
      'service',
      'output',
    ];
    const figures: unknown[][] = [];
    const targets: unknown[][] = [];
    for (const year of years) {
      const asOf = iso(new Date(Math.min(today.getTime(), Date.UTC(year, 11, 31))));
      const yearFigures: { id: number; unit: string; value: number }[] = [];
      for (let f = 0; f < DISTRICT_SIZE.figuresPerYear; f++) {
        const id = figures.length + 1;
        const money = f % 3 === 0;
        const unit = money ? 'CNY' : 'projects';
        const value = money ? Math.floor(between(1e7, 1e10)) : Math.floor(between(1, 300));
        figures.push([
          id,
          `bench-${year}-figure-${pad(f, 2)}`,
          `指标${pad(f, 2)}`,
          `Figure ${pad(f, 2)}`,
          categories[f % categories.length],
          `${value}.0000`,
          unit,
          asOf,
          year,
        ]);
        yearFigures.push({ id, unit, value });
      }
      for (let t = 0; t < DISTRICT_SIZE.targetsPerYear; t++) {
        const id = targets.length + 1;
        const figure = yearFigures[t]!;
        const target = Math.max(1, Math.round(figure.value / between(0.3, 1.2)));
        const rate =
          random() < 0.7
            ? ((figure.value / target) * 100 + (random() < 0.2 ? 1.3 : 0)).toFixed(2)
            : null;
        targets.push([
          id,
          `bench-${year}-target-${pad(t, 2)}`,
          `目标${pad(t, 2)}`,
          `Target ${pad(t, 2)}`,
          year,
          `${target}.0000`,
          figure.unit,
          figure.id,
          rate,
        ]);
      }
    }
    await insertRows(
      client,
      'ReportedFigure',
      [
        ['id', 'int'],
        ['code', 'text'],
        ['label', 'text'],
        ['labelEn', 'text'],
        ['category', 'text'],
        ['value', 'numeric'],
        ['unit', 'text'],
        ['asOf', 'date'],
        ['year', 'int'],
      ],
      figures,
    );
    counts.reportedFigures = figures.length;
    await insertRows(
      client,
      'Target',
      [
        ['id', 'int'],
        ['code', 'text'],
        ['label', 'text'],
        ['labelEn', 'text'],
        ['year', 'int'],
        ['value', 'numeric'],
        ['unit', 'text'],
        ['actualId', 'int'],
        ['reportedRate', 'numeric'],
      ],
      targets,
    );
    counts.targets = targets.length;

    // Identity sequences continue after the loaded ids (and the log's sequence after its head).
    const serials: [string, string][] = [
      ['SourceDocument', 'id'],
      ['Sector', 'id'],
      ['Park', 'id'],
      ['Facility', 'id'],
      ['ParkSnapshot', 'id'],
      ['Project', 'id'],
      ['ProjectStageEvent', 'id'],
      ['ProjectStageEvent', 'sequence'],
      ['FundingAward', 'id'],
      ['LogisticsChannel', 'id'],
      ['LogisticsObservation', 'id'],
      ['ReportedFigure', 'id'],
      ['Target', 'id'],
    ];
    for (const [table, column] of serials) {
      await client.query(
        `SELECT setval(pg_get_serial_sequence('"${table}"', '${column}'), (SELECT max("${column}") FROM "${table}"))`,
      );
    }
    await client.query('COMMIT');
    await client.query('VACUUM ANALYZE');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
  const seconds = (performance.now() - started) / 1000;
  log(
    `loaded in ${seconds.toFixed(1)} s: ${Object.entries(counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  return { counts, today: iso(today), years, seconds };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  generateDistrict({ log: console.log }).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
