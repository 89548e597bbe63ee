import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/index.ts';
import { applyMigrations, migrationsDir, readMigrations } from '../src/db/migrate.ts';
import {
  createPostgresDatabase,
  describeEachEngine,
  openTestDatabase,
  postgresTestUrl,
} from './helpers/db.ts';
import { useLeftovers } from './helpers/leftovers.ts';

const run = promisify(execFile);
const leftovers = useLeftovers();

describeEachEngine('migrations', (engine) => {
  it("should create every table from an empty database and record each migration with Prisma's checksum", async () => {
    const db = await openTestDatabase(engine, { empty: true });
    leftovers.push(() => db.close());
    const migrations = await readMigrations();
    expect(db.applied).toEqual(migrations.map((m) => m.name));
    const rows = await db.sql.query<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
    }>(
      'SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" ORDER BY migration_name',
    );
    expect(rows.map((r) => [r.migration_name, r.checksum])).toEqual(
      migrations.map((m) => [m.name, m.checksum]),
    );
    expect(rows.every((r) => r.finished_at !== null)).toBe(true);
    // The tables answer through Prisma.
    expect(await db.prisma.project.count()).toBe(0);
    expect(await db.prisma.projectStageEvent.count()).toBe(0);
  });

  it('should apply nothing the second time', async () => {
    const db = await openTestDatabase(engine);
    leftovers.push(() => db.close());
    expect(await applyMigrations(db.sql)).toEqual([]);
  });

  it('should refuse to start when an applied migration was edited', async () => {
    const db = await openTestDatabase(engine);
    leftovers.push(() => db.close());
    const dir = mkdtempSync(path.join(tmpdir(), 'lzhub-migrations-'));
    leftovers.push(async () => rmSync(dir, { recursive: true, force: true }));
    cpSync(migrationsDir, dir, { recursive: true });
    const [first] = await readMigrations(dir);
    appendFileSync(path.join(dir, first!.name, 'migration.sql'), '\n-- edited\n');
    await expect(applyMigrations(db.sql, dir)).rejects.toThrow(/changed after it was applied/);
  });

  it('should keep the stage-event log append-only', async () => {
    const db = await openTestDatabase(engine);
    leftovers.push(() => db.close());
    const project = await db.prisma.project.create({
      data: { code: 'T-1', name: '测试项目', stage: 'PLANNED' },
    });
    const event = await db.prisma.projectStageEvent.create({
      data: {
        projectId: project.id,
        kind: 'INITIAL',
        toStage: 'PLANNED',
        occurredOn: new Date('2025-01-01'),
        actor: 'test',
      },
    });
    await expect(
      db.prisma.projectStageEvent.update({ where: { id: event.id }, data: { note: 'x' } }),
    ).rejects.toThrow(/append-only/);
    await expect(db.prisma.projectStageEvent.delete({ where: { id: event.id } })).rejects.toThrow(
      /append-only/,
    );
    expect(await db.prisma.projectStageEvent.count()).toBe(1);
  });
});

describe('embedded database folder', () => {
  it('should be created on first open and reopened without re-applying migrations', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lzhub-data-'));
    leftovers.push(async () => rmSync(dir, { recursive: true, force: true }));
    const dataDir = path.join(dir, 'nested', 'data');
    const first = await openDatabase({ dataDir, databaseUrl: undefined });
    expect(first.applied.length).toBeGreaterThan(0);
    await first.prisma.project.create({ data: { code: 'T-2', name: '持久化', stage: 'PLANNED' } });
    await first.close();
    const second = await openDatabase({ dataDir, databaseUrl: undefined });
    expect(second.applied).toEqual([]);
    expect(await second.prisma.project.count()).toBe(1);
    await second.close();
  });
});

(postgresTestUrl ? describe : describe.skip)('Prisma CLI agreement [postgres]', () => {
  it('should report the hub-migrated database as up to date with `prisma migrate status`', async () => {
    const created = await createPostgresDatabase();
    leftovers.push(() => created.drop());
    const db = await openDatabase({ dataDir: '', databaseUrl: created.url });
    await db.close();
    const { stdout } = await run('npx', ['prisma', 'migrate', 'status'], {
      env: { ...process.env, DATABASE_URL: created.url },
      timeout: 90_000,
    });
    expect(stdout).toMatch(/Database schema is up to date/);
  }, 120_000);
});
