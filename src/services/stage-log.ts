/**
 * The district-wide stage-event log: how a write appends to it so that `sequence` is
 * commit-ordered, where it ends, and the district's calendar day.
 *
 * Commit order: `sequence` comes from a PostgreSQL sequence, which hands out numbers at insert
 * time, not at commit time. Two concurrent transactions could take 41 and 42 and commit 42
 * first; a reader of the log would then see 42, move its position past 41, and miss it for
 * good. So every transaction that appends takes one transaction-scoped advisory lock before its
 * insert and holds it until it commits: numbers are handed out in lock order, commits happen in
 * lock order, and PostgreSQL releases the lock only after the commit is visible. A reader that
 * sees sequence N therefore already sees every event below N that will ever exist (rolled-back
 * transactions leave holes, which are never filled). On PGlite there is one connection and
 * transactions are serial anyway; the lock is harmless there.
 */
import type { Prisma, PrismaClient } from '../generated/prisma/client.ts';
import { MAX_SEQUENCE } from './errors.ts';

/**
 * Advisory lock key of the stage-event log. The migrations lock on 72707369 and the seed on
 * 72707370. Every writer of ProjectStageEvent rows must take it first (see `lockStageLog`).
 */
export const STAGE_LOG_LOCK_KEY = 72707371;

/** Takes the log's lock for the rest of the transaction: call before inserting any event. */
export async function lockStageLog(tx: Prisma.TransactionClient): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${STAGE_LOG_LOCK_KEY}::bigint)`;
}

/** Interactive transaction limits for log writes: waiting for the lock can take a while under load. */
export const LOG_TRANSACTION_OPTIONS = { maxWait: 20_000, timeout: 30_000 } as const;

/** The district's UTC offset: China Standard Time has no daylight saving. */
const DISTRICT_UTC_OFFSET_MS = 8 * 3_600_000;

/** Today's calendar date in Liaozhong (Asia/Shanghai), as a UTC-midnight Date like the Date scalar's. */
export function districtToday(now: Date = new Date()): Date {
  const local = new Date(now.getTime() + DISTRICT_UTC_OFFSET_MS);
  return new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate()));
}

/**
 * A log position as clients write it (`after: "120"`): decimal digits, 0 (the start) to the
 * largest `bigint`; null for anything else, which names no position.
 */
export function readSequence(value: string): bigint | null {
  if (!/^\d{1,19}$/.test(value)) return null;
  const sequence = BigInt(value);
  return sequence <= MAX_SEQUENCE ? sequence : null;
}

/** The log's head: the highest committed sequence, 0 for an empty log (one index entry read). */
export async function logHead(prisma: Pick<PrismaClient, 'projectStageEvent'>): Promise<bigint> {
  const last = await prisma.projectStageEvent.findFirst({
    orderBy: { sequence: 'desc' },
    select: { sequence: true },
  });
  return last?.sequence ?? 0n;
}
