-- AlterTable
ALTER TABLE "Project" ADD COLUMN     "stageSince" DATE;

-- CreateIndex
CREATE INDEX "Project_stageSince_idx" ON "Project"("stageSince");


-- Hand-written: "stageSince" is derived from the append-only log by a trigger, like
-- ProjectStageReach, so every writer (mutations, CSV import, seed, bulk loads) keeps it right.
-- It is the day a project has certainly been at its current stage since: the day of its latest
-- event (by sequence), or the last day of that day's period when the event's date is given only
-- to the month, quarter or year (such a date is the first day of its period).
CREATE FUNCTION "DatePrecision_periodEnd"(d DATE, p "DatePrecision") RETURNS DATE
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE p
    WHEN 'DAY' THEN d
    WHEN 'MONTH' THEN (date_trunc('month', d) + interval '1 month - 1 day')::date
    WHEN 'QUARTER' THEN (date_trunc('quarter', d) + interval '3 months - 1 day')::date
    WHEN 'YEAR' THEN (date_trunc('year', d) + interval '1 year - 1 day')::date
  END
$$;

CREATE FUNCTION "Project_stageSince_record"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "Project" p
     SET "stageSince" = latest.since
    FROM (SELECT DISTINCT ON (e."projectId") e."projectId",
                 "DatePrecision_periodEnd"(e."occurredOn", e."occurredPrecision") AS since
            FROM new_events e
           ORDER BY e."projectId", e.sequence DESC) latest
   WHERE p.id = latest."projectId";
  RETURN NULL;
END
$$;

CREATE TRIGGER "ProjectStageEvent_stageSince"
  AFTER INSERT ON "ProjectStageEvent"
  REFERENCING NEW TABLE AS new_events
  FOR EACH STATEMENT EXECUTE FUNCTION "Project_stageSince_record"();

-- The events already in the log.
UPDATE "Project" p
   SET "stageSince" = latest.since
  FROM (SELECT DISTINCT ON (e."projectId") e."projectId",
               "DatePrecision_periodEnd"(e."occurredOn", e."occurredPrecision") AS since
          FROM "ProjectStageEvent" e
         ORDER BY e."projectId", e.sequence DESC) latest
 WHERE p.id = latest."projectId";
