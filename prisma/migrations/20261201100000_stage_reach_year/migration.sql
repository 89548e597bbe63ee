-- CreateTable
CREATE TABLE "ProjectStageReachYear" (
    "stage" "ProjectStage" NOT NULL,
    "year" INTEGER NOT NULL,
    "count" INTEGER NOT NULL,
    "plannedInvestment" DECIMAL(30,2) NOT NULL,
    "plannedInvestmentKnownCount" INTEGER NOT NULL,

    CONSTRAINT "ProjectStageReachYear_pkey" PRIMARY KEY ("stage","year")
);



-- Hand-written: ProjectStageReachYear is ProjectStageReach summed by stage and year of
-- "firstOn", with each project's planned investment, kept by statement-level triggers (one
-- grouped upsert per statement, so bulk loads stay cheap):
-- - reaches inserted, moved to an earlier day, or deleted add or take away their project;
-- - a project whose planned investment changes moves its reaches' sums by the difference.
-- The reach trigger locks the reaching projects' rows (the stage-change path locks them a moment
-- later anyway), so a concurrent change of a planned investment either commits before the reach
-- reads it or waits for the reach to commit and then sees it. Upserts run in key order, so two
-- writers never take the same rows in opposite orders.
CREATE FUNCTION "ProjectStageReachYear_reach_inserted"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM "Project" p
    WHERE p.id IN (SELECT r."projectId" FROM new_reaches r)
    ORDER BY p.id
    FOR NO KEY UPDATE;
  INSERT INTO "ProjectStageReachYear" AS y
         ("stage", "year", "count", "plannedInvestment", "plannedInvestmentKnownCount")
  SELECT r.stage, EXTRACT(YEAR FROM r."firstOn")::int, COUNT(*),
         COALESCE(SUM(p."plannedInvestment"), 0), COUNT(p."plannedInvestment")
    FROM new_reaches r JOIN "Project" p ON p.id = r."projectId"
   GROUP BY 1, 2
   ORDER BY 1, 2
  ON CONFLICT ("stage", "year") DO UPDATE
    SET "count" = y."count" + EXCLUDED."count",
        "plannedInvestment" = y."plannedInvestment" + EXCLUDED."plannedInvestment",
        "plannedInvestmentKnownCount" = y."plannedInvestmentKnownCount" + EXCLUDED."plannedInvestmentKnownCount";
  RETURN NULL;
END
$$;

-- A reach moved to an earlier day (an earlier event recorded later): its old year loses it, its
-- new year gains it.
CREATE FUNCTION "ProjectStageReachYear_reach_changed"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "ProjectStageReachYear" AS y
         ("stage", "year", "count", "plannedInvestment", "plannedInvestmentKnownCount")
  SELECT d.stage, d.year, SUM(d.sign),
         COALESCE(SUM(d.sign * p."plannedInvestment"), 0),
         SUM(CASE WHEN p."plannedInvestment" IS NULL THEN 0 ELSE d.sign END)
    FROM (SELECT o."projectId", o.stage, EXTRACT(YEAR FROM o."firstOn")::int AS year, -1 AS sign
            FROM old_reaches o
          UNION ALL
          SELECT n."projectId", n.stage, EXTRACT(YEAR FROM n."firstOn")::int, 1
            FROM new_reaches n) d
    JOIN "Project" p ON p.id = d."projectId"
   GROUP BY 1, 2
   ORDER BY 1, 2
  ON CONFLICT ("stage", "year") DO UPDATE
    SET "count" = y."count" + EXCLUDED."count",
        "plannedInvestment" = y."plannedInvestment" + EXCLUDED."plannedInvestment",
        "plannedInvestmentKnownCount" = y."plannedInvestmentKnownCount" + EXCLUDED."plannedInvestmentKnownCount";
  RETURN NULL;
END
$$;

-- Reaches deleted (before their project is): their years lose them.
CREATE FUNCTION "ProjectStageReachYear_reach_deleted"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "ProjectStageReachYear" AS y
         ("stage", "year", "count", "plannedInvestment", "plannedInvestmentKnownCount")
  SELECT o.stage, EXTRACT(YEAR FROM o."firstOn")::int, -COUNT(*),
         -COALESCE(SUM(p."plannedInvestment"), 0), -COUNT(p."plannedInvestment")
    FROM old_reaches o JOIN "Project" p ON p.id = o."projectId"
   GROUP BY 1, 2
   ORDER BY 1, 2
  ON CONFLICT ("stage", "year") DO UPDATE
    SET "count" = y."count" + EXCLUDED."count",
        "plannedInvestment" = y."plannedInvestment" + EXCLUDED."plannedInvestment",
        "plannedInvestmentKnownCount" = y."plannedInvestmentKnownCount" + EXCLUDED."plannedInvestmentKnownCount";
  RETURN NULL;
END
$$;

-- A project's planned investment changed: each of its reaches' years moves by the difference.
CREATE FUNCTION "ProjectStageReachYear_investment_changed"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "ProjectStageReachYear" AS y
         ("stage", "year", "count", "plannedInvestment", "plannedInvestmentKnownCount")
  SELECT r.stage, EXTRACT(YEAR FROM r."firstOn")::int, 0,
         SUM(COALESCE(n."plannedInvestment", 0) - COALESCE(o."plannedInvestment", 0)),
         SUM((n."plannedInvestment" IS NOT NULL)::int - (o."plannedInvestment" IS NOT NULL)::int)
    FROM old_projects o
    JOIN new_projects n ON n.id = o.id
    JOIN "ProjectStageReach" r ON r."projectId" = n.id
   WHERE n."plannedInvestment" IS DISTINCT FROM o."plannedInvestment"
   GROUP BY 1, 2
   ORDER BY 1, 2
  ON CONFLICT ("stage", "year") DO UPDATE
    SET "plannedInvestment" = y."plannedInvestment" + EXCLUDED."plannedInvestment",
        "plannedInvestmentKnownCount" = y."plannedInvestmentKnownCount" + EXCLUDED."plannedInvestmentKnownCount";
  RETURN NULL;
END
$$;

CREATE TRIGGER "ProjectStageReach_year_inserted"
  AFTER INSERT ON "ProjectStageReach"
  REFERENCING NEW TABLE AS new_reaches
  FOR EACH STATEMENT EXECUTE FUNCTION "ProjectStageReachYear_reach_inserted"();

CREATE TRIGGER "ProjectStageReach_year_updated"
  AFTER UPDATE ON "ProjectStageReach"
  REFERENCING OLD TABLE AS old_reaches NEW TABLE AS new_reaches
  FOR EACH STATEMENT EXECUTE FUNCTION "ProjectStageReachYear_reach_changed"();

CREATE TRIGGER "ProjectStageReach_year_deleted"
  AFTER DELETE ON "ProjectStageReach"
  REFERENCING OLD TABLE AS old_reaches
  FOR EACH STATEMENT EXECUTE FUNCTION "ProjectStageReachYear_reach_deleted"();

CREATE TRIGGER "Project_reach_year_investment"
  AFTER UPDATE ON "Project"
  REFERENCING OLD TABLE AS old_projects NEW TABLE AS new_projects
  FOR EACH STATEMENT EXECUTE FUNCTION "ProjectStageReachYear_investment_changed"();

-- The reaches already recorded.
INSERT INTO "ProjectStageReachYear"
       ("stage", "year", "count", "plannedInvestment", "plannedInvestmentKnownCount")
SELECT r.stage, EXTRACT(YEAR FROM r."firstOn")::int, COUNT(*),
       COALESCE(SUM(p."plannedInvestment"), 0), COUNT(p."plannedInvestment")
  FROM "ProjectStageReach" r JOIN "Project" p ON p.id = r."projectId"
 GROUP BY 1, 2;
