/**
 * Reported figures: district-wide counts and amounts as a report gave them ("176 approvals as of
 * 31 July"). A new report gives new figures with new codes; targets then link the figure that
 * measures them (./targets.ts).
 */
import { encodeGlobalID } from '@pothos/plugin-relay';
import type {
  DatePrecision,
  FigureQualifier,
  Prisma,
  ReportedFigure,
} from '../generated/prisma/client.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import {
  conflictOnDuplicate,
  InputChecks,
  NAME_MAX_LENGTH,
  SHORT_TEXT_MAX_LENGTH,
  TEXT_MAX_LENGTH,
  type WriteDeps,
} from './input-checks.ts';

/** Longest textual figure (e.g. a working rhythm such as 日联、周跑、月跟进、季落地). */
export const FIGURE_TEXT_MAX_LENGTH = 1000;

/** One figure as an admin records it. Strings are trimmed. */
export interface RecordReportedFigureInput {
  /** Stable unique code (CODE_PATTERN), e.g. `lz-2025-approvals-completed`. */
  code: string;
  label: string;
  labelEn: string;
  /** lower_snake_case, e.g. `approval`, `construction`. */
  category: string;
  /** The number: not negative, below 1e16, at most 4 decimals. */
  value?: Prisma.Decimal | null;
  /** A textual figure; at least one of `value` and `textValue` is required. */
  textValue?: string | null;
  /** e.g. `projects`, `CNY`, `working_days`; `text` for a textual figure. */
  unit: string;
  /** @default 'EXACT' */
  qualifier?: FigureQualifier | null;
  /** As-of day: not in the future, aligned to `asOfPrecision`. */
  asOf: Date;
  /** @default 'DAY' */
  asOfPrecision?: DatePrecision | null;
  /** The as-of date is approximate ("so far"). @default false */
  approximate?: boolean | null;
  /** The year the figure belongs to, YEAR_MIN to YEAR_MAX (./input-checks.ts). */
  year: number;
  /** The project the figure is about (a row id), if one. */
  projectId?: number | null;
  note?: string | null;
}

/**
 * Records a reported figure: checks everything first, writes it, then publishes
 * `dataChanged { domain: 'figure', year }`. Throws ValidationError, NotFoundError (unknown
 * project) or ConflictError (code taken), having written nothing.
 */
export async function recordReportedFigure(
  deps: WriteDeps,
  input: RecordReportedFigureInput,
  actor: string,
): Promise<ReportedFigure> {
  const check = new InputChecks(deps.now?.());
  const asOfPrecision = input.asOfPrecision ?? 'DAY';
  const code = check.code('code', input.code ?? null, true) ?? '';
  const data = {
    label: check.requiredText('label', input.label, NAME_MAX_LENGTH),
    labelEn: check.requiredText('labelEn', input.labelEn, NAME_MAX_LENGTH),
    category: check.snakeCase('category', input.category),
    value: check.measure('value', input.value) ?? null,
    textValue: check.text('textValue', input.textValue, FIGURE_TEXT_MAX_LENGTH) ?? null,
    unit: check.requiredText('unit', input.unit, SHORT_TEXT_MAX_LENGTH),
    qualifier: input.qualifier ?? 'EXACT',
    asOf: check.date('asOf', input.asOf, {
      notFuture: true,
      precision: asOfPrecision,
      precisionField: 'asOfPrecision',
    }),
    asOfPrecision,
    approximate: input.approximate ?? false,
    year: check.year('year', input.year),
    note: check.text('note', input.note, TEXT_MAX_LENGTH) ?? null,
  };
  if (data.value === null && data.textValue === null)
    check.problem('value', 'Give the figure a value, a textValue or both');
  if (data.asOf == null) check.problem('asOf', 'asOf is required');
  if (data.year == null) check.problem('year', 'year is required');
  check.throwIfInvalid();
  const projectId = input.projectId ?? null;

  let figure: ReportedFigure;
  try {
    figure = await deps.prisma.$transaction(async (tx) => {
      if (
        projectId !== null &&
        !(await tx.project.findUnique({ where: { id: projectId }, select: { id: true } }))
      ) {
        throw NotFoundError.node('Project', projectId);
      }
      if (await tx.reportedFigure.findUnique({ where: { code }, select: { id: true } })) {
        throw new ConflictError(`Another reported figure already has the code ${code}`);
      }
      return tx.reportedFigure.create({
        data: { ...data, asOf: data.asOf!, year: data.year!, code, projectId, recordedBy: actor },
      });
    });
  } catch (error) {
    throw conflictOnDuplicate(error, `Another reported figure already has the code ${code}`);
  }
  const nodes = [encodeGlobalID('ReportedFigure', figure.id)];
  if (figure.projectId !== null) nodes.push(encodeGlobalID('Project', figure.projectId));
  deps.pubsub?.publish('dataChanged', { domain: 'figure', year: figure.year, nodes });
  return figure;
}
