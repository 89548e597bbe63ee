/**
 * SQL pieces shared by the reads that rebuild the pipeline from the stage-event log
 * (src/services/as-of.ts, src/services/stage-durations.ts): an event's effective day, and the
 * day each project first reached each pipeline stage.
 */
import { Prisma, ProjectStage } from '../generated/prisma/client.ts';
import { PIPELINE, stageRank } from './stages.ts';

/**
 * A list of stages as a SQL array, sent as one text parameter: array parameters do not reach
 * PGlite intact through its Prisma adapter. Stage names hold no commas.
 */
export function stageArray(stages: readonly ProjectStage[]): Prisma.Sql {
  return Prisma.sql`string_to_array(${stages.join(',')}, ',')::"ProjectStage"[]`;
}

/**
 * The effective day of the event `e` in SQL, written out rather than calling
 * "DatePrecision_periodEnd": that function truncates a date through `timestamptz`, which keeps
 * PostgreSQL from inlining it, and a function call per event is most of a read's time on a large
 * log. The same rule: the day, or the last day of its month, quarter or year.
 */
export const EFFECTIVE_DAY = Prisma.sql`(CASE e."occurredPrecision"
    WHEN 'DAY' THEN e."occurredOn"
    WHEN 'MONTH' THEN (date_trunc('month', e."occurredOn"::timestamp) + interval '1 month - 1 day')::date
    WHEN 'QUARTER' THEN (date_trunc('quarter', e."occurredOn"::timestamp) + interval '3 months - 1 day')::date
    ELSE (date_trunc('year', e."occurredOn"::timestamp) + interval '1 year - 1 day')::date END)`;

/** Stage → pipeline rank (0 for PLANNED) as a SQL CASE, and rank → stage as a constant array. */
const rankOf = (column: Prisma.Sql) =>
  Prisma.sql`(CASE ${column} ${Prisma.raw(PIPELINE.map((stage, i) => `WHEN '${stage}' THEN ${i}`).join(' '))} END)`;
const PIPELINE_ARRAY = Prisma.raw(`'{${PIPELINE.join(',')}}'::"ProjectStage"[]`);

/**
 * For each project and pipeline stage in `stages` it reached (by `cut`, when given): the
 * effective day it first reached the stage (`on`), whether that day is an estimate (`est`), and
 * the stage of the event that reached it (`via`); ties prefer an exact date, then the lower
 * stage. A CTE named `reach`.
 *
 * Without expanding every event to every stage it reaches: the earliest event into each stage
 * (`firsts`) is packed into one sortable number, (days since 1900 × 2 + estimate) × 16 + rank, a
 * running minimum from the last stage down gives, at each stage a project has events into, the
 * first reach of that stage or any later one, and each stage takes the row of the lowest stage
 * at or above it (the range between a row's stage and the one below it).
 */
export function reachCte(stages: readonly ProjectStage[], cut?: Date): Prisma.Sql {
  const effective = EFFECTIVE_DAY;
  // Reaching a stage takes an event into it or beyond: events below the lowest stage asked for
  // are not read.
  const lowest = PIPELINE[Math.min(...stages.map(stageRank))] ?? ProjectStage.PLANNED;
  return Prisma.sql`firsts AS (
    SELECT e."projectId", e."toStage" AS via,
           MIN((${effective} - DATE '1900-01-01') * 2 + (e."occurredPrecision" <> 'DAY')::int) AS k
      FROM "ProjectStageEvent" e
     WHERE e."toStage" <= 'AT_CAPACITY' AND e."toStage" >= ${lowest}::"ProjectStage"
       ${cut ? Prisma.sql`AND ${effective} <= ${cut}::date` : Prisma.empty}
     GROUP BY e."projectId", e."toStage"
  ),
  suffix AS (
    SELECT "projectId", via,
           LAG(via) OVER (PARTITION BY "projectId" ORDER BY via) AS below,
           MIN(k * 16 + ${rankOf(Prisma.sql`via`)})
             OVER (PARTITION BY "projectId" ORDER BY via DESC ROWS UNBOUNDED PRECEDING) AS best
      FROM firsts
  ),
  reach AS (
    SELECT x."projectId", st.stage,
           DATE '1900-01-01' + (x.best / 32)::int AS "on",
           (x.best / 16) % 2 = 1 AS est,
           (${PIPELINE_ARRAY})[(x.best % 16)::int + 1] AS via
      FROM suffix x
      JOIN unnest(${stageArray(stages)}) AS st(stage)
        ON st.stage <= x.via AND (x.below IS NULL OR st.stage > x.below)
  )`;
}
