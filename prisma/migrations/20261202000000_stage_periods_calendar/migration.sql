-- CreateTable
CREATE TABLE "ProjectStagePeriod" (
    "projectId" INTEGER NOT NULL,
    "sequence" BIGINT NOT NULL,
    "stage" "ProjectStage" NOT NULL,
    "fromOn" DATE NOT NULL,
    "untilOn" DATE,
    "estimated" BOOLEAN NOT NULL,

    CONSTRAINT "ProjectStagePeriod_pkey" PRIMARY KEY ("projectId","sequence")
);

-- CreateTable
CREATE TABLE "WorkingCalendarDay" (
    "day" DATE NOT NULL,
    "working" BOOLEAN NOT NULL,
    "name" TEXT NOT NULL,
    "official" BOOLEAN NOT NULL DEFAULT true,
    "recordedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "recordedBy" TEXT NOT NULL DEFAULT 'system',

    CONSTRAINT "WorkingCalendarDay_pkey" PRIMARY KEY ("day")
);

-- CreateIndex
CREATE INDEX "ProjectStagePeriod_fromOn_untilOn_idx" ON "ProjectStagePeriod"("fromOn", "untilOn");

-- CreateIndex
CREATE INDEX "ProjectStagePeriod_stage_fromOn_idx" ON "ProjectStagePeriod"("stage", "fromOn");

-- AddForeignKey
ALTER TABLE "ProjectStagePeriod" ADD CONSTRAINT "ProjectStagePeriod_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE RESTRICT ON UPDATE CASCADE;



-- Hand-written: ProjectStagePeriod is derived from the append-only log by a trigger, like
-- ProjectStageReach and Project."stageSince", so every writer keeps it right. On a day D a
-- project is at the stage of its latest event (by sequence) among those whose effective day
-- ("DatePrecision_periodEnd": the day, or the last day of a coarser period) is on or before D.
-- So an event holds from its effective day until the earliest effective day of the events after
-- it, and never when one of those is effective on or before its own day. A new event can end the
-- period of any earlier one, so the trigger rebuilds the periods of the projects it touched.
CREATE FUNCTION "ProjectStagePeriod_rebuild"(project_ids INTEGER[]) RETURNS void
LANGUAGE sql AS $$
  DELETE FROM "ProjectStagePeriod" WHERE "projectId" = ANY(project_ids);
  INSERT INTO "ProjectStagePeriod" ("projectId", "sequence", "stage", "fromOn", "untilOn", "estimated")
  SELECT "projectId", sequence, "toStage", effective, until, estimated
    FROM (SELECT e."projectId", e.sequence, e."toStage",
                 "DatePrecision_periodEnd"(e."occurredOn", e."occurredPrecision") AS effective,
                 MIN("DatePrecision_periodEnd"(e."occurredOn", e."occurredPrecision"))
                   OVER (PARTITION BY e."projectId" ORDER BY e.sequence
                         ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS until,
                 e."occurredPrecision" <> 'DAY' AS estimated
            FROM "ProjectStageEvent" e
           WHERE e."projectId" = ANY(project_ids)) periods
   WHERE until IS NULL OR until > effective;
$$;

CREATE FUNCTION "ProjectStagePeriod_record"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM "ProjectStagePeriod_rebuild"(ARRAY(SELECT DISTINCT "projectId" FROM new_events));
  RETURN NULL;
END
$$;

CREATE TRIGGER "ProjectStageEvent_periods"
  AFTER INSERT ON "ProjectStageEvent"
  REFERENCING NEW TABLE AS new_events
  FOR EACH STATEMENT EXECUTE FUNCTION "ProjectStagePeriod_record"();

-- The events already in the log.
SELECT "ProjectStagePeriod_rebuild"(ARRAY(SELECT DISTINCT "projectId" FROM "ProjectStageEvent"));


-- Working days: Monday to Friday, except the days in "WorkingCalendarDay". "WorkingDays_upTo"
-- counts the weekdays from Monday 1900-01-01 up to and including a day (floor arithmetic, so it
-- holds before that Monday too); "WorkingDays_between"(a, b) counts the working days d with
-- a < d <= b (negative when b is before a), the calendar's exceptions applied.
CREATE FUNCTION "WorkingDays_upTo"(d DATE) RETURNS INTEGER
LANGUAGE sql IMMUTABLE AS $$
  SELECT (5 * floor((d - DATE '1900-01-01' + 1) / 7.0)
          + LEAST(((d - DATE '1900-01-01' + 1) % 7 + 7) % 7, 5))::int
$$;

CREATE FUNCTION "WorkingDays_between"(a DATE, b DATE) RETURNS INTEGER
LANGUAGE sql STABLE AS $$
  SELECT "WorkingDays_upTo"(b) - "WorkingDays_upTo"(a)
         + SIGN(b - a)::int * COALESCE((
             SELECT (COUNT(*) FILTER (WHERE c.working AND EXTRACT(ISODOW FROM c.day) > 5)
                   - COUNT(*) FILTER (WHERE NOT c.working AND EXTRACT(ISODOW FROM c.day) <= 5))::int
               FROM "WorkingCalendarDay" c
              WHERE c.day > LEAST(a, b) AND c.day <= GREATEST(a, b)), 0)
$$;

-- Mainland China's public holidays and adjusted working days (调休), as the State Council's
-- General Office announced them (国务院办公厅关于…部分节假日安排的通知): 2024 (国办发明电〔2023〕7号),
-- 2025 (国办发明电〔2024〕12号, after the revised 全国年节及纪念日放假办法), 2026 (announced
-- November 2025). Weekend days inside a holiday are listed too (harmless: they are not working
-- days either way). 2027 is provisional (official = false): the statutory days of the revised
-- rules on their 2027 dates (春节 from 除夕 5 February), without the adjusted days, until the
-- announcement is recorded with setWorkingCalendarDays.
INSERT INTO "WorkingCalendarDay" ("day", "working", "name", "official") VALUES
  ('2024-01-01', false, '元旦', true),
  ('2024-02-04', true,  '春节调休上班', true),
  ('2024-02-10', false, '春节', true), ('2024-02-11', false, '春节', true),
  ('2024-02-12', false, '春节', true), ('2024-02-13', false, '春节', true),
  ('2024-02-14', false, '春节', true), ('2024-02-15', false, '春节', true),
  ('2024-02-16', false, '春节', true), ('2024-02-17', false, '春节', true),
  ('2024-02-18', true,  '春节调休上班', true),
  ('2024-04-04', false, '清明节', true), ('2024-04-05', false, '清明节', true),
  ('2024-04-06', false, '清明节', true),
  ('2024-04-07', true,  '清明节调休上班', true),
  ('2024-04-28', true,  '劳动节调休上班', true),
  ('2024-05-01', false, '劳动节', true), ('2024-05-02', false, '劳动节', true),
  ('2024-05-03', false, '劳动节', true), ('2024-05-04', false, '劳动节', true),
  ('2024-05-05', false, '劳动节', true),
  ('2024-05-11', true,  '劳动节调休上班', true),
  ('2024-06-10', false, '端午节', true),
  ('2024-09-14', true,  '中秋节调休上班', true),
  ('2024-09-15', false, '中秋节', true), ('2024-09-16', false, '中秋节', true),
  ('2024-09-17', false, '中秋节', true),
  ('2024-09-29', true,  '国庆节调休上班', true),
  ('2024-10-01', false, '国庆节', true), ('2024-10-02', false, '国庆节', true),
  ('2024-10-03', false, '国庆节', true), ('2024-10-04', false, '国庆节', true),
  ('2024-10-05', false, '国庆节', true), ('2024-10-06', false, '国庆节', true),
  ('2024-10-07', false, '国庆节', true),
  ('2024-10-12', true,  '国庆节调休上班', true),
  ('2025-01-01', false, '元旦', true),
  ('2025-01-26', true,  '春节调休上班', true),
  ('2025-01-28', false, '春节', true), ('2025-01-29', false, '春节', true),
  ('2025-01-30', false, '春节', true), ('2025-01-31', false, '春节', true),
  ('2025-02-01', false, '春节', true), ('2025-02-02', false, '春节', true),
  ('2025-02-03', false, '春节', true), ('2025-02-04', false, '春节', true),
  ('2025-02-08', true,  '春节调休上班', true),
  ('2025-04-04', false, '清明节', true), ('2025-04-05', false, '清明节', true),
  ('2025-04-06', false, '清明节', true),
  ('2025-04-27', true,  '劳动节调休上班', true),
  ('2025-05-01', false, '劳动节', true), ('2025-05-02', false, '劳动节', true),
  ('2025-05-03', false, '劳动节', true), ('2025-05-04', false, '劳动节', true),
  ('2025-05-05', false, '劳动节', true),
  ('2025-05-31', false, '端午节', true), ('2025-06-01', false, '端午节', true),
  ('2025-06-02', false, '端午节', true),
  ('2025-09-28', true,  '国庆节、中秋节调休上班', true),
  ('2025-10-01', false, '国庆节、中秋节', true), ('2025-10-02', false, '国庆节、中秋节', true),
  ('2025-10-03', false, '国庆节、中秋节', true), ('2025-10-04', false, '国庆节、中秋节', true),
  ('2025-10-05', false, '国庆节、中秋节', true), ('2025-10-06', false, '国庆节、中秋节', true),
  ('2025-10-07', false, '国庆节、中秋节', true), ('2025-10-08', false, '国庆节、中秋节', true),
  ('2025-10-11', true,  '国庆节、中秋节调休上班', true),
  ('2026-01-01', false, '元旦', true), ('2026-01-02', false, '元旦', true),
  ('2026-01-03', false, '元旦', true),
  ('2026-01-04', true,  '元旦调休上班', true),
  ('2026-02-14', true,  '春节调休上班', true),
  ('2026-02-15', false, '春节', true), ('2026-02-16', false, '春节', true),
  ('2026-02-17', false, '春节', true), ('2026-02-18', false, '春节', true),
  ('2026-02-19', false, '春节', true), ('2026-02-20', false, '春节', true),
  ('2026-02-21', false, '春节', true), ('2026-02-22', false, '春节', true),
  ('2026-02-23', false, '春节', true),
  ('2026-02-28', true,  '春节调休上班', true),
  ('2026-04-04', false, '清明节', true), ('2026-04-05', false, '清明节', true),
  ('2026-04-06', false, '清明节', true),
  ('2026-05-01', false, '劳动节', true), ('2026-05-02', false, '劳动节', true),
  ('2026-05-03', false, '劳动节', true), ('2026-05-04', false, '劳动节', true),
  ('2026-05-05', false, '劳动节', true),
  ('2026-05-09', true,  '劳动节调休上班', true),
  ('2026-06-19', false, '端午节', true), ('2026-06-20', false, '端午节', true),
  ('2026-06-21', false, '端午节', true),
  ('2026-09-20', true,  '国庆节调休上班', true),
  ('2026-09-25', false, '中秋节', true), ('2026-09-26', false, '中秋节', true),
  ('2026-09-27', false, '中秋节', true),
  ('2026-10-01', false, '国庆节', true), ('2026-10-02', false, '国庆节', true),
  ('2026-10-03', false, '国庆节', true), ('2026-10-04', false, '国庆节', true),
  ('2026-10-05', false, '国庆节', true), ('2026-10-06', false, '国庆节', true),
  ('2026-10-07', false, '国庆节', true),
  ('2026-10-10', true,  '国庆节调休上班', true),
  ('2027-01-01', false, '元旦', false),
  ('2027-02-05', false, '春节', false), ('2027-02-06', false, '春节', false),
  ('2027-02-07', false, '春节', false), ('2027-02-08', false, '春节', false),
  ('2027-04-05', false, '清明节', false),
  ('2027-05-01', false, '劳动节', false), ('2027-05-02', false, '劳动节', false),
  ('2027-06-09', false, '端午节', false),
  ('2027-09-15', false, '中秋节', false),
  ('2027-10-01', false, '国庆节', false), ('2027-10-02', false, '国庆节', false),
  ('2027-10-03', false, '国庆节', false);
