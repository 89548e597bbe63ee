/**
 * Progress against a target: the rate the hub computes from the linked reported figure, beside
 * the rate the report itself gave, so a dashboard can show both and flag when they disagree.
 * And the admin's write that sets a target (`setTarget`).
 */
import { encodeGlobalID } from '@pothos/plugin-relay';
import { Prisma, type ReportedFigure, type Target } from '../generated/prisma/client.ts';
import { NotFoundError, ValidationError } from './errors.ts';
import {
  conflictOnDuplicate,
  InputChecks,
  NAME_MAX_LENGTH,
  SHORT_TEXT_MAX_LENGTH,
  TEXT_MAX_LENGTH,
  type WriteDeps,
} from './input-checks.ts';

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
export function targetProgress(
  target: ProgressTarget,
  actual: ProgressActual | null,
): TargetProgressValues {
  const actualValue = actual?.value ?? null;
  const comparable =
    actual !== null &&
    actualValue !== null &&
    actual.unit === target.unit &&
    !target.value.isZero();
  const computedRate = comparable ? roundRate(actualValue.div(target.value).times(100)) : null;
  const reportedRate = target.reportedRate === null ? null : roundRate(target.reportedRate);
  const rateMismatch =
    computedRate !== null &&
    reportedRate !== null &&
    computedRate.minus(reportedRate).abs().gte(RATE_MISMATCH_THRESHOLD);
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
  return {
    ...targetProgress(target, target.actual),
    target,
    actual: target.actual,
    unit: target.unit,
  };
}

// ---------------------------------------------------------------------------------------------
// Writes

/** Largest reported completion rate, percent (NUMERIC(7,2); 1000% is far past any target). */
export const REPORTED_RATE_MAX = new Prisma.Decimal('1000');

/**
 * A target to create or update, by its code. On update an absent (undefined) field keeps its
 * value and null clears it; `label`, `labelEn`, `year`, `value` and `unit` cannot be cleared and
 * are required to create. Strings are trimmed.
 */
export interface SetTargetInput {
  /** Stable unique code (CODE_PATTERN), e.g. `lz-2025-target-completions`: the key. */
  code: string;
  label?: string | null;
  labelEn?: string | null;
  /** YEAR_MIN to YEAR_MAX (./input-checks.ts). */
  year?: number | null;
  /** Not negative, below 1e16, at most 4 decimals. */
  value?: Prisma.Decimal | null;
  unit?: string | null;
  dueBy?: Date | null;
  /**
   * The reported figure that measures progress, by code or by row id (at most one of the two;
   * null unlinks). It must have a number and the target's unit, or no rate could be computed.
   */
  actualFigureCode?: string | null;
  actualFigureId?: number | null;
  /** The completion rate the report gave, percent: 0 to 1000, at most 2 decimals. */
  reportedRate?: Prisma.Decimal | null;
  note?: string | null;
}

export interface SetTargetResult {
  target: Target;
  /** A new target (false: an existing one was updated, or left as it was). */
  created: boolean;
}

/** Fields that cannot be cleared and are required to create a target. */
const REQUIRED_TO_CREATE = ['label', 'labelEn', 'year', 'value', 'unit'] as const;

/**
 * Creates the target `code` or updates it: checks everything first, writes in one transaction
 * (`recordedBy`/`recordedAt` say who set it last, and when), then publishes
 * `dataChanged { domain: 'target', year }` for its year (and its former year, when moved).
 * Throws ValidationError, NotFoundError (unknown figure) or ConflictError (created concurrently
 * by someone else), having written nothing.
 */
export async function setTarget(
  deps: WriteDeps,
  input: SetTargetInput,
  actor: string,
): Promise<SetTargetResult> {
  const now = deps.now?.() ?? new Date();
  const check = new InputChecks(now);
  const code = check.code('code', input.code ?? null, true) ?? '';
  // Present fields only: undefined keeps (on update), so it must stay undefined here.
  const fields = {
    label: check.text('label', input.label, NAME_MAX_LENGTH, true),
    labelEn: check.text('labelEn', input.labelEn, NAME_MAX_LENGTH, true),
    year: check.year('year', input.year),
    value: check.measure('value', input.value),
    unit: check.text('unit', input.unit, SHORT_TEXT_MAX_LENGTH, true),
    dueBy: check.date('dueBy', input.dueBy),
    reportedRate: check.amount('reportedRate', input.reportedRate, {
      max: REPORTED_RATE_MAX,
      unitHint: 'rates are percent with 2 decimals',
    }),
    note: check.text('note', input.note, TEXT_MAX_LENGTH),
  };
  if (input.year === null) check.problem('year', 'year cannot be cleared');
  if (input.value === null) check.problem('value', 'value cannot be cleared');
  const actualCode = check.code('actualFigureCode', input.actualFigureCode);
  if (input.actualFigureCode !== undefined && input.actualFigureId !== undefined) {
    check.problem('actualFigureId', 'Give actualFigureCode or actualFigureId, not both');
  }
  check.throwIfInvalid();
  const linking = input.actualFigureCode !== undefined || input.actualFigureId !== undefined;

  let result: SetTargetResult & { changed: boolean; formerYear: number | null };
  try {
    result = await deps.prisma.$transaction(async (tx) => {
      const existing = await tx.target.findUnique({ where: { code }, include: { actual: true } });
      if (!existing) {
        const missing = REQUIRED_TO_CREATE.filter((field) => fields[field] == null);
        if (missing.length) {
          throw ValidationError.of(
            missing.map((field) => ({
              path: ['input', field],
              message: `${field} is required to create target ${code}`,
            })),
          )!;
        }
      }
      let actual = existing?.actual ?? null;
      if (linking) {
        const figureId = input.actualFigureId;
        if (actualCode) {
          actual = await tx.reportedFigure.findUnique({ where: { code: actualCode } });
          if (!actual)
            throw new NotFoundError(`No reported figure has the code ${actualCode}`, actualCode);
        } else if (figureId != null) {
          actual = await tx.reportedFigure.findUnique({ where: { id: figureId } });
          if (!actual) throw NotFoundError.node('ReportedFigure', figureId, 'Reported figure');
        } else {
          actual = null;
        }
      }
      const unit = fields.unit ?? existing!.unit;
      if (actual && (linking || fields.unit != null)) {
        const field =
          input.actualFigureCode !== undefined
            ? 'actualFigureCode'
            : input.actualFigureId !== undefined
              ? 'actualFigureId'
              : 'unit';
        if (actual.value === null) {
          throw ValidationError.of([
            {
              path: ['input', field],
              message: `Reported figure ${actual.code} is textual: it cannot measure progress`,
            },
          ])!;
        }
        if (actual.unit !== unit) {
          throw ValidationError.of([
            {
              path: ['input', field],
              message: `Reported figure ${actual.code} counts ${actual.unit}, the target ${unit}: no rate could be computed`,
            },
          ])!;
        }
      }
      const data = {
        ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
        ...(linking && { actualId: actual?.id ?? null }),
      } as Prisma.TargetUncheckedUpdateInput;
      if (!existing) {
        const target = await tx.target.create({
          data: { ...(data as Prisma.TargetUncheckedCreateInput), code, recordedBy: actor },
        });
        return { target, created: true, changed: true, formerYear: null };
      }
      const { actual: _unchanged, ...stored } = existing;
      if (!Object.keys(data).length)
        return { target: stored, created: false, changed: false, formerYear: existing.year };
      const target = await tx.target.update({
        where: { id: existing.id },
        data: { ...data, recordedBy: actor, recordedAt: now },
      });
      return { target, created: false, changed: true, formerYear: existing.year };
    });
  } catch (error) {
    throw conflictOnDuplicate(
      error,
      `Target ${code} was created by someone else at the same time; try again to update it`,
    );
  }
  const { target, created, changed, formerYear } = result;
  if (changed) {
    const nodes = [encodeGlobalID('Target', target.id)];
    deps.pubsub?.publish('dataChanged', { domain: 'target', year: target.year, nodes });
    if (formerYear !== null && formerYear !== target.year)
      deps.pubsub?.publish('dataChanged', { domain: 'target', year: formerYear, nodes });
  }
  return { target, created };
}
