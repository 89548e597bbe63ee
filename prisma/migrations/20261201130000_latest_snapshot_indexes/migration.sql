-- DropIndex
DROP INDEX "ParkSnapshot_parkId_asOf_idx";

-- DropIndex
DROP INDEX "ParkSnapshot_facilityId_asOf_idx";

-- CreateIndex
CREATE INDEX "ParkSnapshot_parkId_asOf_id_idx" ON "ParkSnapshot"("parkId", "asOf" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "ParkSnapshot_facilityId_asOf_id_idx" ON "ParkSnapshot"("facilityId", "asOf" DESC, "id" DESC);

