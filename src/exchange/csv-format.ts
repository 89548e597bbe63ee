/**
 * The spreadsheet format shared by CSV export and import: columns, headers, and how each kind of
 * cell is written and read.
 *
 * Files are UTF-8 with a byte-order mark and CRLF line ends, which Excel and WPS open as UTF-8
 * (without the mark they guess the system code page and garble Chinese). A header cell is
 * `中文(key)`, e.g. `项目编码(code)`; the import also accepts the bare key or the bare Chinese
 * label, in any order of columns. Cells that a spreadsheet would run as a formula (starting with
 * `=`, `+`, `-`, `@`, tab or CR) are written with a leading `'`, which the import removes again.
 */
import { type DatePrecision, Prisma, ProjectStage } from '../generated/prisma/client.ts';
import { PIPELINE, STAGE_TERMS } from '../services/stages.ts';

/** Options for csv-stringify: what Excel and WPS open as UTF-8 without asking. */
export const CSV_WRITE_OPTIONS = { bom: true, record_delimiter: 'windows' } as const;

const PRECISION_LABELS: Record<DatePrecision, string> = {
  DAY: '日',
  MONTH: '月',
  QUARTER: '季度',
  YEAR: '年',
};

export interface Column {
  key: string;
  /** Chinese header label. */
  label: string;
  /** Other labels the import accepts (a stage's other names). */
  also?: readonly string[];
  /** Written by the export for reading only; the import accepts and ignores it. */
  exportOnly?: boolean;
}

/** The milestone column of a pipeline stage: the day the project first reached it (or beyond). */
export function milestoneKey(stage: ProjectStage): string {
  return `reached.${stage}`;
}

/** Projects file, in export order. */
export const PROJECT_COLUMNS: readonly Column[] = [
  { key: 'code', label: '项目编码' },
  { key: 'name', label: '项目名称' },
  { key: 'nameEn', label: '英文名称' },
  { key: 'stage', label: '当前阶段' },
  { key: 'stageOn', label: '阶段日期' },
  { key: 'stageNote', label: '阶段备注' },
  { key: 'stageBeforeSuspension', label: '暂停前阶段' },
  { key: 'sector', label: '行业编码' },
  { key: 'sectorName', label: '行业', exportOnly: true },
  { key: 'park', label: '园区编码' },
  { key: 'parkName', label: '园区', exportOnly: true },
  { key: 'investor', label: '投资方' },
  { key: 'plannedInvestment', label: '计划总投资(元)' },
  { key: 'completedInvestment', label: '已完成投资(元)' },
  { key: 'expectedOutputValue', label: '预计产值(元)' },
  { key: 'description', label: '简介' },
  { key: 'notes', label: '备注' },
  ...PIPELINE.map((stage) => ({
    key: milestoneKey(stage),
    label: `${STAGE_TERMS[stage].zh}日期`,
    also: STAGE_TERMS[stage].also?.map((name) => `${name}日期`),
  })),
];

/** Stage-event log file, in export order. Its code, toStage, occurredOn, occurredPrecision and note are a stage-changes file. */
export const STAGE_EVENT_COLUMNS: readonly Column[] = [
  { key: 'sequence', label: '序号', exportOnly: true },
  { key: 'code', label: '项目编码' },
  { key: 'name', label: '项目名称', exportOnly: true },
  { key: 'kind', label: '类型', exportOnly: true },
  { key: 'fromStage', label: '原阶段', exportOnly: true },
  { key: 'toStage', label: '新阶段' },
  { key: 'occurredOn', label: '发生日期' },
  { key: 'occurredPrecision', label: '日期精度' },
  { key: 'note', label: '备注' },
  { key: 'actor', label: '操作人', exportOnly: true },
  { key: 'recordedAt', label: '记录时间', exportOnly: true },
  { key: 'source', label: '来源', exportOnly: true },
];

export function headerCell(column: Column): string {
  return `${column.label}(${column.key})`;
}

/** A cell with a problem: the import turns it into an error naming the line. */
export class CellError extends Error {
  override name = 'CellError';
}

/**
 * Maps header cells to column keys. Accepts `label(key)` (also with full-width parentheses), the
 * key alone or the label alone; an unknown or repeated column is an error.
 */
export function mapHeader(
  cells: string[],
  columns: readonly Column[],
  required: readonly string[],
): string[] {
  const byKey = new Map(columns.map((c) => [c.key.toLowerCase(), c.key]));
  const byLabel = new Map(
    columns.flatMap((c) => [c.label, ...(c.also ?? [])].map((label) => [label, c.key] as const)),
  );
  const seen = new Set<string>();
  const keys = cells.map((raw) => {
    const cell = raw.replace(/^\uFEFF/, '').trim();
    const inParens = /[(（]\s*([^()（）]+?)\s*[)）]\s*$/.exec(cell)?.[1];
    const key =
      (inParens && byKey.get(inParens.toLowerCase())) ??
      byKey.get(cell.toLowerCase()) ??
      byLabel.get(cell);
    if (!key) {
      throw new CellError(
        `unknown column ${JSON.stringify(cell)} (known: ${columns.map((c) => c.key).join(', ')})`,
      );
    }
    if (seen.has(key)) throw new CellError(`column ${key} appears twice`);
    seen.add(key);
    return key;
  });
  const missing = required.filter((k) => !seen.has(k));
  if (missing.length)
    throw new CellError(`missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  return keys;
}

// ---------------------------------------------------------------------------------------------
// Writing cells.

const FORMULA_START = /^'*[=+\-@\t\r]/;

/** A text cell, guarded against formula injection. */
export function textCell(value: string | null | undefined): string {
  if (value == null) return '';
  return FORMULA_START.test(value) ? `'${value}` : value;
}

export function dateCell(value: Date | null | undefined): string {
  return value ? value.toISOString().slice(0, 10) : '';
}

/** Money: yuan with two decimals, e.g. `250000000.00`. */
export function amountCell(value: Prisma.Decimal | null | undefined): string {
  return value == null ? '' : value.toFixed(2);
}

// ---------------------------------------------------------------------------------------------
// Reading cells: `undefined` for a column the file does not have, `null` for an empty cell.

/** The text of a cell: the formula guard removed, trimmed; empty means null. */
export function readText(value: string | undefined): string | null | undefined {
  if (value === undefined) return undefined;
  const unguarded = /^'+[=+\-@\t\r]/.test(value) ? value.slice(1) : value;
  const trimmed = unguarded.trim();
  return trimmed ? trimmed : null;
}

/** A stage by any of its Chinese names (src/services/stages.ts). */
const STAGE_BY_LABEL = new Map(
  Object.values(ProjectStage).flatMap((stage) =>
    [STAGE_TERMS[stage].zh, ...(STAGE_TERMS[stage].also ?? [])].map(
      (label) => [label, stage] as const,
    ),
  ),
);

export function readStage(
  value: string | undefined,
  column: string,
): ProjectStage | null | undefined {
  const text = readText(value);
  if (text == null) return text;
  const upper = text.toUpperCase().replace(/[\s-]+/g, '_');
  if (upper in ProjectStage) return upper as ProjectStage;
  const byLabel = STAGE_BY_LABEL.get(text);
  if (byLabel) return byLabel;
  throw new CellError(
    `${column}: ${JSON.stringify(text)} is not a stage (${Object.keys(ProjectStage).join(', ')}, or 签约, 开复工...)`,
  );
}

/** `2025-07-31`, also `2025/7/31` or `2025.7.31` as spreadsheets rewrite it; a trailing `0:00` is allowed. */
export function readDate(value: string | undefined, column: string): Date | null | undefined {
  const text = readText(value);
  if (text == null) return text;
  const match = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]0{1,2}:00(?::00)?)?$/.exec(text);
  if (match) {
    const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
    const date = new Date(Date.UTC(y, m - 1, d));
    if (date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d)
      return date;
  }
  throw new CellError(`${column}: ${JSON.stringify(text)} is not a calendar date (YYYY-MM-DD)`);
}

/** Yuan: `250000000`, `250000000.00`, also with thousands separators `250,000,000.00`. */
export function readAmount(
  value: string | undefined,
  column: string,
): Prisma.Decimal | null | undefined {
  const text = readText(value);
  if (text == null) return text;
  const plain = /^\d{1,3}(,\d{3})+(\.\d+)?$/.test(text) ? text.replaceAll(',', '') : text;
  if (!/^-?\d+(\.\d+)?$/.test(plain))
    throw new CellError(
      `${column}: ${JSON.stringify(text)} is not an amount in yuan (e.g. 250000000.00)`,
    );
  return new Prisma.Decimal(plain);
}

export function readPrecision(
  value: string | undefined,
  column: string,
): DatePrecision | null | undefined {
  const text = readText(value);
  if (text == null) return text;
  const upper = text.toUpperCase();
  if (upper in PRECISION_LABELS) return upper as DatePrecision;
  const byLabel = Object.entries(PRECISION_LABELS).find(([, label]) => label === text)?.[0];
  if (byLabel) return byLabel as DatePrecision;
  throw new CellError(
    `${column}: ${JSON.stringify(text)} is not a date precision (DAY, MONTH, QUARTER, YEAR)`,
  );
}
