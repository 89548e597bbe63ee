/** Decimal, Date and DateTime: exact money and honest calendar dates over JSON. */
import { GraphQLError, Kind, type ValueNode } from 'graphql';
import { Prisma } from '../generated/prisma/client.ts';
import { builder } from './builder.ts';

const decimalPattern = /^-?\d{1,18}(\.\d{1,4})?$/;

function parseDecimal(value: unknown): Prisma.Decimal {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return new Prisma.Decimal(value);
  if (typeof value === 'string' && decimalPattern.test(value)) return new Prisma.Decimal(value);
  throw new GraphQLError(
    `Decimal must be a string of digits with at most 4 decimals, e.g. "250000000.00" (got ${JSON.stringify(value)})`,
  );
}

builder.scalarType('Decimal', {
  description:
    '精确小数 / Exact decimal as a JSON string, e.g. "250000000.00". Money is always CNY yuan (亿元 = 100000000, 万元 = 10000).',
  // At least two decimals, as money is written ("250000000.00"); more when the value has them.
  serialize: (value) => {
    const d = value instanceof Prisma.Decimal ? value : new Prisma.Decimal(value);
    return d.decimalPlaces() < 2 ? d.toFixed(2) : d.toFixed();
  },
  parseValue: parseDecimal,
  parseLiteral: (ast: ValueNode) => {
    if (ast.kind === Kind.STRING || ast.kind === Kind.INT)
      return parseDecimal(ast.kind === Kind.INT ? Number(ast.value) : ast.value);
    throw new GraphQLError('Decimal must be a string, e.g. "250000000.00"');
  },
});

const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses YYYY-MM-DD into a UTC midnight Date, rejecting dates that do not exist (2025-02-30). */
export function parseDate(value: unknown): Date {
  const match = typeof value === 'string' ? datePattern.exec(value) : null;
  if (match) {
    const [, y, m, d] = match.map(Number) as [number, number, number, number];
    const date = new Date(Date.UTC(y, m - 1, d));
    if (date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d)
      return date;
  }
  throw new GraphQLError(
    `Date must be a real calendar date as YYYY-MM-DD (got ${JSON.stringify(value)})`,
  );
}

export function formatDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

builder.scalarType('Date', {
  description: '日期 / Calendar date, YYYY-MM-DD.',
  serialize: (value) => formatDate(value),
  parseValue: parseDate,
  parseLiteral: (ast) => parseDate(ast.kind === Kind.STRING ? ast.value : undefined),
});

const dateTimePattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function parseDateTime(value: unknown): Date {
  if (typeof value === 'string' && dateTimePattern.test(value)) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new GraphQLError(
    `DateTime must be ISO 8601 with an offset, e.g. 2025-07-31T08:00:00+08:00 (got ${JSON.stringify(value)})`,
  );
}

builder.scalarType('DateTime', {
  description: '时间 / ISO 8601 date-time with offset (UTC as served).',
  serialize: (value) => value.toISOString(),
  parseValue: parseDateTime,
  parseLiteral: (ast) => parseDateTime(ast.kind === Kind.STRING ? ast.value : undefined),
});

export const DatePrecisionEnum = builder.enumType('DatePrecision', {
  description:
    '日期精度 / How exact a reported date is: the report often says "so far" without a day.',
  values: {
    DAY: { description: '日 / Exact day.' },
    MONTH: { description: '月 / Known to the month; the date is the first day of that month.' },
    QUARTER: {
      description: '季度 / Known to the quarter; the date is the first day of that quarter.',
    },
    YEAR: { description: '年 / Known to the year; the date is 1 January.' },
  } as const,
});
