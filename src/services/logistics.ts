/**
 * Logistics highlights: each channel's latest observation of every metric, and its latest
 * national rank. "Latest" is picked in the database (DISTINCT ON), so a long time series is
 * never loaded to find its last point.
 */
import { Prisma, type LogisticsChannel, type LogisticsObservation, type PrismaClient } from '../generated/prisma/client.ts';

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
export async function channelHighlights(prisma: Client, options: { until?: Date } = {}): Promise<ChannelHighlight[]> {
  const until = options.until ? Prisma.sql`AND "periodEnd" <= ${options.until}::date` : Prisma.empty;
  const [channels, picked] = await Promise.all([
    prisma.logisticsChannel.findMany({ orderBy: { id: 'asc' } }),
    prisma.$queryRaw<{ id: number; ranked: boolean }[]>(Prisma.sql`
      (SELECT DISTINCT ON ("channelId", metric) id, false AS ranked
         FROM "LogisticsObservation"
        WHERE true ${until}
        ORDER BY "channelId", metric, "periodEnd" DESC, id DESC)
      UNION ALL
      (SELECT DISTINCT ON ("channelId") id, true AS ranked
         FROM "LogisticsObservation"
        WHERE "nationalRank" IS NOT NULL ${until}
        ORDER BY "channelId", "periodEnd" DESC, id DESC)`),
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
