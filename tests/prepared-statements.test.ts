/**
 * Prepared statements on PostgreSQL (src/db/prepared-statements.ts): what each pooled connection
 * keeps parsed on the server, read back from `pg_prepared_statements` of that connection (the
 * pools here hold one).
 */
import { describe, expect, it } from 'vitest';
import type { Database } from '../src/db/index.ts';
import { openTestDatabase, postgresTestUrl } from './helpers/db.ts';
import { useLeftovers } from './helpers/leftovers.ts';

const leftovers = useLeftovers();

async function open(preparedStatements?: number): Promise<Database> {
  return leftovers.push(await openTestDatabase('postgres', { poolSize: 1, preparedStatements }));
}

/** The statements the (only) connection holds prepared, as PostgreSQL lists them. */
async function prepared(db: Database): Promise<string[]> {
  const rows = await db.prisma.$queryRaw<{ statement: string }[]>`
    SELECT statement FROM pg_prepared_statements ORDER BY prepare_time`;
  return rows.map((r) => r.statement);
}

/** A parameterised statement of its own text for each `k`, answering `value + k`. */
async function plus(db: Database, k: number, value: number): Promise<number> {
  const text = `SELECT $1::int + ${k} AS n`;
  const rows = await db.prisma.$queryRawUnsafe<{ n: number }[]>(text, value);
  return rows[0]!.n;
}

if (!postgresTestUrl) console.warn('TEST_DATABASE_URL is unset: prepared-statement tests skipped');

(postgresTestUrl ? describe : describe.skip)('prepared statements [postgres]', () => {
  it("should parse a statement once per connection and run it again by name, Prisma's reads too", async () => {
    const db = await open();
    expect(await plus(db, 1, 10)).toBe(11);
    expect(await plus(db, 1, 20)).toBe(21);
    await db.prisma.park.findMany({ where: { id: { gt: 0 } }, select: { id: true } });
    await db.prisma.park.findMany({ where: { id: { gt: 5 } }, select: { id: true } });
    const statements = await prepared(db);
    expect(statements.filter((s) => s === 'SELECT $1::int + 1 AS n')).toHaveLength(1);
    expect(statements.filter((s) => s.includes('"public"."Park"'))).toHaveLength(1);
  });

  it('should keep at most its bound, dropping the least recently used, and run a dropped one again', async () => {
    const db = await open(3);
    await plus(db, 1, 0);
    await plus(db, 2, 0);
    await plus(db, 1, 0); // 1 is now the most recently used: 2 goes first
    await plus(db, 3, 0);
    // The listing's own statement is the third one kept, and 2 made room for it.
    const kept = await prepared(db);
    expect(kept).toHaveLength(3);
    expect(kept).toEqual(
      expect.arrayContaining(['SELECT $1::int + 1 AS n', 'SELECT $1::int + 3 AS n']),
    );
    expect(kept.some((s) => s.includes('pg_prepared_statements'))).toBe(true);
    // Dropped ones are parsed again under a new name, with the right answer.
    expect(await plus(db, 2, 40)).toBe(42);
    expect(await plus(db, 1, 40)).toBe(41);
    expect((await prepared(db)).length).toBeLessThanOrEqual(3);
  });

  it('should keep its bound inside an interactive transaction', async () => {
    const db = await open(2);
    const sums = await db.prisma.$transaction(async (tx) => {
      const out: number[] = [];
      for (let k = 1; k <= 6; k++) {
        const rows = await tx.$queryRawUnsafe<{ n: number }[]>(`SELECT $1::int + ${k} AS n`, 100);
        out.push(rows[0]!.n);
      }
      return out;
    });
    expect(sums).toEqual([101, 102, 103, 104, 105, 106]);
    // What is left: the transaction's last statements (its COMMIT is one) and the listing.
    const kept = await prepared(db);
    expect(kept).toHaveLength(2);
    expect(kept.filter((s) => s.startsWith('SELECT $1::int'))).toEqual([]);
  });

  it('should prepare nothing when set to 0 (a pooler that does not keep them)', async () => {
    const db = await open(0);
    expect(await plus(db, 1, 1)).toBe(2);
    await db.prisma.park.findMany({ where: { id: { gt: 0 } }, select: { id: true } });
    expect(await prepared(db)).toEqual([]);
  });
});
