-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "ProjectStage" AS ENUM ('PLANNED', 'NEGOTIATING', 'SIGNED', 'LANDED', 'APPROVED', 'TENDERED', 'LAND_ACQUIRED', 'REGISTERED', 'UNDER_CONSTRUCTION', 'COMPLETED', 'IN_OPERATION', 'AT_CAPACITY', 'SUSPENDED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "DatePrecision" AS ENUM ('DAY', 'MONTH', 'QUARTER', 'YEAR');

-- CreateEnum
CREATE TYPE "StageEventKind" AS ENUM ('INITIAL', 'ADVANCE', 'SUSPEND', 'RESUME', 'CANCEL', 'CORRECTION');

-- CreateEnum
CREATE TYPE "ParkKind" AS ENUM ('BONDED_ZONE', 'PARK');

-- CreateEnum
CREATE TYPE "FacilityStatus" AS ENUM ('PLANNED', 'UNDER_CONSTRUCTION', 'FITTING_OUT', 'COMPLETED', 'IN_OPERATION');

-- CreateEnum
CREATE TYPE "FundingSourceLevel" AS ENUM ('CENTRAL', 'PROVINCIAL', 'PROVINCIAL_AND_ABOVE', 'MUNICIPAL', 'DISTRICT', 'POLICY_BANK', 'SPECIAL_BOND', 'COMMERCIAL_BANK', 'OTHER');

-- CreateEnum
CREATE TYPE "FundingInstrument" AS ENUM ('GRANT', 'LOAN', 'BOND', 'SUBSIDY', 'EQUITY', 'UNSPECIFIED');

-- CreateEnum
CREATE TYPE "ChannelKind" AS ENUM ('RAIL_FREIGHT', 'ROAD_TIR');

-- CreateEnum
CREATE TYPE "FigureQualifier" AS ENUM ('EXACT', 'AT_LEAST', 'AT_MOST', 'APPROXIMATE');

-- CreateTable
CREATE TABLE "SourceDocument" (
    "id" SERIAL NOT NULL,
    "code" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "titleEn" TEXT,
    "publisher" TEXT,
    "publishedOn" DATE,
    "publishedPrecision" "DatePrecision" NOT NULL DEFAULT 'DAY',
    "url" TEXT,
    "note" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SourceDocument_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Sector" (
    "id" SERIAL NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "nameEn" TEXT NOT NULL,
    "leading" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "Sector_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Project" (
    "id" SERIAL NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "nameEn" TEXT,
    "description" TEXT,
    "sectorId" INTEGER,
    "stage" "ProjectStage" NOT NULL,
    "stageBeforeSuspension" "ProjectStage",
    "stageChangedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "parkId" INTEGER,
    "investor" TEXT,
    "plannedInvestment" DECIMAL(20,2),
    "completedInvestment" DECIMAL(20,2),
    "expectedOutputValue" DECIMAL(20,2),
    "notes" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "createdBy" TEXT NOT NULL DEFAULT 'system',
    "updatedBy" TEXT NOT NULL DEFAULT 'system',

    CONSTRAINT "Project_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProjectStageEvent" (
    "id" SERIAL NOT NULL,
    "sequence" BIGSERIAL NOT NULL,
    "projectId" INTEGER NOT NULL,
    "kind" "StageEventKind" NOT NULL,
    "fromStage" "ProjectStage",
    "toStage" "ProjectStage" NOT NULL,
    "occurredOn" DATE NOT NULL,
    "occurredPrecision" "DatePrecision" NOT NULL DEFAULT 'DAY',
    "recordedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT NOT NULL,
    "note" TEXT,
    "sourceId" INTEGER,

    CONSTRAINT "ProjectStageEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Park" (
    "id" SERIAL NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "nameEn" TEXT,
    "kind" "ParkKind" NOT NULL,
    "description" TEXT,
    "sourceId" INTEGER,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Park_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Facility" (
    "id" SERIAL NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "nameEn" TEXT,
    "parkId" INTEGER,
    "phase" INTEGER,
    "description" TEXT,
    "sourceId" INTEGER,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Facility_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ParkSnapshot" (
    "id" SERIAL NOT NULL,
    "parkId" INTEGER,
    "facilityId" INTEGER,
    "asOf" DATE NOT NULL,
    "asOfPrecision" "DatePrecision" NOT NULL DEFAULT 'DAY',
    "status" "FacilityStatus",
    "statusNote" TEXT,
    "floorAreaM2" DECIMAL(14,2),
    "enterprisesRegistered" INTEGER,
    "enterprisesSigned" INTEGER,
    "note" TEXT,
    "sourceId" INTEGER,
    "recordedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "recordedBy" TEXT NOT NULL DEFAULT 'system',

    CONSTRAINT "ParkSnapshot_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "FundingAward" (
    "id" SERIAL NOT NULL,
    "code" TEXT NOT NULL,
    "sourceLevel" "FundingSourceLevel" NOT NULL,
    "instrument" "FundingInstrument" NOT NULL DEFAULT 'UNSPECIFIED',
    "programme" TEXT,
    "programmeEn" TEXT,
    "amount" DECIMAL(20,2) NOT NULL,
    "year" INTEGER NOT NULL,
    "awardedOn" DATE,
    "asOf" DATE,
    "asOfPrecision" "DatePrecision" NOT NULL DEFAULT 'DAY',
    "reportedTotal" BOOLEAN NOT NULL DEFAULT false,
    "overlapNote" TEXT,
    "projectId" INTEGER,
    "note" TEXT,
    "sourceId" INTEGER,
    "recordedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "recordedBy" TEXT NOT NULL DEFAULT 'system',

    CONSTRAINT "FundingAward_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LogisticsChannel" (
    "id" SERIAL NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "nameEn" TEXT,
    "kind" "ChannelKind" NOT NULL,
    "description" TEXT,
    "sourceId" INTEGER,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LogisticsChannel_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LogisticsObservation" (
    "id" SERIAL NOT NULL,
    "channelId" INTEGER NOT NULL,
    "metric" TEXT NOT NULL,
    "value" DECIMAL(20,4),
    "textValue" TEXT,
    "unit" TEXT,
    "periodStart" DATE,
    "periodEnd" DATE NOT NULL,
    "periodPrecision" "DatePrecision" NOT NULL DEFAULT 'DAY',
    "nationalRank" INTEGER,
    "note" TEXT,
    "sourceId" INTEGER,
    "recordedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "recordedBy" TEXT NOT NULL DEFAULT 'system',

    CONSTRAINT "LogisticsObservation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ReportedFigure" (
    "id" SERIAL NOT NULL,
    "code" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "labelEn" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "value" DECIMAL(20,4),
    "textValue" TEXT,
    "unit" TEXT NOT NULL,
    "qualifier" "FigureQualifier" NOT NULL DEFAULT 'EXACT',
    "asOf" DATE NOT NULL,
    "asOfPrecision" "DatePrecision" NOT NULL DEFAULT 'DAY',
    "approximate" BOOLEAN NOT NULL DEFAULT false,
    "year" INTEGER NOT NULL,
    "projectId" INTEGER,
    "note" TEXT,
    "sourceId" INTEGER,
    "recordedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "recordedBy" TEXT NOT NULL DEFAULT 'system',

    CONSTRAINT "ReportedFigure_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Target" (
    "id" SERIAL NOT NULL,
    "code" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "labelEn" TEXT NOT NULL,
    "year" INTEGER NOT NULL,
    "value" DECIMAL(20,4) NOT NULL,
    "unit" TEXT NOT NULL,
    "dueBy" DATE,
    "actualId" INTEGER,
    "reportedRate" DECIMAL(7,2),
    "note" TEXT,
    "sourceId" INTEGER,
    "recordedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "recordedBy" TEXT NOT NULL DEFAULT 'system',

    CONSTRAINT "Target_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "_ProjectToSourceDocument" (
    "A" INTEGER NOT NULL,
    "B" INTEGER NOT NULL,

    CONSTRAINT "_ProjectToSourceDocument_AB_pkey" PRIMARY KEY ("A","B")
);

-- CreateIndex
CREATE UNIQUE INDEX "SourceDocument_code_key" ON "SourceDocument"("code");

-- CreateIndex
CREATE UNIQUE INDEX "Sector_code_key" ON "Sector"("code");

-- CreateIndex
CREATE UNIQUE INDEX "Sector_name_key" ON "Sector"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Project_code_key" ON "Project"("code");

-- CreateIndex
CREATE UNIQUE INDEX "Project_name_key" ON "Project"("name");

-- CreateIndex
CREATE INDEX "Project_stage_idx" ON "Project"("stage");

-- CreateIndex
CREATE INDEX "Project_parkId_idx" ON "Project"("parkId");

-- CreateIndex
CREATE INDEX "Project_sectorId_idx" ON "Project"("sectorId");

-- CreateIndex
CREATE INDEX "Project_stageChangedAt_idx" ON "Project"("stageChangedAt");

-- CreateIndex
CREATE INDEX "Project_plannedInvestment_idx" ON "Project"("plannedInvestment");

-- CreateIndex
CREATE UNIQUE INDEX "ProjectStageEvent_sequence_key" ON "ProjectStageEvent"("sequence");

-- CreateIndex
CREATE INDEX "ProjectStageEvent_projectId_sequence_idx" ON "ProjectStageEvent"("projectId", "sequence");

-- CreateIndex
CREATE INDEX "ProjectStageEvent_toStage_occurredOn_idx" ON "ProjectStageEvent"("toStage", "occurredOn");

-- CreateIndex
CREATE UNIQUE INDEX "Park_code_key" ON "Park"("code");

-- CreateIndex
CREATE UNIQUE INDEX "Park_name_key" ON "Park"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Facility_code_key" ON "Facility"("code");

-- CreateIndex
CREATE UNIQUE INDEX "Facility_name_key" ON "Facility"("name");

-- CreateIndex
CREATE INDEX "Facility_parkId_idx" ON "Facility"("parkId");

-- CreateIndex
CREATE INDEX "ParkSnapshot_parkId_asOf_idx" ON "ParkSnapshot"("parkId", "asOf");

-- CreateIndex
CREATE INDEX "ParkSnapshot_facilityId_asOf_idx" ON "ParkSnapshot"("facilityId", "asOf");

-- CreateIndex
CREATE UNIQUE INDEX "FundingAward_code_key" ON "FundingAward"("code");

-- CreateIndex
CREATE INDEX "FundingAward_sourceLevel_year_idx" ON "FundingAward"("sourceLevel", "year");

-- CreateIndex
CREATE INDEX "FundingAward_projectId_idx" ON "FundingAward"("projectId");

-- CreateIndex
CREATE INDEX "FundingAward_year_idx" ON "FundingAward"("year");

-- CreateIndex
CREATE UNIQUE INDEX "LogisticsChannel_code_key" ON "LogisticsChannel"("code");

-- CreateIndex
CREATE UNIQUE INDEX "LogisticsChannel_name_key" ON "LogisticsChannel"("name");

-- CreateIndex
CREATE INDEX "LogisticsObservation_channelId_periodEnd_idx" ON "LogisticsObservation"("channelId", "periodEnd");

-- CreateIndex
CREATE UNIQUE INDEX "ReportedFigure_code_key" ON "ReportedFigure"("code");

-- CreateIndex
CREATE INDEX "ReportedFigure_year_category_idx" ON "ReportedFigure"("year", "category");

-- CreateIndex
CREATE UNIQUE INDEX "Target_code_key" ON "Target"("code");

-- CreateIndex
CREATE INDEX "Target_year_idx" ON "Target"("year");

-- CreateIndex
CREATE INDEX "_ProjectToSourceDocument_B_index" ON "_ProjectToSourceDocument"("B");

-- AddForeignKey
ALTER TABLE "Project" ADD CONSTRAINT "Project_sectorId_fkey" FOREIGN KEY ("sectorId") REFERENCES "Sector"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Project" ADD CONSTRAINT "Project_parkId_fkey" FOREIGN KEY ("parkId") REFERENCES "Park"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProjectStageEvent" ADD CONSTRAINT "ProjectStageEvent_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProjectStageEvent" ADD CONSTRAINT "ProjectStageEvent_sourceId_fkey" FOREIGN KEY ("sourceId") REFERENCES "SourceDocument"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Park" ADD CONSTRAINT "Park_sourceId_fkey" FOREIGN KEY ("sourceId") REFERENCES "SourceDocument"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Facility" ADD CONSTRAINT "Facility_parkId_fkey" FOREIGN KEY ("parkId") REFERENCES "Park"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Facility" ADD CONSTRAINT "Facility_sourceId_fkey" FOREIGN KEY ("sourceId") REFERENCES "SourceDocument"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ParkSnapshot" ADD CONSTRAINT "ParkSnapshot_parkId_fkey" FOREIGN KEY ("parkId") REFERENCES "Park"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ParkSnapshot" ADD CONSTRAINT "ParkSnapshot_facilityId_fkey" FOREIGN KEY ("facilityId") REFERENCES "Facility"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ParkSnapshot" ADD CONSTRAINT "ParkSnapshot_sourceId_fkey" FOREIGN KEY ("sourceId") REFERENCES "SourceDocument"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FundingAward" ADD CONSTRAINT "FundingAward_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FundingAward" ADD CONSTRAINT "FundingAward_sourceId_fkey" FOREIGN KEY ("sourceId") REFERENCES "SourceDocument"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LogisticsChannel" ADD CONSTRAINT "LogisticsChannel_sourceId_fkey" FOREIGN KEY ("sourceId") REFERENCES "SourceDocument"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LogisticsObservation" ADD CONSTRAINT "LogisticsObservation_channelId_fkey" FOREIGN KEY ("channelId") REFERENCES "LogisticsChannel"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LogisticsObservation" ADD CONSTRAINT "LogisticsObservation_sourceId_fkey" FOREIGN KEY ("sourceId") REFERENCES "SourceDocument"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReportedFigure" ADD CONSTRAINT "ReportedFigure_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReportedFigure" ADD CONSTRAINT "ReportedFigure_sourceId_fkey" FOREIGN KEY ("sourceId") REFERENCES "SourceDocument"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Target" ADD CONSTRAINT "Target_actualId_fkey" FOREIGN KEY ("actualId") REFERENCES "ReportedFigure"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Target" ADD CONSTRAINT "Target_sourceId_fkey" FOREIGN KEY ("sourceId") REFERENCES "SourceDocument"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "_ProjectToSourceDocument" ADD CONSTRAINT "_ProjectToSourceDocument_A_fkey" FOREIGN KEY ("A") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "_ProjectToSourceDocument" ADD CONSTRAINT "_ProjectToSourceDocument_B_fkey" FOREIGN KEY ("B") REFERENCES "SourceDocument"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Hand-written: rules Prisma's schema language cannot express.
-- A snapshot describes exactly one park or one facility.
ALTER TABLE "ParkSnapshot" ADD CONSTRAINT "ParkSnapshot_one_subject" CHECK (num_nonnulls("parkId", "facilityId") = 1);
-- Money and counts are never negative.
ALTER TABLE "Project" ADD CONSTRAINT "Project_money_non_negative" CHECK ("plannedInvestment" >= 0 AND "completedInvestment" >= 0 AND "expectedOutputValue" >= 0);
ALTER TABLE "FundingAward" ADD CONSTRAINT "FundingAward_amount_non_negative" CHECK ("amount" >= 0);
-- The stage-event log is append-only: no row is ever changed or removed.
CREATE FUNCTION "ProjectStageEvent_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ProjectStageEvent is append-only';
END;
$$;
CREATE TRIGGER "ProjectStageEvent_append_only" BEFORE UPDATE OR DELETE ON "ProjectStageEvent"
  FOR EACH ROW EXECUTE FUNCTION "ProjectStageEvent_append_only"();
