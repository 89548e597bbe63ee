import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../src/db/index.ts';
import { csvText, exportProjectsCsv, exportStageEventsCsv } from '../src/exchange/csv-export.ts';
import { PROJECT_COLUMNS } from '../src/exchange/csv-format.ts';
import {
  type ImportChange,
  ImportError,
  type ImportOptions,
  importProjectsCsv,
  importStageChangesCsv,
} from '../src/exchange/csv-import.ts';
import { Prisma, type PrismaClient, type ProjectStage } from '../src/generated/prisma/client.ts';
import { createMemoryPubSub, type StageChangedEvent } from '../src/realtime/event-bus.ts';
import {
  type BatchInputError,
  createProject,
  createProjectsInTransaction,
  updateProject,
} from '../src/services/projects.ts';
import { changeProjectStage } from '../src/services/stage-change.ts';
import { describeEachEngine, openTestDatabase } from './helpers/db.ts';
import { databaseSnapshot, TEST_ACTOR } from './helpers/fixtures.ts';
import { hostileText } from './helpers/hostile-input.ts';
import { startTestHub, type TestHub } from './helpers/server.ts';
import { deferred, waitUntil } from './helpers/subscription.ts';
import { pgliteTemplateFolder } from './helpers/template.ts';

const day = (iso: string) => new Date(`${iso}T00:00:00Z`);
const BOM = '\uFEFF';
const IMPORT: ImportOptions = { actor: 'test:import' };

/** A CSV file as a stream, the way the CLI hands one over. */
const file = (text: string) => Readable.from([Buffer.from(text, 'utf8')]);
/** A CSV of the given rows, header first, UTF-8 with BOM and CRLF. */
const csv = (rows: string[][]) =>
  BOM +
  rows
    .map((r) => r.map((c) => (/[",\r\n]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c)).join(','))
    .join('\r\n') +
  '\r\n';

async function exportProjects(prisma: PrismaClient): Promise<string> {
  return csvText(exportProjectsCsv(prisma));
}

/** Copies sectors and parks: reference data a projects file names by code. */
async function copyReferenceData(from: PrismaClient, to: PrismaClient): Promise<void> {
  const sectors = await from.sector.findMany({ orderBy: { id: 'asc' } });
  const parks = await from.park.findMany({ orderBy: { id: 'asc' } });
  await to.sector.createMany({
    data: sectors.map(({ code, name, nameEn, leading }) => ({ code, name, nameEn, leading })),
  });
  await to.park.createMany({
    data: parks.map(({ code, name, nameEn, kind, description }) => ({
      code,
      name,
      nameEn,
      kind,
      description,
    })),
  });
}

/**
 * Projects with histories beyond one INITIAL event, beside the seeded ones: advances, a
 * suspension, a cancellation, a correction, a finished project; parks, investors, amounts and a
 * note that a spreadsheet would run as a formula.
 */
async function addHistories(prisma: PrismaClient): Promise<void> {
  const deps = { prisma };
  const park = await prisma.park.findUniqueOrThrow({ where: { code: 'china-russia-park' } });
  const sector = await prisma.sector.findUniqueOrThrow({ where: { code: 'advanced-equipment' } });
  const move = (
    projectId: number,
    toStage: Parameters<typeof changeProjectStage>[1]['toStage'],
    on: string,
    note?: string,
  ) => changeProjectStage(deps, { projectId, toStage, occurredOn: day(on), note }, TEST_ACTOR);

  const { project: x1 } = await createProject(
    deps,
    {
      code: 'X-001',
      name: '中俄园精密铸件',
      nameEn: 'Precision castings, "China-Russia" park',
      parkId: park.id,
      sectorId: sector.id,
      investor: '辽宁某某集团有限公司',
      plannedInvestment: new Prisma.Decimal('1250000000.50'),
      completedInvestment: new Prisma.Decimal('300000000'),
      expectedOutputValue: new Prisma.Decimal('2000000000'),
      description: '年产5万吨精密铸件,\n分两期建设。',
      notes: '=1+1 不是公式',
      stage: 'PLANNED',
      stageOccurredOn: day('2025-01-02'),
    },
    TEST_ACTOR,
  );
  await move(x1.id, 'SIGNED', '2025-03-01');
  await move(x1.id, 'UNDER_CONSTRUCTION', '2025-06-01', '开工仪式');

  const { project: x2 } = await createProject(
    deps,
    { code: 'X-002', name: '暂停项目', stage: 'TENDERED', stageOccurredOn: day('2025-02-01') },
    TEST_ACTOR,
  );
  await move(x2.id, 'SUSPENDED', '2025-04-01', '资金未到位');

  const { project: x3 } = await createProject(
    deps,
    { code: 'X-003', name: '取消项目', stageOccurredOn: day('2025-01-05') },
    TEST_ACTOR,
  );
  await move(x3.id, 'CANCELLED', '2025-05-05', '投资方退出');

  const { project: x4 } = await createProject(
    deps,
    { code: 'X-004', name: '已投产项目', stage: 'LANDED', stageOccurredOn: day('2025-01-10') },
    TEST_ACTOR,
  );
  await move(x4.id, 'COMPLETED', '2025-08-01');
  await move(x4.id, 'IN_OPERATION', '2025-09-01');

  const { project: x5 } = await createProject(
    deps,
    { code: 'X-005', name: '更正项目', stage: 'LANDED', stageOccurredOn: day('2025-02-01') },
    TEST_ACTOR,
  );
  await move(x5.id, 'SIGNED', '2025-03-01', '录入错误,实为签约');
  await updateProject(deps, x5.id, { investor: '+86 某公司' }, TEST_ACTOR);
}

function recordingPubSub() {
  const bus = createMemoryPubSub();
  const stageChanged: StageChangedEvent[] = [];
  let dataChanged = 0;
  bus.listen('stageChanged', {
    onEvent: (e) => void stageChanged.push(e),
    onLost: () => undefined,
  });
  bus.listen('dataChanged', {
    onEvent: () => {
      dataChanged += 1;
    },
    onLost: () => undefined,
  });
  return {
    bus,
    stageChanged,
    get dataChanged() {
      return dataChanged;
    },
  };
}

describe('CSV export format', () => {
  let db: Database;
  let text: string;

  beforeAll(async () => {
    db = await openTestDatabase('pglite', { seeded: true });
    await addHistories(db.prisma);
    text = await exportProjects(db.prisma);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('should start with a UTF-8 byte-order mark and end every record with CRLF', async () => {
    const bytes = Buffer.from(text, 'utf8');
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(text.endsWith('\r\n')).toBe(true);
    // Every line break outside quoted cells is CRLF: no bare LF ends a record.
    const records = parse(text, { bom: true });
    expect(records.length).toBe(1 + (await db.prisma.project.count()));
    expect(text.split('\r\n').length - 1).toBeGreaterThanOrEqual(records.length);
  });

  it('should keep Chinese text intact, with bilingual headers', () => {
    const [header, ...rows] = parse(text, { bom: true }) as string[][];
    expect(header!.slice(0, 4)).toEqual([
      '项目编码(code)',
      '项目名称(name)',
      '英文名称(nameEn)',
      '当前阶段(stage)',
    ]);
    const haoming = rows.find((r) => r[0] === 'LZ-2025-001')!;
    expect(haoming[1]).toBe('昊明预制菜');
    const x1 = rows.find((r) => r[0] === 'X-001')!;
    expect(x1).toContain('年产5万吨精密铸件,\n分两期建设。');
    expect(x1).toContain('Precision castings, "China-Russia" park');
    expect(x1).toContain('1250000000.50');
    expect(x1).toContain('中俄园');
  });

  it('should guard cells a spreadsheet would run as formulas', () => {
    const rows = parse(text, { bom: true }) as string[][];
    expect(rows.find((r) => r[0] === 'X-001')).toContain("'=1+1 不是公式");
    expect(rows.find((r) => r[0] === 'X-005')).toContain("'+86 某公司");
  });

  it('should export the stage-event log with the filters of projects(filter)', async () => {
    const log = parse(
      await csvText(
        exportStageEventsCsv(db.prisma, {
          project: { stage: ['SUSPENDED', 'CANCELLED'] },
          after: null,
        }),
      ),
      { bom: true },
    ) as string[][];
    expect(log[0]![0]).toBe('序号(sequence)');
    expect(log.slice(1).map((r) => [r[1], r[3], r[5], r[6]])).toEqual([
      ['X-002', 'INITIAL', 'TENDERED', '2025-02-01'],
      ['X-002', 'SUSPEND', 'SUSPENDED', '2025-04-01'],
      ['X-003', 'INITIAL', 'PLANNED', '2025-01-05'],
      ['X-003', 'CANCEL', 'CANCELLED', '2025-05-05'],
    ]);
  });
});

describeEachEngine('CSV import', (engine) => {
  let source: Database;
  let exported: string;

  beforeAll(async () => {
    source = await openTestDatabase(engine, { seeded: true });
    await addHistories(source.prisma);
    exported = await exportProjects(source.prisma);
  });
  afterAll(async () => {
    await source?.close();
  });

  /** A database with the source's sectors and parks and no project, no event. */
  async function emptyTarget(): Promise<Database> {
    const target = await openTestDatabase(engine);
    await copyReferenceData(source.prisma, target.prisma);
    return target;
  }

  it('should round-trip: export, import into an empty database, export again gives the same file', async () => {
    const target = await emptyTarget();
    try {
      expect(await target.prisma.project.count()).toBe(0);
      const summary = await importProjectsCsv({ prisma: target.prisma }, file(exported), IMPORT);
      const projects = await source.prisma.project.count();
      expect(summary).toMatchObject({
        rows: projects,
        created: projects,
        updated: 0,
        unchanged: 0,
        dryRun: false,
      });
      expect(await exportProjects(target.prisma)).toBe(exported);

      // The rebuilt histories are the simplest with the same milestones, and checked by the rules.
      const x5 = await target.prisma.projectStageEvent.findMany({
        where: { project: { code: 'X-005' } },
        orderBy: { sequence: 'asc' },
      });
      expect(x5.map((e) => [e.kind, e.toStage, e.note])).toEqual([
        ['INITIAL', 'LANDED', null],
        ['CORRECTION', 'SIGNED', '录入错误,实为签约'],
      ]);
      const x2 = await target.prisma.project.findUniqueOrThrow({ where: { code: 'X-002' } });
      expect(x2).toMatchObject({
        stage: 'SUSPENDED',
        stageBeforeSuspension: 'TENDERED',
        createdBy: 'test:import',
      });
    } finally {
      await target.close();
    }
  });

  it('should change nothing when the same file is imported again', async () => {
    const target = await emptyTarget();
    try {
      await importProjectsCsv({ prisma: target.prisma }, file(exported), IMPORT);
      const before = await databaseSnapshot(target.prisma);
      const bus = recordingPubSub();
      const again = await importProjectsCsv(
        { prisma: target.prisma, pubsub: bus.bus },
        file(exported),
        IMPORT,
      );
      expect(again).toMatchObject({
        created: 0,
        updated: 0,
        unchanged: again.rows,
        stageEvents: 0,
      });
      expect(await databaseSnapshot(target.prisma)).toEqual(before);
      expect(bus.stageChanged).toEqual([]);
      expect(bus.dataChanged).toBe(0);
    } finally {
      await target.close();
    }
  });

  it('should stop at a bad row with its line number and reason, and write nothing', async () => {
    const target = await emptyTarget();
    try {
      await importProjectsCsv({ prisma: target.prisma }, file(exported), IMPORT);
      const before = await databaseSnapshot(target.prisma);
      const bus = recordingPubSub();
      const bad = csv([
        ['code', 'name', 'stage', 'plannedInvestment'],
        ['N-001', '新项目一', 'SIGNED', '100000000'],
        ['LZ-2025-001', '昊明预制菜', 'UNDER_CONSTRUCTION', '520000000'],
        ['N-002', '新项目二', 'PLANNED', '-5'],
        ['N-003', '新项目三', 'PLANNED', ''],
      ]);
      const error = await importProjectsCsv(
        { prisma: target.prisma, pubsub: bus.bus },
        file(bad),
        IMPORT,
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ImportError);
      expect(error).toMatchObject({
        line: 4,
        code: 'N-002',
        reason: 'plannedInvestment must not be negative',
      });
      expect((error as Error).message).toBe(
        'line 4 (N-002): plannedInvestment must not be negative',
      );
      expect(await databaseSnapshot(target.prisma)).toEqual(before);
      expect(bus.stageChanged).toEqual([]);

      // The stage rules: a projects file does not move a project back.
      const back = csv([
        ['code', 'stage'],
        ['LZ-2025-005', 'SIGNED'],
      ]);
      await expect(
        importProjectsCsv({ prisma: target.prisma }, file(back), IMPORT),
      ).rejects.toMatchObject({
        line: 2,
        reason: expect.stringContaining("stage SIGNED is behind the hub's LAND_ACQUIRED"),
      });
      // A stage-changes row that breaks a rule, after good ones.
      const changes = csv([
        ['code', 'toStage', 'occurredOn', 'note'],
        ['LZ-2025-001', 'TENDERED', '2025-08-02', ''],
        ['LZ-2025-002', 'SIGNED', '2025-08-02', ''],
      ]);
      await expect(
        importStageChangesCsv({ prisma: target.prisma }, file(changes), IMPORT),
      ).rejects.toMatchObject({
        line: 3,
        code: 'LZ-2025-002',
        reason: 'Moving back from APPROVED to SIGNED is a correction: it needs a note saying why',
      });
      // A new project's milestones are stage changes too, checked by the same rules.
      const history = csv([
        ['code', 'name', 'reached.PLANNED', 'reached.SIGNED'],
        ['H-001', '历史项目', '2025-05-01', '2025-04-01'],
      ]);
      await expect(
        importProjectsCsv({ prisma: target.prisma }, file(history), IMPORT),
      ).rejects.toThrow(
        "line 2 (H-001): occurredOn 2025-04-01 is before the project's latest stage change (2025-05-01)",
      );
      // The first bad row is the one reported, even when new projects are written in batches.
      const twoBad = csv([
        ['code', 'name', 'park'],
        ['N-010', '新项目十', ''],
        ['N-011', '昊明预制菜', ''],
        ['N-012', '新项目十二', 'no-such-park'],
      ]);
      await expect(
        importProjectsCsv({ prisma: target.prisma }, file(twoBad), IMPORT),
      ).rejects.toThrow('line 3 (N-011): Another project already has the name 昊明预制菜');
      await expect(
        importProjectsCsv(
          { prisma: target.prisma },
          file(twoBad.replace('昊明预制菜', '新项目十一')),
          IMPORT,
        ),
      ).rejects.toThrow('line 4 (N-012): park: no park has the code or name "no-such-park"');
      const unknown = csv([
        ['code', 'toStage'],
        ['NOPE-1', 'SIGNED'],
      ]);
      await expect(
        importStageChangesCsv({ prisma: target.prisma }, file(unknown), IMPORT),
      ).rejects.toThrow('line 2 (NOPE-1): no project has the code "NOPE-1"');
      const badHeader = csv([
        ['code', 'toStgae'],
        ['LZ-2025-001', 'SIGNED'],
      ]);
      await expect(
        importStageChangesCsv({ prisma: target.prisma }, file(badHeader), IMPORT),
      ).rejects.toThrow(/^line 1: header: unknown column "toStgae"/);
      expect(await databaseSnapshot(target.prisma)).toEqual(before);
    } finally {
      await target.close();
    }
  });

  it('should report what a dry run would change and write nothing', async () => {
    const target = await emptyTarget();
    try {
      const before = await databaseSnapshot(target.prisma);
      const changes: ImportChange[] = [];
      const bus = recordingPubSub();
      const summary = await importProjectsCsv(
        { prisma: target.prisma, pubsub: bus.bus },
        file(exported),
        {
          ...IMPORT,
          dryRun: true,
          onChange: (c) => void changes.push(c),
        },
      );
      expect(summary).toMatchObject({ dryRun: true, created: summary.rows, updated: 0 });
      expect(changes.find((c) => c.code === 'X-001')).toEqual({
        line: expect.any(Number),
        code: 'X-001',
        action: 'create',
        stages: ['PLANNED', 'SIGNED', 'UNDER_CONSTRUCTION'],
      });
      expect(await databaseSnapshot(target.prisma)).toEqual(before);
      expect(bus.stageChanged).toEqual([]);
    } finally {
      await target.close();
    }
  });

  it('should apply stage changes as events, publish them after the commit, and treat a re-import as no-ops', async () => {
    const target = await emptyTarget();
    try {
      await importProjectsCsv({ prisma: target.prisma }, file(exported), IMPORT);
      const head = (await target.prisma.projectStageEvent.aggregate({ _max: { sequence: true } }))
        ._max.sequence!;
      const changes = csv([
        ['项目编码', '新阶段', '发生日期', '备注'],
        ['LZ-2025-001', '招投标', '2025/8/2', '招标完成'],
        ['LZ-2025-001', 'UNDER_CONSTRUCTION', '2025-09-01', ''],
        ['X-002', 'TENDERED', '2025-09-03', '资金到位,恢复'],
        ['X-004', 'IN_OPERATION', '2025-10-01', ''],
      ]);
      const bus = recordingPubSub();
      const summary = await importStageChangesCsv(
        { prisma: target.prisma, pubsub: bus.bus },
        file(changes),
        IMPORT,
      );
      expect(summary).toMatchObject({ rows: 4, updated: 3, unchanged: 1, stageEvents: 3 });

      const events = await target.prisma.projectStageEvent.findMany({
        where: { sequence: { gt: head } },
        orderBy: { sequence: 'asc' },
        include: { project: true },
      });
      expect(
        events.map((e) => [
          e.project.code,
          e.kind,
          e.fromStage,
          e.toStage,
          e.occurredOn.toISOString().slice(0, 10),
          e.note,
          e.actor,
        ]),
      ).toEqual([
        ['LZ-2025-001', 'ADVANCE', 'APPROVED', 'TENDERED', '2025-08-02', '招标完成', 'test:import'],
        [
          'LZ-2025-001',
          'ADVANCE',
          'TENDERED',
          'UNDER_CONSTRUCTION',
          '2025-09-01',
          null,
          'test:import',
        ],
        ['X-002', 'RESUME', 'SUSPENDED', 'TENDERED', '2025-09-03', '资金到位,恢复', 'test:import'],
      ]);
      expect(bus.stageChanged).toEqual(
        events.map((e) => ({ sequence: e.sequence.toString(), projectId: e.projectId })),
      );

      // Again: every row is already in the log, or the project is already there.
      const before = await databaseSnapshot(target.prisma);
      const again = await importStageChangesCsv(
        { prisma: target.prisma, pubsub: bus.bus },
        file(changes),
        IMPORT,
      );
      expect(again).toMatchObject({ rows: 4, updated: 0, unchanged: 4, stageEvents: 0 });
      expect(await databaseSnapshot(target.prisma)).toEqual(before);
      expect(bus.stageChanged).toHaveLength(3);
    } finally {
      await target.close();
    }
  });

  it('should update details and move stages forward from a projects file, publishing once per kind', async () => {
    const target = await emptyTarget();
    try {
      await importProjectsCsv({ prisma: target.prisma }, file(exported), IMPORT);
      const bus = recordingPubSub();
      const edit = csv([
        ['code', 'investor', 'park', 'plannedInvestment', 'stage', 'stageOn'],
        [
          'LZ-2025-003',
          '辽中区农业农村局',
          '环保B园',
          '12,000,000.00',
          'UNDER_CONSTRUCTION',
          '2025-09-15',
        ],
        [
          'X-001',
          '辽宁某某集团有限公司',
          'china-russia-park',
          '1250000000.5',
          'UNDER_CONSTRUCTION',
          '2025-06-01',
        ],
      ]);
      const summary = await importProjectsCsv(
        { prisma: target.prisma, pubsub: bus.bus },
        file(edit),
        IMPORT,
      );
      expect(summary).toMatchObject({ updated: 1, unchanged: 1, stageEvents: 1 });
      const p = await target.prisma.project.findUniqueOrThrow({
        where: { code: 'LZ-2025-003' },
        include: { park: true },
      });
      expect(p).toMatchObject({
        investor: '辽中区农业农村局',
        stage: 'UNDER_CONSTRUCTION',
        updatedBy: 'test:import',
      });
      expect(p.park?.code).toBe('environmental-park-b');
      expect(p.plannedInvestment?.toFixed(2)).toBe('12000000.00');
      expect(bus.stageChanged).toHaveLength(1);
      expect(bus.dataChanged).toBe(1);
    } finally {
      await target.close();
    }
  });

  it.runIf(engine === 'postgres')(
    'should hold the stage log lock until the import commits: other stage writes wait',
    async () => {
      const target = await emptyTarget();
      try {
        const { project } = await createProject(
          { prisma: target.prisma },
          { code: 'W-001', name: '等待的项目', stageOccurredOn: day('2025-01-01') },
          TEST_ACTOR,
        );
        const firstBatch = deferred();
        const gate = deferred();
        async function* slowFile() {
          // csv-parse hands a record on once the next one starts: L-001 is read before the gate.
          yield 'code,name,stage\r\nL-001,锁测试一,PLANNED\r\nL-002,锁测试二,SIGNED\r\n';
          await gate.promise;
          yield 'L-003,锁测试三,LANDED\r\n';
        }
        const importing = importProjectsCsv({ prisma: target.prisma }, slowFile(), {
          ...IMPORT,
          batchSize: 1,
          onProgress: () => firstBatch.resolve(),
        });
        await firstBatch.promise;
        let moved = false;
        const mutation = changeProjectStage(
          { prisma: target.prisma },
          { projectId: project.id, toStage: 'SIGNED' },
          TEST_ACTOR,
        ).then((r) => {
          moved = true;
          return r;
        });
        // Until it has finished (nothing held it back) or is seen waiting for a lock.
        const lockAwaited = async () =>
          (
            await target.sql.query<{ wait_event: string }>(
              `SELECT wait_event FROM pg_stat_activity
               WHERE datname = current_database() AND wait_event_type = 'Lock'`,
            )
          )[0]?.wait_event;
        let awaited: string | undefined;
        await waitUntil(async () => {
          awaited = await lockAwaited();
          return moved || awaited !== undefined;
        }, 'the stage change to finish or wait for a lock');
        expect(moved).toBe(false);
        // The log's lock (an advisory lock) held by the import.
        expect(awaited).toBe('advisory');
        gate.resolve();
        await importing;
        const { event } = await mutation;
        const imported = await target.prisma.projectStageEvent.findMany({
          where: { project: { code: { in: ['L-001', 'L-002', 'L-003'] } } },
        });
        expect(imported).toHaveLength(3);
        for (const e of imported) expect(e.sequence < event.sequence).toBe(true);
      } finally {
        await target.close();
      }
    },
  );

  it('should name the line of a NUL cell, an unclosed quote or bytes that are not text, and write nothing', async () => {
    const target = await emptyTarget();
    try {
      await importProjectsCsv(
        { prisma: target.prisma },
        file(
          csv([
            ['code', 'name'],
            ['B-001', '基准项目'],
          ]),
        ),
        IMPORT,
      );
      const before = await databaseSnapshot(target.prisma);
      const bytes = (...parts: (string | number[])[]) =>
        Buffer.concat(
          parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))),
        );
      const projects: [string, Buffer, string][] = [
        [
          'a NUL in a cell',
          bytes('code,name\r\nN-1,新\u0000项目\r\n'),
          'line 2 (N-1): name must not contain the NUL character (U+0000), which the database cannot store',
        ],
        [
          'a NUL after a cell of two lines',
          bytes('code,name,notes\r\nN-1,一,"两\r\n行"\r\nN-2,二,x\u0000\r\n'),
          'line 4 (N-2): notes must not contain the NUL character',
        ],
        // A 4-line file with an unclosed quote used to be reported at line 6 (csv-parse counts a CRLF inside quotes twice).
        [
          'an unclosed quote (CRLF)',
          bytes('code,name\r\nN-1,一\r\nN-2,"二\r\nN-3,三\r\n'),
          'line 3: a quoted cell that starts on this line is never closed (a " is missing)',
        ],
        [
          'an unclosed quote (LF)',
          bytes('code,name\nN-1,一\nN-2,"二\nN-3,三\n'),
          'line 3: a quoted cell that starts on this line is never closed',
        ],
        [
          'an unclosed quote after a cell of two lines',
          bytes('code,name,notes\r\nN-1,一,"a\r\nb"\r\nN-2,二,"c\r\nN-3,三,d\r\n'),
          'line 4: a quoted cell that starts',
        ],
        [
          'text after a closing quote',
          bytes('code,name\r\nN-1,一\r\nN-2,"二"x\r\n'),
          'line 3: a quoted cell goes on after its closing quote',
        ],
        // Used to be reported at line 1, as "not valid GB18030 text".
        [
          'invalid UTF-8 on line 2',
          bytes('code,name\r\nN-1,', [0xff, 0xfe], 'A\r\nN-2,x\r\n'),
          'line 2: the file is not valid UTF-8 text; save it from Excel or WPS as "CSV UTF-8 (逗号分隔)"',
        ],
        [
          'invalid UTF-8 after Chinese, with a BOM',
          bytes(`${BOM}code,name\r\nN-1,中文\r\nN-2,`, [0xc3, 0x28], '\r\n'),
          'line 3: the file is not valid UTF-8 text',
        ],
        [
          'a file that ends inside a character',
          bytes('code,name\r\nN-1,中文\r\nN-2,', [0xe4, 0xb8]),
          'line 3: the file is not valid UTF-8 text',
        ],
        [
          'invalid GB18030 on line 3',
          bytes('code,name\r\nG-1,', [0xb2, 0xe2, 0xca, 0xd4], '\r\nG-2,', [0xff], '\r\n'),
          'line 3: the file is not valid GB18030 text',
        ],
      ];
      for (const [what, content, message] of projects) {
        const error = await importProjectsCsv(
          { prisma: target.prisma },
          Readable.from([content]),
          IMPORT,
        ).catch((e: unknown) => e);
        expect(error, what).toBeInstanceOf(ImportError);
        expect((error as Error).message, what).toContain(message);
        expect((error as Error).message, what).not.toContain('\n');
      }
      // A bad byte in a later chunk, a character cut across the chunks before it.
      const head = Buffer.from('code,name\r\nN-1,一\r\nN-2,中', 'utf8');
      const chunks = [
        head.subarray(0, head.length - 1),
        Buffer.concat([
          head.subarray(head.length - 1),
          Buffer.from('\r\nN-3,', 'utf8'),
          Buffer.from([0xff]),
        ]),
      ];
      await expect(
        importProjectsCsv({ prisma: target.prisma }, Readable.from(chunks), IMPORT),
      ).rejects.toThrow(/^line 4: the file is not valid UTF-8 text/);
      await expect(
        importStageChangesCsv(
          { prisma: target.prisma },
          file('code,toStage\r\nB-001,SIGNED\r\nB\u00002,SIGNED\r\n'),
          IMPORT,
        ),
      ).rejects.toThrow(
        'line 3: code must not contain the NUL character (U+0000), which the database cannot store',
      );
      expect(await databaseSnapshot(target.prisma)).toEqual(before);
    } finally {
      await target.close();
    }
  });

  it('should import a generated file or stop with an ImportError, never another error, writing nothing then', async () => {
    const target = await emptyTarget();
    try {
      // Each column gets what a spreadsheet would hold there, and now and then anything at all.
      const sometimesHostile = (usual: fc.Arbitrary<string>) =>
        fc.oneof({ weight: 5, arbitrary: usual }, { weight: 1, arbitrary: hostileText });
      const stages = fc.constantFrom(
        'PLANNED',
        'SIGNED',
        'UNDER_CONSTRUCTION',
        'SUSPENDED',
        'CANCELLED',
        '签约',
        '开复工',
        '',
      );
      const days = fc
        .date({
          min: new Date('2020-01-01T00:00:00Z'),
          max: new Date('2025-06-30T00:00:00Z'),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString().slice(0, 10));
      const odd = fc.constantFrom(
        '9999-12-31',
        '0100-01-01',
        '2025-02-30',
        '2025/7/31',
        '-5',
        '1e16',
        '99999999999999999999999999',
        '0.001',
        '',
      );
      const cellOf = (key: string): fc.Arbitrary<string> => {
        if (key === 'stage' || key === 'stageBeforeSuspension') return sometimesHostile(stages);
        if (key === 'stageOn' || key.startsWith('reached.'))
          return sometimesHostile(fc.oneof(days, odd, fc.constant('')));
        if (/Investment|OutputValue/.test(key))
          return sometimesHostile(
            fc.oneof(
              fc.integer({ min: 0, max: 10 ** 9 }).map((n) => `${n}.00`),
              fc.constant('250,000,000.00'),
              odd,
            ),
          );
        if (key === 'park' || key === 'sector')
          return sometimesHostile(
            fc.constantFrom(
              'china-russia-park',
              'advanced-equipment',
              '综保区',
              'no-such-code',
              '',
            ),
          );
        return sometimesHostile(
          fc.string({
            unit: fc.constantFrom('项', '目', '新', '园', 'a', '1', ' ', '"', ',', '\n', "'", '='),
            minLength: 1,
            maxLength: 10,
          }),
        );
      };
      const keys = PROJECT_COLUMNS.map((c) => c.key).filter((k) => k !== 'code' && k !== 'name');
      const generatedFile = fc
        .tuple(
          fc.shuffledSubarray(keys, { maxLength: 7 }).map((more) => ['name', ...more]),
          fc.integer({ min: 1, max: 4 }),
          fc.boolean(),
        )
        .chain(([columns, rows, bom]) =>
          fc.tuple(
            fc.constant<string[]>(['code', ...columns]),
            fc.array(
              fc.tuple(
                sometimesHostile(fc.stringMatching(/^P-[0-9]{1,4}$/)),
                fc.tuple(...columns.map(cellOf)),
              ),
              { minLength: rows, maxLength: rows },
            ),
            fc.constant(bom),
            // Now and then a byte dropped or one put in: a quote may stay open, a character may break.
            fc.oneof(
              { weight: 3, arbitrary: fc.constant(undefined) },
              {
                weight: 1,
                arbitrary: fc.tuple(
                  fc.nat(),
                  fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
                ),
              },
            ),
          ),
        )
        .map(([header, rows, bom, damage]) => {
          const text = csv([header, ...rows.map(([code, cells]) => [code, ...cells])]);
          // The text stays readable in a counterexample; the damage says which byte goes and what comes instead.
          return { text: bom ? text : text.slice(1), damage };
        });
      const bytesOf = ({
        text,
        damage,
      }: {
        text: string;
        damage?: [number, number | undefined];
      }) => {
        const content = Buffer.from(text, 'utf8');
        if (!damage) return content;
        const i = damage[0] % content.length;
        return Buffer.concat([
          content.subarray(0, i),
          Buffer.from(damage[1] === undefined ? [] : [damage[1]]),
          content.subarray(i + 1),
        ]);
      };
      await fc.assert(
        fc.asyncProperty(generatedFile, async (generated) => {
          const content = bytesOf(generated);
          const before = await databaseSnapshot(target.prisma);
          const error = await importProjectsCsv(
            { prisma: target.prisma },
            Readable.from([content]),
            IMPORT,
          ).then(
            () => null,
            (e: unknown) => e,
          );
          if (error === null) return;
          expect(error, String(error)).toBeInstanceOf(ImportError);
          expect(await databaseSnapshot(target.prisma)).toEqual(before);
        }),
        { seed: 20261213, numRuns: 80 },
      );
    } finally {
      await target.close();
    }
  });

  it('should read a file saved as GB18030 (Excel\'s "CSV" on Chinese Windows)', async () => {
    const target = await emptyTarget();
    try {
      // GB18030 bytes of a two-line file, written by hand: 项目编码=code header row uses keys.
      const gbk = Buffer.concat([
        Buffer.from('code,name,stage\r\nG-001,', 'ascii'),
        Buffer.from([0xb2, 0xe2, 0xca, 0xd4]),
        Buffer.from(',PLANNED\r\n', 'ascii'),
      ]);
      await importProjectsCsv({ prisma: target.prisma }, Readable.from([gbk]), IMPORT);
      expect(
        (await target.prisma.project.findUniqueOrThrow({ where: { code: 'G-001' } })).name,
      ).toBe('测试');
    } finally {
      await target.close();
    }
  });
});

describe('CSV import command', () => {
  const root = path.resolve(import.meta.dirname, '..');
  const dir = mkdtempSync(path.join(tmpdir(), 'lzhub-import-'));
  const dataDir = path.join(dir, 'data');
  // The embedded database of the runs below, as the hub leaves it on first start: a copy of the
  // migrated template's folder (a first start would spend seconds creating and migrating it).
  beforeAll(async () => cpSync(await pgliteTemplateFolder(), dataDir, { recursive: true }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** `npm run hub -- import-projects <file>` on that embedded database. */
  function importCommand(
    name: string,
    content: Buffer,
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const file = path.join(dir, name);
    writeFileSync(file, content);
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'src/cli.ts', 'import-projects', file],
        {
          cwd: root,
          env: {
            ...process.env,
            HUB_DATA_DIR: dataDir,
            DATABASE_URL: '',
            REDIS_URL: '',
            LOG_LEVEL: 'silent',
          },
        },
        (error, stdout, stderr) =>
          resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
      );
    });
  }

  it('should stop with one line naming the right line for a NUL cell, an unclosed quote and invalid UTF-8, writing nothing', async () => {
    const bad: [string, Buffer, string][] = [
      // Used to end in a stack trace (the database refused the NUL).
      [
        'nul.csv',
        Buffer.from('code,name\r\nN-1,新\u0000项目\r\n'),
        'line 2 (N-1): name must not contain the NUL character (U+0000), which the database cannot store',
      ],
      // Used to say line 6.
      [
        'quote.csv',
        Buffer.from('code,name\r\nN-1,一\r\nN-2,"二\r\nN-3,三\r\n'),
        'line 3: a quoted cell that starts on this line is never closed (a " is missing)',
      ],
      // Used to say line 1, and GB18030.
      [
        'utf8.csv',
        Buffer.concat([
          Buffer.from('code,name\r\nN-1,'),
          Buffer.from([0xff, 0xfe]),
          Buffer.from('\r\nN-2,x\r\n'),
        ]),
        'line 2: the file is not valid UTF-8 text; save it from Excel or WPS as "CSV UTF-8 (逗号分隔)"',
      ],
    ];
    for (const [name, content, reason] of bad) {
      const run = await importCommand(name, content);
      expect(run.code, name).toBe(1);
      expect(run.stderr, name).toBe(`import stopped, nothing written: ${reason}\n`);
      expect(run.stdout, name).toBe('');
    }
    const db = await openDatabase({ dataDir, databaseUrl: undefined });
    try {
      expect(await db.prisma.project.count()).toBe(0);
      expect(await db.prisma.projectStageEvent.count()).toBe(0);
    } finally {
      await db.close();
    }
  });
});

describe('createProjectsInTransaction', () => {
  let db: Database;

  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(async () => {
    await db?.close();
  });

  type Step = { toStage: ProjectStage; occurredOn: Date; note?: string };
  const histories: {
    code: string;
    stage: ProjectStage;
    on: string;
    note?: string;
    steps: Step[];
  }[] = [
    {
      code: 'A',
      stage: 'PLANNED',
      on: '2025-01-02',
      steps: [
        { toStage: 'SIGNED', occurredOn: day('2025-02-01') },
        { toStage: 'UNDER_CONSTRUCTION', occurredOn: day('2025-03-01'), note: '开工' },
      ],
    },
    {
      code: 'B',
      stage: 'TENDERED',
      on: '2025-01-03',
      note: '招标',
      steps: [
        { toStage: 'SUSPENDED', occurredOn: day('2025-04-01') },
        { toStage: 'TENDERED', occurredOn: day('2025-05-01') },
      ],
    },
    {
      code: 'C',
      stage: 'LANDED',
      on: '2025-01-04',
      steps: [
        { toStage: 'SIGNED', occurredOn: day('2025-02-04'), note: '更正' },
        { toStage: 'CANCELLED', occurredOn: day('2025-02-05') },
      ],
    },
  ];

  const shape = async (prefix: string) => {
    const projects = await db.prisma.project.findMany({
      where: { code: { startsWith: prefix } },
      orderBy: { code: 'asc' },
      include: { stageEvents: { orderBy: { sequence: 'asc' } } },
    });
    return projects.map((p) => {
      expect(p.stageChangedAt.getTime()).toBe(p.stageEvents.at(-1)!.recordedAt.getTime());
      return {
        code: p.code.slice(prefix.length),
        name: p.name.slice(prefix.length),
        stage: p.stage,
        stageBeforeSuspension: p.stageBeforeSuspension,
        createdBy: p.createdBy,
        events: p.stageEvents.map((e) => [
          e.kind,
          e.fromStage,
          e.toStage,
          e.occurredOn.toISOString(),
          e.occurredPrecision,
          e.note,
          e.actor,
        ]),
      };
    });
  };

  it('should write what createProject and changeProjectStage would write, step by step', async () => {
    for (const h of histories) {
      const { project } = await createProject(
        { prisma: db.prisma },
        {
          code: `one-${h.code}`,
          name: `one-${h.code}`,
          stage: h.stage,
          stageOccurredOn: day(h.on),
          stageNote: h.note,
        },
        TEST_ACTOR,
      );
      for (const step of h.steps)
        await changeProjectStage(
          { prisma: db.prisma },
          { projectId: project.id, ...step },
          TEST_ACTOR,
        );
    }
    await db.prisma.$transaction((tx) =>
      createProjectsInTransaction(
        tx,
        histories.map((h) => ({
          code: `many-${h.code}`,
          name: `many-${h.code}`,
          stage: h.stage,
          stageOccurredOn: day(h.on),
          stageNote: h.note,
          history: h.steps,
        })),
        TEST_ACTOR,
      ),
    );
    expect(await shape('many-')).toEqual(await shape('one-'));
  });

  it('should report the first bad input by index, with the typed error of the mutation', async () => {
    const attempt = (inputs: Parameters<typeof createProjectsInTransaction>[1]) =>
      db.prisma
        .$transaction((tx) => createProjectsInTransaction(tx, inputs, TEST_ACTOR))
        .catch((e: unknown) => e as BatchInputError);
    const clash = await attempt([
      { code: 'ok-1', name: 'ok-1' },
      { code: 'one-A', name: 'x' },
      { code: '', name: 'y' },
    ]);
    expect(clash).toMatchObject({
      name: 'BatchInputError',
      index: 1,
      error: { name: 'ConflictError', message: 'Another project already has the code one-A' },
    });
    const rule = await attempt([
      { code: 'ok-2', name: 'ok-2', stage: 'LANDED', history: [{ toStage: 'SIGNED' }] },
    ]);
    expect(rule).toMatchObject({
      index: 0,
      error: {
        name: 'ValidationError',
        message: 'Moving back from LANDED to SIGNED is a correction: it needs a note saying why',
      },
    });
    const dup = await attempt([
      { code: 'ok-3', name: 'same' },
      { code: 'ok-4', name: 'same' },
    ]);
    expect(dup).toMatchObject({ index: 1, error: { name: 'ConflictError' } });
    expect(await db.prisma.project.count({ where: { code: { startsWith: 'ok-' } } })).toBe(0);
  });
});

describe('CSV and OC4IDS over HTTP', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await startTestHub({ listen: false });
  });
  afterAll(async () => {
    await hub?.close();
  });

  const base = () => hub.url.replace(/\/graphql$/, '');

  it('should stream /export/projects.csv with the filters as query params', async () => {
    const res = await hub.fetch(
      `${base()}/export/projects.csv?stage=APPROVED,TENDERED&nameContains=${encodeURIComponent('预制菜')}`,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename="projects-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parse(bytes.toString('utf8'), { bom: true }) as string[][];
    expect(rows.slice(1).map((r) => [r[0], r[1], r[3]])).toEqual([
      ['LZ-2025-001', '昊明预制菜', 'APPROVED'],
    ]);
  });

  it('should let only signed-in viewers export, and anyone read /oc4ids', async () => {
    const key = 'viewer-key-0123456789abcdef';
    const closed = await startTestHub({
      db: hub.db,
      env: { HUB_ANONYMOUS_ROLE: 'none', HUB_API_KEYS: `viewer:${key}` },
      listen: false,
    });
    try {
      const at = (path: string, headers: Record<string, string> = {}) =>
        closed.fetch(closed.url.replace(/\/graphql$/, path), { headers });
      const anonymous = await at('/export/projects.csv');
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
      expect(
        (await at('/export/stage-events.csv', { authorization: 'Bearer wrong-key-0123456789' }))
          .status,
      ).toBe(401);
      const viewer = await at('/export/projects.csv', { authorization: `Bearer ${key}` });
      expect(viewer.status).toBe(200);
      // Response.text() would drop the BOM (WHATWG UTF-8 decoding): look at the bytes.
      expect(
        Buffer.from(await viewer.arrayBuffer())
          .toString('utf8')
          .startsWith(`${BOM}项目编码(code)`),
      ).toBe(true);
      expect((await at('/oc4ids')).status).toBe(200);
    } finally {
      await closed.close();
    }
  });

  it('should stream /export/stage-events.csv and answer 400 for a bad filter', async () => {
    const res = await hub.fetch(`${base()}/export/stage-events.csv?park=comprehensive-bonded-zone`);
    expect(res.status).toBe(200);
    expect(parse(await res.text(), { bom: true })).toHaveLength(1); // header only: no project in that park
    const bad = await hub.fetch(`${base()}/export/projects.csv?stage=BUILDING`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: expect.stringContaining('"BUILDING" is not a stage'),
    });
    const unknown = await hub.fetch(`${base()}/export/projects.csv?colour=red`);
    expect(unknown.status).toBe(400);
  });
});
