/**
 * Kept query plans (src/db/plan-cache.ts): which values of a query become placeholders, that a
 * read is compiled once per shape and still answers with each request's own values, and the
 * bound. Every other suite runs with the cache checking each plan it hands out against Prisma's
 * own (tests/helpers/check-plans.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PLANS_KEPT } from '../src/config.ts';
import { checkPlans, keepPlans, parameterize, planCacheCounts } from '../src/db/plan-cache.ts';
import type { Prisma } from '../src/generated/prisma/client.ts';
import { describeEachEngine, openTestDatabase } from './helpers/db.ts';
import { createTestPark, createTestProjects } from './helpers/fixtures.ts';
import { useLeftovers } from './helpers/leftovers.ts';
import { startTestHub } from './helpers/server.ts';

const leftovers = useLeftovers();

const param = (name: string) => ({ $type: 'Param', value: name });

describe('parameterize', () => {
  it('should replace the integers and BigInts a where or cursor compares, in the query and its relations', () => {
    /** A page with its relations, each value as `value(placeholder name, value sent)` gives it. */
    const page = (value: (name: string, sent: unknown) => unknown) => ({
      modelName: 'Project',
      action: 'findMany',
      query: {
        arguments: {
          take: 21,
          skip: 0,
          where: {
            AND: [{ parkId: value('$hub0', 50) }, { id: { gt: value('$hub1', 2580) } }],
            OR: [{ sectorId: { not: value('$hub2', 3) } }],
          },
        },
        selection: {
          id: true,
          stageEvents: {
            arguments: {
              take: -4,
              skip: 1,
              cursor: {
                sequence: value('$hub4', { $type: 'BigInt', value: '9007199254740993' }),
              },
              where: { projectId: value('$hub3', 7) },
            },
            selection: { sequence: true },
          },
        },
      },
    });
    const query = parameterize(JSON.stringify(page((_, sent) => sent)));
    expect(query).toBeDefined();
    expect([...query!.values]).toEqual([
      ['$hub0', 50],
      ['$hub1', 2580],
      ['$hub2', 3],
      ['$hub3', 7],
      ['$hub4', '9007199254740993'],
    ]);
    expect(JSON.parse(query!.key)).toEqual(page((name) => param(name)));
  });

  it('should leave lists, strings, null, dates, decimals, fractions and huge numbers in the key', () => {
    const where = {
      stage: { in: ['SIGNED', 'LANDED'] },
      id: { in: [1, 2, 3] },
      code: 'BJ-00001',
      parkId: null,
      amount: { gt: { $type: 'Decimal', value: '12.5' } },
      stageChangedAt: { gt: { $type: 'DateTime', value: '2025-01-01T00:00:00.000Z' } },
      plannedInvestment: { gt: 1.5 },
      year: 2 ** 31,
    };
    const request = JSON.stringify({
      modelName: 'Project',
      action: 'findFirst',
      query: { arguments: { where }, selection: { id: true } },
    });
    const query = parameterize(request);
    expect(query!.values.size).toBe(0);
    expect(query!.key).toBe(request);
  });

  it('should leave writes to Prisma, placeholders or not', () => {
    for (const action of ['createOne', 'updateOne', 'updateMany', 'deleteMany', 'upsertOne']) {
      const request = JSON.stringify({
        modelName: 'Project',
        action,
        query: { arguments: { where: { id: 1 }, data: { parkId: 2 } }, selection: { id: true } },
      });
      expect(parameterize(request)).toBeUndefined();
    }
  });
});

describeEachEngine('kept plans', (engine) => {
  afterEach(() => keepPlans(PLANS_KEPT));

  async function seeded() {
    const db = leftovers.push(await openTestDatabase(engine));
    const park = await createTestPark(db.prisma, 'plan-park');
    const [a, b] = await createTestProjects(db.prisma, 2, { prefix: 'PA', parkId: park.id });
    const [c] = await createTestProjects(db.prisma, 1, { prefix: 'PB', parkId: null });
    return { db, park, a: a!, b: b!, c: c! };
  }

  it('should compile a read once per shape and answer each request with its own values', async () => {
    const { db, park, a, b } = await seeded();
    const read = (id: number) =>
      db.prisma.project.findUnique({
        where: { id },
        select: {
          id: true,
          code: true,
          park: { select: { id: true } },
          stageEvents: { select: { toStage: true }, take: 3, orderBy: { sequence: 'desc' } },
        },
      });
    await read(a.id); // the shape is compiled here, or was by an earlier test
    const before = planCacheCounts();
    const first = await read(a.id);
    const second = await read(b.id);
    const missing = await read(2 ** 31 - 2);
    const after = planCacheCounts();
    expect(after.compiled - before.compiled).toBe(0);
    expect(after.reused - before.reused).toBe(3);
    expect(first).toMatchObject({ id: a.id, code: a.code, park: { id: park.id } });
    expect(second).toMatchObject({ id: b.id, code: b.code, park: { id: park.id } });
    expect(first!.stageEvents).toEqual([{ toStage: 'PLANNED' }]);
    expect(missing).toBeNull();
  });

  it("should leave Prisma's own placeholders to it: a page after a cursor, relations read apart", async () => {
    const { db, park, a, b } = await seeded();
    // With a cursor, Prisma reads the relations by a second query that takes the page's rows'
    // keys (`@parent$parkId`); only the query's own integers are the cache's to fill.
    const page = (after: number, parkId: number) =>
      db.prisma.project.findMany({
        cursor: { id: after },
        skip: 1,
        take: 2,
        where: { parkId, code: { startsWith: 'PA' } },
        orderBy: { id: 'asc' },
        select: { id: true, park: { select: { id: true, code: true } } },
      });
    expect(await page(a.id, park.id)).toEqual([
      { id: b.id, park: { id: park.id, code: 'plan-park' } },
    ]);
    const before = planCacheCounts();
    expect(await page(b.id, park.id)).toEqual([]);
    expect(await page(a.id, park.id + 1000)).toEqual([]);
    // The cursor is a placeholder too: every page of the list has the first one's plan.
    expect(planCacheCounts().reused - before.reused).toBe(2);
  });

  it("should refuse what Prisma refuses, with Prisma's error, even after a valid query of that shape", async () => {
    const { db, a } = await seeded();
    // Prisma's compiler checks values against columns; it does not check a placeholder.
    const wrong = [
      { code: 5 },
      { id: { in: 2 } },
      { stage: 5 },
    ] as unknown as Prisma.ProjectWhereInput[];
    const refusals = async () => {
      const messages: string[] = [];
      for (const where of wrong) {
        await db.prisma.project.findFirst({ where: { id: a.id }, select: { id: true } });
        const error = await db.prisma.project.findFirst({ where, select: { id: true } }).then(
          () => null,
          (e: Error) => e,
        );
        expect(error, JSON.stringify(where)).toBeInstanceOf(Error);
        messages.push(`${error!.name}: ${error!.message}`);
      }
      return messages;
    };
    // As in production: the check of every plan (tests/helpers/check-plans.ts) would refuse too.
    checkPlans(false);
    const kept = await refusals().finally(() => checkPlans(true));
    keepPlans(0);
    expect(kept).toEqual(await refusals());
    keepPlans(PLANS_KEPT);
    // The compiler still works.
    const row = await db.prisma.project.findUnique({ where: { id: a.id }, select: { id: true } });
    expect(row).toEqual({ id: a.id });
  });

  it('should keep a comparison with null apart from one with a value', async () => {
    const { db, park, a, b, c } = await seeded();
    const inPark = await db.prisma.project.findMany({
      where: { parkId: park.id, code: { startsWith: 'P' } },
      select: { id: true },
      orderBy: { id: 'asc' },
    });
    const inNone = await db.prisma.project.findMany({
      where: { parkId: null, code: { startsWith: 'P' } },
      select: { id: true },
      orderBy: { id: 'asc' },
    });
    expect(inPark.map((p) => p.id)).toEqual([a.id, b.id]);
    expect(inNone.map((p) => p.id)).toEqual([c.id]);
  });

  it('should keep at most its bound, dropping the least recently used plan first', async () => {
    const { db, a } = await seeded();
    keepPlans(2);
    const shapes = {
      x: () =>
        db.prisma.project.findUnique({ where: { id: a.id }, select: { id: true, code: true } }),
      y: () =>
        db.prisma.project.findUnique({ where: { id: a.id }, select: { id: true, name: true } }),
      z: () =>
        db.prisma.project.findUnique({ where: { id: a.id }, select: { id: true, stage: true } }),
    };
    // Fill the two places with x and y, whatever earlier tests left.
    await shapes.x();
    await shapes.y();
    const before = planCacheCounts();
    await shapes.x(); // kept; y is now the least recently used
    await shapes.z(); // compiled, y dropped
    await shapes.x(); // kept
    await shapes.y(); // compiled again
    const after = planCacheCounts();
    expect(after.compiled - before.compiled).toBe(2);
    expect(after.reused - before.reused).toBe(2);
  });

  it('should keep no plan for a query over 16 kB, such as one with a long search text', async () => {
    const { db, a } = await seeded();
    const before = planCacheCounts();
    const long = 'x'.repeat(17 * 1024);
    for (const code of [long, `${long}y`]) {
      const row = await db.prisma.project.findFirst({
        where: { id: a.id, code },
        select: { id: true },
      });
      expect(row).toBeNull();
    }
    expect(planCacheCounts()).toEqual(before);
  });

  it('should keep no more characters of keys and plans than its budget', async () => {
    const { db, a } = await seeded();
    keepPlans(PLANS_KEPT, 1);
    const before = planCacheCounts();
    for (let i = 0; i < 3; i++) {
      const row = await db.prisma.project.findUnique({
        where: { id: a.id },
        select: { id: true, nameEn: true },
      });
      expect(row!.id).toBe(a.id);
    }
    const after = planCacheCounts();
    expect(after.compiled - before.compiled).toBe(3);
    expect(after.reused).toBe(before.reused);
  });

  it('should compile every query as Prisma does when set to keep none, and forget what it kept', async () => {
    const { db, a, b } = await seeded();
    const read = (id: number) =>
      db.prisma.project.findUnique({
        where: { id },
        select: { id: true, plannedInvestment: true },
      });
    await read(a.id);
    keepPlans(0);
    const before = planCacheCounts();
    expect((await read(a.id))!.id).toBe(a.id);
    expect((await read(b.id))!.id).toBe(b.id);
    expect(planCacheCounts()).toEqual(before);
    keepPlans(PLANS_KEPT);
    await read(a.id);
    expect(planCacheCounts().compiled - before.compiled).toBe(1);
  });
});

describe('kept plans through GraphQL', () => {
  it('should answer node(id) and filtered pages with each request its own rows', async () => {
    const hub = leftovers.push(await startTestHub({ listen: false, env: { HUB_CACHE_MS: '0' } }));
    const park = await createTestPark(hub.db.prisma, 'plan-gql-park');
    const projects = await createTestProjects(hub.db.prisma, 3, { prefix: 'PG', parkId: park.id });
    for (const p of projects) {
      const res = await hub.gql<{ node: { id: string; code: string } }>(
        'query ($id: ID!) { node(id: $id) { id ... on Project { code } } }',
        { id: p.globalId },
      );
      expect(res.errors).toBeUndefined();
      expect(res.data!.node).toEqual({ id: p.globalId, code: p.code });
    }
    const page = async (after: string | null) =>
      hub.gql<{ projects: { edges: { cursor: string; node: { code: string } }[] } }>(
        `query ($after: String, $park: ID!) {
          projects(first: 1, after: $after, filter: { parkId: $park }) {
            edges { cursor node { code } }
          }
        }`,
        { after, park: park.globalId },
      );
    const codes: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 4; i++) {
      const res = await page(after);
      expect(res.errors).toBeUndefined();
      const edge = res.data!.projects.edges[0];
      if (!edge) break;
      codes.push(edge.node.code);
      after = edge.cursor;
    }
    expect(codes).toEqual(projects.map((p) => p.code));
  });
});
