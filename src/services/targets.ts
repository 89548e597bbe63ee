/**
 * Progress against a target: the rate the hub computes from the linked reported figure, beside
 * the rate the report itself gave, so a dashboard can show both and flag when they disagree.
 */
import { Prisma, type ReportedFigure, type Target } from '../generated/prisma/client.ts';

/** Rates are percentages with one decimal, as the district reports them (43.3%). */
export const RATE_DECIMALS = 1;

/**
 * The smallest difference between the computed and the reported rate (both rounded to one
 * decimal) that counts as a mismatch. Both are multiples of 0.1 after rounding, so any
 * difference at all is one; the half step only keeps the comparison clear of rounding noise.
 */
export const RATE_MISMATCH_THRESHOLD = new Prisma.Decimal('0.05');

export interface ProgressTarget {
  value: Prisma.Decimal;
  unit: string;
  reportedRate: Prisma.Decimal | null;
}

export interface ProgressActual {
  value: Prisma.Decimal | null;
  unit: string;
}

export interface TargetProgressValues {
  targetValue: Prisma.Decimal;
  /** The linked figure's value; null when no figure is linked or it is textual. */
  actualValue: Prisma.Decimal | null;
  /** actual / target × 100, rounded half-up to one decimal; null when it cannot be computed. */
  computedRate: Prisma.Decimal | null;
  /** The rate the report gave, rounded to one decimal; null when it gave none. */
  reportedRate: Prisma.Decimal | null;
  /** Both rates are known and differ by at least {@link RATE_MISMATCH_THRESHOLD}. */
  rateMismatch: boolean;
}

export function roundRate(rate: Prisma.Decimal): Prisma.Decimal {
  return rate.toDecimalPlaces(RATE_DECIMALS, Prisma.Decimal.ROUND_HALF_UP);
}

/**
 * Computes a target's progress from the figure linked as its actual. No rate is computed when
 * the target is zero, the figure has no number, or the units differ (26 projects against a
 * CNY target would be a meaningless percentage).
 */
export function targetProgress(target: ProgressTarget, actual: ProgressActual | null): TargetProgressValues {
  const actualValue = actual?.value ?? null;
  const comparable = actual !== null && actualValue !== null && actual.unit === target.unit && !target.value.isZero();
  const computedRate = comparable ? roundRate(actualValue.div(target.value).times(100)) : null;
  const reportedRate = target.reportedRate === null ? null : roundRate(target.reportedRate);
  const rateMismatch =
    computedRate !== null && reportedRate !== null && computedRate.minus(reportedRate).abs().gte(RATE_MISMATCH_THRESHOLD);
  return { targetValue: target.value, actualValue, computedRate, reportedRate, rateMismatch };
}

/** A target row with its linked figure, as `targets` and the dashboard load it. */
export type TargetWithActual = Target & { actual: ReportedFigure | null };

/** What `TargetProgress` serves: the target, its figure and the rates. */
export interface TargetProgress extends TargetProgressValues {
  target: Target;
  actual: ReportedFigure | null;
  unit: string;
}

export function progressOf(target: TargetWithActual): TargetProgress {
  return { ...targetProgress(target, target.actual), target, actual: target.actual, unit: target.unit };
}
