/**
 * The dashboard cache (src/realtime/dashboard-cache.ts): a year's dashboard is computed once and
 * served until a change is heard. A write through the hub shows in the writer's next read; a
 * write past the hub shows after the cache's maximum age; a second server sharing the bus drops
 * its copy too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StageEventKind } from '../src/generated/prisma/client.ts';
import { currentYear } from '../src/services/dashboard.ts';
import { heldBusPair } from './helpers/bus.ts';
import { testClock } from './helpers/clock.ts';
import { createTestProjects } from './helpers/fixtures.ts';
import { advance } from './helpers/operations.ts';
import { openLoggedDatabase, type QueryLog } from './helpers/query-log.ts';
import { startTestHub, type TestHub } from './helpers/server.ts';

/** Long enough never to pass by itself during the suite: tests move `clock` past it. */
const MAX_AGE_MS = 60_000;
const clock = testClock();

const DASHBOARD = /* GraphQL */ `
  query D($year: Int) {
    dashboard(year: $year) {
      year
      generatedAt
      projects { count }
      stageFunnel { stage current { count } reached { count } }
      recentStageChanges { sequence }
    }
  }`;

describe('dashboard cache', () => {
  let db: Awaited<ReturnType<typeof openLoggedDatabase>>['db'];
  let log: QueryLog;
  let hub: TestHub;
  let other: TestHub;
  // Two servers' buses, as on one Redis: each server hears its own writes at once, the other
  // only when the test releases what is held (a slow bus).
  const {
    buses: [bus, otherBus],
    release,
  } = heldBusPair();

  beforeAll(async () => {
    ({ db, log } = await openLoggedDatabase('pglite', { seeded: true }));
    hub = await startTestHub({
      db,
      pubsub: bus,
      env: { HUB_CACHE_MS: String(MAX_AGE_MS) },
      app: { now: clock.now },
      listen: false,
    });
    // A second server on the same database and bus, keeping dashboards for up to ten minutes.
    other = await startTestHub({
      db,
      pubsub: otherBus,
      env: { HUB_CACHE_MS: '600000' },
      listen: false,
    });
  });
  afterAll(async () => {
    await other?.close();
    await hub?.close();
    await Promise.all([bus.close(), otherBus.close()]);
    await db?.close();
  });

  // The current year: its recent changes include one made today.
  const read = async (target: TestHub, year = currentYear()) => {
    const res = await target.gql(DASHBOARD, { year });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return res.data!.dashboard as {
      generatedAt: string;
      projects: { count: number };
      stageFunnel: { stage: string; current: { count: number } }[];
      recentStageChanges: { sequence: string }[];
    };
  };
  const current = (d: Awaited<ReturnType<typeof read>>, stage: string) =>
    d.stageFunnel.find((s) => s.stage === stage)!.current.count;

  it('should compute a year once and serve it again without aggregating', async () => {
    const first = await log.measure(() => read(hub, 2024));
    const again = await log.measure(() => read(hub, 2024));
    // Aggregating: grouped sums, and reads of the tallies the database keeps.
    const aggregating = (statements: string[]) =>
      statements.filter((s) => /GROUP BY|"Project(Stage|Park)Tally"/i.test(s));
    expect(aggregating(first.statements).length).toBeGreaterThanOrEqual(3);
    expect(aggregating(again.statements)).toEqual([]);
    expect(again.statements.length).toBeLessThan(first.statements.length);
    expect(again.result).toEqual(first.result);
  });

  it('should show a stage change to the writer at once, and to another server through the bus', async () => {
    const [p] = await createTestProjects(db.prisma, 1, { prefix: 'CACHE' });
    const before = await read(hub);
    const beforeOther = await read(other);
    const sequence = await advance(hub, p!.globalId, 'SIGNED');
    const after = await read(hub);
    expect(after.recentStageChanges[0]!.sequence).toBe(sequence);
    expect(current(after, 'SIGNED')).toBe(current(before, 'SIGNED') + 1);
    expect(after.generatedAt > before.generatedAt).toBe(true);
    // The other server keeps its copy (for up to ten minutes) until the bus delivers the change.
    expect(await read(other)).toEqual(beforeOther);
    release();
    const afterOther = await read(other);
    expect(afterOther.recentStageChanges[0]!.sequence).toBe(sequence);
    expect(current(afterOther, 'SIGNED')).toBe(current(beforeOther, 'SIGNED') + 1);
  });

  it('should show a write made past the hub once the maximum age has passed', async () => {
    const before = await read(hub);
    // Straight into the database: no notification on the bus.
    const project = await db.prisma.project.create({
      data: { code: 'CACHE-SQL-1', name: '缓存测试', stage: 'PLANNED' },
    });
    await db.prisma.projectStageEvent.create({
      data: {
        projectId: project.id,
        kind: StageEventKind.INITIAL,
        toStage: 'PLANNED',
        occurredOn: new Date('2025-05-01'),
        actor: 'test',
      },
    });
    expect((await read(hub)).projects.count).toBe(before.projects.count);
    clock.advance(MAX_AGE_MS + 1);
    expect((await read(hub)).projects.count).toBe(before.projects.count + 1);
  });
});
