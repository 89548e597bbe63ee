/**
 * Input checks shared by every editor write (projects, funding, logistics, parks, figures,
 * targets). Each check records a problem and returns the normalised value, so a write reports
 * every invalid field at once, as one ValidationError, before it touches the database.
 *
 * The rules, everywhere: strings are trimmed and bounded (an empty optional string means
 * "none", an empty required one is an error); amounts are exact decimals, never negative and
 * never more precise than their column; dates are calendar dates of the district, not in the
 * future where they record what happened, and a date given with a precision (MONTH, QUARTER,
 * YEAR) is the first day of that period, as `DatePrecision` documents.
 *
 * `textProblem` is the rule for every string the hub is handed, not only in writes: the schema's
 * argument guard (src/schema/argument-guard.ts) applies it to every argument of every operation,
 * the CSV import to every cell, the export routes to every filter.
 */
import { type DatePrecision, Prisma, type PrismaClient } from '../generated/prisma/client.ts';
import type { HubPubSub } from '../realtime/event-bus.ts';
import { ConflictError, type FieldProblem, ValidationError } from './errors.ts';
import { districtToday } from './stage-log.ts';

/** Stable codes: letters, digits, `.`, `_`, `-`; 2 to 80 characters, e.g. `lz-2025-central-project-funds`. */
export const CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{1,79}$/;
/** Metric and category names: lower_snake_case, e.g. `dispatches`, `service_status`. */
export const SNAKE_CASE_PATTERN = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
export const NAME_MAX_LENGTH = 200;
export const TEXT_MAX_LENGTH = 4000;
/** Units, metric and category names. */
export const SHORT_TEXT_MAX_LENGTH = 64;
/** Largest amount of money accepted, in yuan (1e16: ten thousand trillion, far above any project). */
export const AMOUNT_MAX = new Prisma.Decimal('1e16');
/** Largest measured value (NUMERIC(20,4): 16 digits before the point, 4 after). */
export const MEASURE_MAX = new Prisma.Decimal('9999999999999999.9999');
/** Years a record may count for. */
export const YEAR_MIN = 2000;
export const YEAR_MAX = 2100;

/** With the `u` flag a well-formed pair is one code point, so only an unpaired surrogate matches. */
const UNPAIRED_SURROGATE = /\p{Surrogate}/u;

/**
 * Why PostgreSQL could not store or compare `value` as text, or null when it can: the NUL
 * character (U+0000), which a PostgreSQL text value cannot hold, and an unpaired UTF-16
 * surrogate (a JSON `"\ud800"`), which is not Unicode text and cannot be sent as UTF-8. The
 * reason reads after the field's name: `name must not contain ...`.
 */
export function textProblem(value: string): string | null {
  if (value.includes('\u0000'))
    return 'must not contain the NUL character (U+0000), which the database cannot store';
  if (UNPAIRED_SURROGATE.test(value))
    return 'must not contain an unpaired UTF-16 surrogate (U+D800 to U+DFFF), which is not Unicode text';
  return null;
}

/**
 * Filters, lookups and cursors (every argument of a query or subscription): the text rule, and
 * at most FILTER_MAX_LENGTH characters. A name filter longer than any name can match nothing,
 * and a long pattern costs the database time on every row it scans.
 */
export const FILTER_MAX_LENGTH = 256;

export function filterTextProblem(value: string): string | null {
  if (value.length > FILTER_MAX_LENGTH)
    return `must be at most ${FILTER_MAX_LENGTH} characters (it has ${value.length})`;
  return textProblem(value);
}

/** What a write needs: the database, the bus to tell after the commit, and "now" (for tests). */
export interface WriteDeps {
  prisma: PrismaClient;
  /** Told about the change after it commits. */
  pubsub?: Pick<HubPubSub, 'publish'>;
  /** For tests: "now". @default () => new Date() */
  now?: () => Date;
}

type Problems = FieldProblem[];

/**
 * Trims `value` and bounds its length. `undefined` stays undefined (field absent); null, empty
 * or blank becomes null, a problem when `required`.
 */
export function checkText(
  problems: Problems,
  field: string,
  value: string | null | undefined,
  max: number,
  required: boolean,
): string | null | undefined {
  if (value === undefined) return undefined;
  const trimmed = value?.trim() ?? '';
  if (!trimmed) {
    if (required) problems.push({ path: ['input', field], message: `${field} must not be empty` });
    return null;
  }
  if (trimmed.length > max)
    problems.push({ path: ['input', field], message: `${field} is longer than ${max} characters` });
  return trimmed;
}

export interface AmountRules {
  /** Zero is refused too (an award of 0 yuan records nothing). @default false */
  positive?: boolean;
  /** @default AMOUNT_MAX */
  max?: Prisma.Decimal;
  /** Decimals the column keeps: more would be silently rounded, so they are refused. @default 2 */
  decimals?: number;
  /** Says what the decimals are, for the message. @default 'amounts are in yuan and fen' */
  unitHint?: string;
}

/** An exact, non-negative decimal within its column's range and scale; null/undefined pass through. */
export function checkAmount(
  problems: Problems,
  field: string,
  value: Prisma.Decimal | null | undefined,
  rules: AmountRules = {},
): Prisma.Decimal | null | undefined {
  if (value == null) return value;
  const {
    positive = false,
    max = AMOUNT_MAX,
    decimals = 2,
    unitHint = 'amounts are in yuan and fen',
  } = rules;
  const problem = (message: string) => problems.push({ path: ['input', field], message });
  if (value.isNegative()) problem(`${field} must not be negative`);
  else if (positive && value.isZero()) problem(`${field} must be greater than 0`);
  else if (value.greaterThan(max)) problem(`${field} is above ${max.toFixed()}`);
  else if (value.decimalPlaces() > decimals)
    problem(`${field} has more than ${decimals} decimals (${unitHint})`);
  return value;
}

function iso(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The first day of the period a `precision` names is the only date it may carry. */
function alignedTo(date: Date, precision: DatePrecision): boolean {
  const day = date.getUTCDate();
  const month = date.getUTCMonth();
  switch (precision) {
    case 'DAY':
      return true;
    case 'MONTH':
      return day === 1;
    case 'QUARTER':
      return day === 1 && month % 3 === 0;
    case 'YEAR':
      return day === 1 && month === 0;
  }
}

const PERIOD_START: Record<Exclude<DatePrecision, 'DAY'>, string> = {
  MONTH: 'the first day of its month',
  QUARTER: 'the first day of its quarter (01-01, 04-01, 07-01 or 10-01)',
  YEAR: '1 January of its year',
};

/**
 * Collects the problems of one write's input. Every method records what is wrong with a field
 * and returns the value to write; `throwIfInvalid()` then throws one ValidationError for all.
 */
export class InputChecks {
  readonly problems: FieldProblem[] = [];
  /** Today in the district (Asia/Shanghai), as the Date scalar gives dates: UTC midnight. */
  readonly today: Date;

  constructor(now: Date = new Date()) {
    this.today = districtToday(now);
  }

  problem(field: string, message: string): void {
    this.problems.push({ path: ['input', field], message });
  }

  /** Trimmed text, at most `max` characters. Absent stays undefined; blank is null (a problem when required). */
  text(
    field: string,
    value: string | null | undefined,
    max: number,
    required = false,
  ): string | null | undefined {
    return checkText(this.problems, field, value, max, required);
  }

  /** Required text: a blank or missing value is a problem. */
  requiredText(field: string, value: string | null | undefined, max: number): string {
    return checkText(this.problems, field, value ?? null, max, true) ?? '';
  }

  /** A stable code (CODE_PATTERN); absent stays undefined, blank is null (a problem when required). */
  code(
    field: string,
    value: string | null | undefined,
    required = false,
  ): string | null | undefined {
    const code = checkText(this.problems, field, value, 80, required);
    if (code && !CODE_PATTERN.test(code)) {
      this.problem(
        field,
        `${field} must be 2 to 80 letters, digits, ".", "_" or "-", starting with a letter or digit`,
      );
    }
    return code;
  }

  /** A lower_snake_case name (metric, category) of at most SHORT_TEXT_MAX_LENGTH characters. */
  snakeCase(field: string, value: string | null | undefined): string {
    const name = this.requiredText(field, value, SHORT_TEXT_MAX_LENGTH);
    if (name && !SNAKE_CASE_PATTERN.test(name)) {
      this.problem(
        field,
        `${field} must be lower_snake_case: lowercase letters and digits separated by single "_", e.g. dispatches or service_status`,
      );
    }
    return name;
  }

  amount(
    field: string,
    value: Prisma.Decimal | null | undefined,
    rules?: AmountRules,
  ): Prisma.Decimal | null | undefined {
    return checkAmount(this.problems, field, value, rules);
  }

  /** A measured value (NUMERIC(20,4)): not negative, below 1e16, at most 4 decimals. */
  measure(
    field: string,
    value: Prisma.Decimal | null | undefined,
  ): Prisma.Decimal | null | undefined {
    return checkAmount(this.problems, field, value, {
      max: MEASURE_MAX,
      decimals: 4,
      unitHint: 'values keep 4 decimals',
    });
  }

  /** A whole number within [min, max]; null/undefined pass through. */
  int(
    field: string,
    value: number | null | undefined,
    min: number,
    max: number,
  ): number | null | undefined {
    if (value == null) return value;
    if (!Number.isInteger(value) || value < min || value > max)
      this.problem(field, `${field} must be a whole number from ${min} to ${max}, got ${value}`);
    return value;
  }

  /** The year a record counts for: YEAR_MIN to YEAR_MAX. */
  year(field: string, value: number | null | undefined): number | null | undefined {
    return this.int(field, value, YEAR_MIN, YEAR_MAX);
  }

  /**
   * A calendar date: a real one (the Date scalar already refuses 2025-02-30; services called
   * directly get the same check), not after today in the district when `notFuture`, and the
   * first day of its period when given with a coarser `precision`.
   */
  date(
    field: string,
    value: Date | null | undefined,
    options: {
      notFuture?: boolean;
      precision?: DatePrecision | null;
      precisionField?: string;
    } = {},
  ): Date | null | undefined {
    if (value == null) return value;
    if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
      this.problem(field, `${field} is not a calendar date`);
      return value;
    }
    if (options.notFuture && value.getTime() > this.today.getTime()) {
      this.problem(
        field,
        `${field} ${iso(value)} is in the future (today is ${iso(this.today)} in Liaozhong)`,
      );
    }
    const precision = options.precision ?? 'DAY';
    if (precision !== 'DAY' && !alignedTo(value, precision)) {
      this.problem(
        field,
        `${field} ${iso(value)} is given with ${options.precisionField ?? 'precision'} ${precision}, so it must be ${PERIOD_START[precision]}`,
      );
    }
    return value;
  }

  /** Throws one ValidationError listing every problem recorded, if any. */
  throwIfInvalid(): void {
    const invalid = ValidationError.of(this.problems);
    if (invalid) throw invalid;
  }
}

/** A unique-constraint violation (P2002), e.g. two concurrent writes of one code, as a ConflictError. */
export function conflictOnDuplicate(error: unknown, message: string): unknown {
  if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002')
    return new ConflictError(message);
  return error;
}
