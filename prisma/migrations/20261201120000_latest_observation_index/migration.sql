-- CreateIndex
CREATE INDEX "LogisticsObservation_channelId_metric_periodEnd_id_idx" ON "LogisticsObservation"("channelId", "metric", "periodEnd" DESC, "id" DESC);

