-- CreateTable
CREATE TABLE "ProjectStageTally" (
    "stage" "ProjectStage" NOT NULL,
    "count" INTEGER NOT NULL,
    "plannedInvestment" DECIMAL(30,2) NOT NULL,
    "plannedInvestmentKnownCount" INTEGER NOT NULL,

    CONSTRAINT "ProjectStageTally_pkey" PRIMARY KEY ("stage")
);

-- CreateTable
CREATE TABLE "ProjectParkTally" (
    "parkId" INTEGER NOT NULL,
    "count" INTEGER NOT NULL,
    "plannedInvestment" DECIMAL(30,2) NOT NULL,
    "plannedInvestmentKnownCount" INTEGER NOT NULL,

    CONSTRAINT "ProjectParkTally_pkey" PRIMARY KEY ("parkId")
);



-- Hand-written: the two tallies are Project summed by stage and by park, kept by statement-level
-- triggers on Project (one grouped upsert per statement, so bulk loads stay cheap). An update
-- counts only the projects whose stage, park or planned investment changed, so other updates
-- (a stage event's "stageSince", notes) do not touch the tallies. Upserts run in key order, so
-- two writers never take the same rows in opposite orders.
CREATE FUNCTION "ProjectTally_add"(
  stages "ProjectStage"[], parks INTEGER[], signs INTEGER[], amounts NUMERIC[]
) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO "ProjectStageTally" AS t
         ("stage", "count", "plannedInvestment", "plannedInvestmentKnownCount")
  SELECT d.stage, SUM(d.sign), COALESCE(SUM(d.sign * d.amount), 0),
         SUM(CASE WHEN d.amount IS NULL THEN 0 ELSE d.sign END)
    FROM unnest(stages, signs, amounts) AS d(stage, sign, amount)
   GROUP BY d.stage
   ORDER BY d.stage
  ON CONFLICT ("stage") DO UPDATE
    SET "count" = t."count" + EXCLUDED."count",
        "plannedInvestment" = t."plannedInvestment" + EXCLUDED."plannedInvestment",
        "plannedInvestmentKnownCount" = t."plannedInvestmentKnownCount" + EXCLUDED."plannedInvestmentKnownCount";
  INSERT INTO "ProjectParkTally" AS t
         ("parkId", "count", "plannedInvestment", "plannedInvestmentKnownCount")
  SELECT d.park, SUM(d.sign), COALESCE(SUM(d.sign * d.amount), 0),
         SUM(CASE WHEN d.amount IS NULL THEN 0 ELSE d.sign END)
    FROM unnest(parks, signs, amounts) AS d(park, sign, amount)
   WHERE d.park IS NOT NULL
   GROUP BY d.park
   ORDER BY d.park
  ON CONFLICT ("parkId") DO UPDATE
    SET "count" = t."count" + EXCLUDED."count",
        "plannedInvestment" = t."plannedInvestment" + EXCLUDED."plannedInvestment",
        "plannedInvestmentKnownCount" = t."plannedInvestmentKnownCount" + EXCLUDED."plannedInvestmentKnownCount";
$$;

CREATE FUNCTION "ProjectTally_inserted"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM "ProjectTally_add"(array_agg(n.stage), array_agg(n."parkId"), array_agg(1),
                             array_agg(n."plannedInvestment"))
     FROM new_projects n;
  RETURN NULL;
END
$$;

CREATE FUNCTION "ProjectTally_updated"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM "ProjectTally_add"(array_agg(d.stage), array_agg(d."parkId"), array_agg(d.sign),
                             array_agg(d."plannedInvestment"))
     FROM (SELECT n.stage, n."parkId", 1 AS sign, n."plannedInvestment", o.stage AS "oldStage",
                  o."parkId" AS "oldParkId", o."plannedInvestment" AS "oldInvestment"
             FROM new_projects n JOIN old_projects o ON o.id = n.id) c
    CROSS JOIN LATERAL (VALUES (c.stage, c."parkId", 1, c."plannedInvestment"),
                               (c."oldStage", c."oldParkId", -1, c."oldInvestment"))
          AS d(stage, "parkId", sign, "plannedInvestment")
    WHERE (c.stage, c."parkId", c."plannedInvestment")
          IS DISTINCT FROM (c."oldStage", c."oldParkId", c."oldInvestment");
  RETURN NULL;
END
$$;

CREATE FUNCTION "ProjectTally_deleted"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM "ProjectTally_add"(array_agg(o.stage), array_agg(o."parkId"), array_agg(-1),
                             array_agg(o."plannedInvestment"))
     FROM old_projects o;
  RETURN NULL;
END
$$;

CREATE TRIGGER "Project_tally_inserted"
  AFTER INSERT ON "Project"
  REFERENCING NEW TABLE AS new_projects
  FOR EACH STATEMENT EXECUTE FUNCTION "ProjectTally_inserted"();

CREATE TRIGGER "Project_tally_updated"
  AFTER UPDATE ON "Project"
  REFERENCING OLD TABLE AS old_projects NEW TABLE AS new_projects
  FOR EACH STATEMENT EXECUTE FUNCTION "ProjectTally_updated"();

CREATE TRIGGER "Project_tally_deleted"
  AFTER DELETE ON "Project"
  REFERENCING OLD TABLE AS old_projects
  FOR EACH STATEMENT EXECUTE FUNCTION "ProjectTally_deleted"();

-- The projects already recorded.
SELECT "ProjectTally_add"(array_agg(stage), array_agg("parkId"), array_agg(1),
                          array_agg("plannedInvestment"))
  FROM "Project";
