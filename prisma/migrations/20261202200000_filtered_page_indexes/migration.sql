-- A filtered page (a stage, a park or a sector) is read in id order after a cursor. With an
-- index on the filtered column alone, PostgreSQL walked the primary key and dropped the rows of
-- other stages (for a rare stage, thousands per page of 20; a generic plan does this for every
-- stage). With the id in the index, the page reads its own rows only. The new indexes also
-- serve every lookup the single-column ones served.

-- DropIndex
DROP INDEX "Project_stage_idx";

-- DropIndex
DROP INDEX "Project_parkId_idx";

-- DropIndex
DROP INDEX "Project_sectorId_idx";

-- CreateIndex
CREATE INDEX "Project_stage_id_idx" ON "Project"("stage", "id");

-- CreateIndex
CREATE INDEX "Project_parkId_id_idx" ON "Project"("parkId", "id");

-- CreateIndex
CREATE INDEX "Project_sectorId_id_idx" ON "Project"("sectorId", "id");
