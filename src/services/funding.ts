/**
 * Funding totals by source level and year, summed in the database.
 *
 * Reported amounts are shown as reported: a district-wide total the report gave (reportedTotal)
 * is the level's amount, and single awards recorded beside it are its breakdown, never added to
 * it. Levels are never added to one another: the report does not say whether the 4.6亿
 * provincial-and-above funds include the 2.5亿 central funds, so each carries `overlapNote` and
 * there is deliberately no grand total.
 */
import type { FundingSourceLevel, Prisma, PrismaClient } from '../generated/prisma/client.ts';

type Client = PrismaClient | Prisma.TransactionClient;

export interface FundingTotal {
  year: number;
  sourceLevel: FundingSourceLevel;
  /** The amount to show: the reported total when the report gave one, else the sum of awards. */
  amount: Prisma.Decimal;
  /** Sum of the district-wide totals as reported; null when there is none. */
  reportedAmount: Prisma.Decimal | null;
  /** Sum of single awards; null when there is none. */
  awardedAmount: Prisma.Decimal | null;
  /** Rows summed: reported totals and single awards. */
  awardCount: number;
  /** Some row of this level says its amount may include another level's: never add them up. */
  mayOverlap: boolean;
  /** Why (the note of such a row). */
  overlapNote: string | null;
}

/** Totals per (year, source level), in year order and then the enum's order. */
export async function fundingTotals(prisma: Client, filter: { year?: number | null } = {}): Promise<FundingTotal[]> {
  const groups = await prisma.fundingAward.groupBy({
    by: ['year', 'sourceLevel', 'reportedTotal'],
    where: filter.year == null ? {} : { year: filter.year },
    _sum: { amount: true },
    _count: { _all: true, overlapNote: true },
    _max: { overlapNote: true },
    orderBy: [{ year: 'asc' }, { sourceLevel: 'asc' }, { reportedTotal: 'desc' }],
  });
  // At most two groups per (year, level): reported totals and single awards.
  const totals = new Map<string, FundingTotal>();
  for (const g of groups) {
    const key = `${g.year}|${g.sourceLevel}`;
    const sum = g._sum.amount;
    const total =
      totals.get(key) ??
      ({
        year: g.year,
        sourceLevel: g.sourceLevel,
        amount: sum!,
        reportedAmount: null,
        awardedAmount: null,
        awardCount: 0,
        mayOverlap: false,
        overlapNote: null,
      } satisfies FundingTotal);
    if (g.reportedTotal) total.reportedAmount = sum;
    else total.awardedAmount = sum;
    total.amount = total.reportedAmount ?? total.awardedAmount ?? total.amount;
    total.awardCount += g._count._all;
    if (g._count.overlapNote > 0) {
      total.mayOverlap = true;
      total.overlapNote ??= g._max.overlapNote;
    }
    totals.set(key, total);
  }
  return [...totals.values()];
}
