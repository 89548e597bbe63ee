/**
 * Logistics highlights: each channel's latest observation of every metric, and its latest
 * national rank. "Latest" is picked in the database (DISTINCT ON), so a long time series is
 * never loaded to find its last point. And the editor's write: `recordLogisticsObservation`.
 */
import { encodeGlobalID } from '@pothos/plugin-relay';
import {
  type DatePrecision,
  type LogisticsChannel,
  type LogisticsObservation,
  Prisma,
  type PrismaClient,
} from '../generated/prisma/client.ts';
import { NotFoundError } from './errors.ts';
import {
  InputChecks,
  SHORT_TEXT_MAX_LENGTH,
  TEXT_MAX_LENGTH,
  type WriteDeps,
} from './input-checks.ts';

type Client = PrismaClient | Prisma.TransactionClient;

export interface ChannelHighlight {
  channel: LogisticsChannel;
  /** The latest observation of each metric, by metric name. */
  latestObservations: LogisticsObservation[];
  /** The latest observation that carries a national rank, or null. */
  latestNationalRank: LogisticsObservation | null;
}

/**
 * Every channel (by id) with its latest observations and latest national rank; with `until`,
 * the latest whose period ended on or before that day.
 */
export async function channelHighlights(
  prisma: Client,
  options: { until?: Date } = {},
): Promise<ChannelHighlight[]> {
  const until = options.until
    ? Prisma.sql`AND "periodEnd" <= ${options.until}::date`
    : Prisma.empty;
  const [channels, picked] = await Promise.all([
    prisma.logisticsChannel.findMany({ orderBy: { id: 'asc' } }),
    // Each (channel, metric) pair found by skipping through the index from one pair to the next
    // (a handful of probes, where DISTINCT ON read every observation), then its latest; and each
    // channel's latest ranked observation (a partial index).
    prisma.$queryRaw<{ id: number; ranked: boolean }[]>(Prisma.sql`
      WITH RECURSIVE pairs AS (
        (SELECT "channelId", metric FROM "LogisticsObservation"
          ORDER BY "channelId", metric LIMIT 1)
        UNION ALL
        SELECT n."channelId", n.metric
          FROM pairs p
         CROSS JOIN LATERAL (
               SELECT o."channelId", o.metric FROM "LogisticsObservation" o
                WHERE (o."channelId", o.metric) > (p."channelId", p.metric)
                ORDER BY o."channelId", o.metric LIMIT 1) n
      )
      SELECT l.id, false AS ranked
        FROM pairs
       CROSS JOIN LATERAL (
             SELECT id FROM "LogisticsObservation" o
              WHERE o."channelId" = pairs."channelId" AND o.metric = pairs.metric ${until}
              ORDER BY "periodEnd" DESC, id DESC LIMIT 1) l
      UNION ALL
      SELECT r.id, true
        FROM "LogisticsChannel" c
       CROSS JOIN LATERAL (
             SELECT id FROM "LogisticsObservation" o
              WHERE o."channelId" = c.id AND "nationalRank" IS NOT NULL ${until}
              ORDER BY "periodEnd" DESC, id DESC LIMIT 1) r`),
  ]);
  const rows = picked.length
    ? await prisma.logisticsObservation.findMany({
        where: { id: { in: [...new Set(picked.map((p) => p.id))] } },
        orderBy: [{ channelId: 'asc' }, { metric: 'asc' }],
      })
    : [];
  const rankedIds = new Set(picked.filter((p) => p.ranked).map((p) => p.id));
  const latestIds = new Set(picked.filter((p) => !p.ranked).map((p) => p.id));
  return channels.map((channel) => {
    const own = rows.filter((r) => r.channelId === channel.id);
    return {
      channel,
      latestObservations: own.filter((r) => latestIds.has(r.id)),
      latestNationalRank: own.find((r) => rankedIds.has(r.id)) ?? null,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Writes

/** Longest textual value (e.g. the assembly centre's description). */
export const TEXT_VALUE_MAX_LENGTH = 1000;
/** National ranks go from 1 (first) to this. */
export const NATIONAL_RANK_MAX = 10_000;

/** One observation as an editor records it. Strings are trimmed; blank optional ones mean none. */
export interface RecordLogisticsObservationInput {
  /** The channel observed (a row id). */
  channelId: number;
  /** What is measured: lower_snake_case, at most 64 characters, e.g. `dispatches`. */
  metric: string;
  /** The value, when a number: not negative, below 1e16, at most 4 decimals. */
  value?: Prisma.Decimal | null;
  /** The value as text (e.g. 开通运行); at least one of `value` and `textValue` is required. */
  textValue?: string | null;
  unit?: string | null;
  /** First day of the period, at most `periodEnd`; none for a point in time. */
  periodStart?: Date | null;
  /** Last day of the period (the as-of day): not in the future, aligned to `periodPrecision`. */
  periodEnd: Date;
  /** How exact `periodEnd` is. @default 'DAY' */
  periodPrecision?: DatePrecision | null;
  /** National rank, 1 = first. */
  nationalRank?: number | null;
  note?: string | null;
}

/**
 * Records a logistics observation: checks everything first, writes it, then publishes
 * `dataChanged { domain: 'logistics', year: null }`. A dashboard shows each channel's latest
 * observation on or before its year's end, so an observation can change the dashboards of its
 * year and of every later year: no single year to name. Recording a metric again for the same
 * period is how a figure is corrected (the later record wins). Throws ValidationError or
 * NotFoundError (unknown channel), having written nothing.
 */
export async function recordLogisticsObservation(
  deps: WriteDeps,
  input: RecordLogisticsObservationInput,
  actor: string,
): Promise<LogisticsObservation> {
  const check = new InputChecks(deps.now?.());
  const periodPrecision = input.periodPrecision ?? 'DAY';
  const data = {
    metric: check.snakeCase('metric', input.metric),
    value: check.measure('value', input.value) ?? null,
    textValue: check.text('textValue', input.textValue, TEXT_VALUE_MAX_LENGTH) ?? null,
    unit: check.text('unit', input.unit, SHORT_TEXT_MAX_LENGTH) ?? null,
    periodStart: check.date('periodStart', input.periodStart) ?? null,
    periodEnd: check.date('periodEnd', input.periodEnd, {
      notFuture: true,
      precision: periodPrecision,
      precisionField: 'periodPrecision',
    }),
    periodPrecision,
    nationalRank: check.int('nationalRank', input.nationalRank, 1, NATIONAL_RANK_MAX) ?? null,
    note: check.text('note', input.note, TEXT_MAX_LENGTH) ?? null,
  };
  if (data.value === null && data.textValue === null) {
    check.problem('value', 'Give the observation a value, a textValue or both');
  }
  if (data.periodEnd == null) check.problem('periodEnd', 'periodEnd is required');
  else if (data.periodStart && data.periodStart.getTime() > data.periodEnd.getTime()) {
    check.problem(
      'periodStart',
      `periodStart ${data.periodStart.toISOString().slice(0, 10)} is after periodEnd ${data.periodEnd.toISOString().slice(0, 10)}`,
    );
  }
  check.throwIfInvalid();

  const observation = await deps.prisma.$transaction(async (tx) => {
    if (
      !(await tx.logisticsChannel.findUnique({
        where: { id: input.channelId },
        select: { id: true },
      }))
    ) {
      throw NotFoundError.node('LogisticsChannel', input.channelId, 'Logistics channel');
    }
    return tx.logisticsObservation.create({
      data: { ...data, periodEnd: data.periodEnd!, channelId: input.channelId, recordedBy: actor },
    });
  });
  deps.pubsub?.publish('dataChanged', {
    domain: 'logistics',
    year: null,
    nodes: [
      encodeGlobalID('LogisticsObservation', observation.id),
      encodeGlobalID('LogisticsChannel', observation.channelId),
    ],
  });
  return observation;
}
