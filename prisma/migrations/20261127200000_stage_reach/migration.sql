-- CreateTable
CREATE TABLE "ProjectStageReach" (
    "projectId" INTEGER NOT NULL,
    "stage" "ProjectStage" NOT NULL,
    "firstOn" DATE NOT NULL,

    CONSTRAINT "ProjectStageReach_pkey" PRIMARY KEY ("projectId","stage")
);

-- CreateIndex
CREATE INDEX "ProjectStageReach_stage_firstOn_idx" ON "ProjectStageReach"("stage", "firstOn");

-- AddForeignKey
ALTER TABLE "ProjectStageReach" ADD CONSTRAINT "ProjectStageReach_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


-- Hand-written: ProjectStageReach is derived from the append-only log by a trigger, so every
-- writer (mutations, CSV import, seed, bulk loads) keeps it right. The enum's declaration order
-- is the pipeline's: an event into a pipeline stage T reaches every stage S <= T up to
-- AT_CAPACITY; SUSPENDED and CANCELLED reach only themselves. One statement-level trigger with
-- a transition table, so a bulk insert of events costs one grouped upsert.
CREATE FUNCTION "ProjectStageReach_record"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "ProjectStageReach" ("projectId", "stage", "firstOn")
  SELECT e."projectId", s.stage, MIN(e."occurredOn")
    FROM new_events e
    JOIN unnest(enum_range(NULL::"ProjectStage")) AS s(stage)
      ON s.stage = e."toStage" OR (e."toStage" <= 'AT_CAPACITY' AND s.stage <= e."toStage")
   GROUP BY e."projectId", s.stage
  ON CONFLICT ("projectId", "stage") DO UPDATE
    SET "firstOn" = LEAST("ProjectStageReach"."firstOn", EXCLUDED."firstOn")
    WHERE EXCLUDED."firstOn" < "ProjectStageReach"."firstOn";
  RETURN NULL;
END
$$;

CREATE TRIGGER "ProjectStageEvent_reach"
  AFTER INSERT ON "ProjectStageEvent"
  REFERENCING NEW TABLE AS new_events
  FOR EACH STATEMENT EXECUTE FUNCTION "ProjectStageReach_record"();

-- The events already in the log.
INSERT INTO "ProjectStageReach" ("projectId", "stage", "firstOn")
SELECT e."projectId", s.stage, MIN(e."occurredOn")
  FROM "ProjectStageEvent" e
  JOIN unnest(enum_range(NULL::"ProjectStage")) AS s(stage)
    ON s.stage = e."toStage" OR (e."toStage" <= 'AT_CAPACITY' AND s.stage <= e."toStage")
 GROUP BY e."projectId", s.stage;
