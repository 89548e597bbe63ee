/**
 * Funding totals by source level and year, summed in the database.
 *
 * Reported amounts are shown as reported: a district-wide total the report gave (reportedTotal)
 * is the level's amount, and single awards recorded beside it are its breakdown, never added to
 * it. Levels are never added to one another: the report does not say whether the 4.6亿
 * provincial-and-above funds include the 2.5亿 central funds, so each carries `overlapNote` and
 * there is deliberately no grand total.
 *
 * Editors add single awards (`recordFundingAward`); district-wide totals come with the report's
 * data (the seed), so an editor's award is part of its level's breakdown, never a second total.
 */

import { randomBytes } from 'node:crypto';
import { encodeGlobalID } from '@pothos/plugin-relay';
import type {
  FundingAward,
  FundingInstrument,
  FundingSourceLevel,
  Prisma,
  PrismaClient,
} from '../generated/prisma/client.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import {
  conflictOnDuplicate,
  InputChecks,
  NAME_MAX_LENGTH,
  TEXT_MAX_LENGTH,
  type WriteDeps,
} from './input-checks.ts';

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
export async function fundingTotals(
  prisma: Client,
  filter: { year?: number | null } = {},
): Promise<FundingTotal[]> {
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

// ---------------------------------------------------------------------------------------------
// Writes

/** A single award as an editor records it. Strings are trimmed; blank optional ones mean none. */
export interface RecordFundingAwardInput {
  /** Stable unique code (CODE_PATTERN); generated as `lz-<year>-award-<12 hex>` when absent. */
  code?: string | null;
  sourceLevel: FundingSourceLevel;
  /** @default 'UNSPECIFIED' */
  instrument?: FundingInstrument | null;
  programme?: string | null;
  programmeEn?: string | null;
  /** CNY yuan: more than 0, at most 1e16, at most 2 decimals. */
  amount: Prisma.Decimal;
  /** The year the award counts for, YEAR_MIN to YEAR_MAX (./input-checks.ts) (it may differ from `awardedOn`'s year). */
  year: number;
  /** The day it was awarded: a real date, not in the future (district time). */
  awardedOn: Date;
  /** The project funded (a row id), when the award is for one. */
  projectId?: number | null;
  note?: string | null;
}

/** A fresh code for an award recorded without one. */
export function generateAwardCode(year: number): string {
  return `lz-${year}-award-${randomBytes(6).toString('hex')}`;
}

/**
 * Records a single funding award (never a reported total): checks everything first, writes in
 * one transaction, then publishes `dataChanged { domain: 'funding', year }` so the year's
 * dashboards recompute their funding totals. Throws ValidationError, NotFoundError (unknown
 * project) or ConflictError (code taken), having written nothing.
 */
export async function recordFundingAward(
  deps: WriteDeps,
  input: RecordFundingAwardInput,
  actor: string,
): Promise<FundingAward> {
  const check = new InputChecks(deps.now?.());
  const givenCode = check.code('code', input.code);
  const data = {
    sourceLevel: input.sourceLevel,
    instrument: input.instrument ?? 'UNSPECIFIED',
    programme: check.text('programme', input.programme, NAME_MAX_LENGTH) ?? null,
    programmeEn: check.text('programmeEn', input.programmeEn, NAME_MAX_LENGTH) ?? null,
    amount: check.amount('amount', input.amount, { positive: true }),
    year: check.year('year', input.year),
    awardedOn: check.date('awardedOn', input.awardedOn, { notFuture: true }),
    note: check.text('note', input.note, TEXT_MAX_LENGTH) ?? null,
  };
  if (data.amount == null) check.problem('amount', 'amount is required');
  if (data.year == null) check.problem('year', 'year is required');
  if (data.awardedOn == null) check.problem('awardedOn', 'awardedOn is required');
  check.throwIfInvalid();
  const year = data.year!;
  const code = givenCode ?? generateAwardCode(year);
  const projectId = input.projectId ?? null;

  let award: FundingAward;
  try {
    award = await deps.prisma.$transaction(async (tx) => {
      if (
        projectId !== null &&
        !(await tx.project.findUnique({ where: { id: projectId }, select: { id: true } }))
      ) {
        throw NotFoundError.node('Project', projectId);
      }
      if (await tx.fundingAward.findUnique({ where: { code }, select: { id: true } })) {
        throw new ConflictError(`Another funding award already has the code ${code}`);
      }
      return tx.fundingAward.create({
        data: {
          ...data,
          amount: data.amount!,
          year,
          awardedOn: data.awardedOn!,
          code,
          projectId,
          reportedTotal: false,
          recordedBy: actor,
        },
      });
    });
  } catch (error) {
    throw conflictOnDuplicate(error, `Another funding award already has the code ${code}`);
  }
  const nodes = [encodeGlobalID('FundingAward', award.id)];
  if (award.projectId !== null) nodes.push(encodeGlobalID('Project', award.projectId));
  deps.pubsub?.publish('dataChanged', { domain: 'funding', year: award.year, nodes });
  return award;
}
