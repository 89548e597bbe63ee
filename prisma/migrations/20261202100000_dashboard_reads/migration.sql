-- Hand-written: indexes for the dashboard's reads, none of which Prisma's schema can express
-- (an expression, INCLUDE columns, a partial index), so they live here only.

-- The last stage changes that occurred by a year's end: the ten latest of each year of
-- occurrence, merged (src/services/dashboard.ts). Scanning the log back from its newest event
-- until ten occurred by the end of an earlier year read most of the log.
CREATE INDEX "ProjectStageEvent_occurredYear_sequence_idx"
  ON "ProjectStageEvent" ((EXTRACT(YEAR FROM "occurredOn")::int), "sequence" DESC);

-- A year's funding grouped by level and kind, read from the index alone, in group order.
CREATE INDEX "FundingAward_year_sourceLevel_reportedTotal_idx"
  ON "FundingAward" ("year", "sourceLevel", "reportedTotal" DESC) INCLUDE ("amount", "overlapNote");

-- Each channel's latest observation with a national rank.
CREATE INDEX "LogisticsObservation_ranked_channelId_periodEnd_id_idx"
  ON "LogisticsObservation" ("channelId", "periodEnd" DESC, "id" DESC)
  WHERE "nationalRank" IS NOT NULL;
