/** The pipeline's order and what "reached a stage" means; shared by filters, funnel and rules. */
import { ProjectStage } from '../generated/prisma/client.ts';

/** Active stages in the order the district reports them (SUSPENDED and CANCELLED stand apart). */
export const PIPELINE: readonly ProjectStage[] = [
  ProjectStage.PLANNED,
  ProjectStage.NEGOTIATING,
  ProjectStage.SIGNED,
  ProjectStage.LANDED,
  ProjectStage.APPROVED,
  ProjectStage.TENDERED,
  ProjectStage.LAND_ACQUIRED,
  ProjectStage.REGISTERED,
  ProjectStage.UNDER_CONSTRUCTION,
  ProjectStage.COMPLETED,
  ProjectStage.IN_OPERATION,
  ProjectStage.AT_CAPACITY,
];

/** Position in the pipeline, or -1 for SUSPENDED / CANCELLED. */
export function stageRank(stage: ProjectStage): number {
  return PIPELINE.indexOf(stage);
}

export function isPipelineStage(stage: ProjectStage): boolean {
  return stageRank(stage) >= 0;
}

/**
 * The stages a project has "reached at least `stage`" through: `stage` and every later one.
 * A project reached a stage when its log has an event into it or into a later stage (stages
 * may be skipped, so a project started straight at UNDER_CONSTRUCTION has reached APPROVED).
 */
export function stagesAtOrBeyond(stage: ProjectStage): ProjectStage[] {
  const rank = stageRank(stage);
  if (rank < 0) return [stage];
  return PIPELINE.slice(rank);
}

/**
 * The day a project first reached each pipeline stage (or a later one), from its events: the
 * earliest event into that stage or beyond. The same definition as `Project.milestones`.
 */
export function milestoneDates(
  events: readonly { toStage: ProjectStage; occurredOn: Date }[],
): Map<ProjectStage, Date> {
  const dates = new Map<ProjectStage, Date>();
  PIPELINE.forEach((stage, rank) => {
    let first: Date | undefined;
    for (const e of events) {
      if (
        PIPELINE.indexOf(e.toStage) >= rank &&
        (!first || e.occurredOn.getTime() < first.getTime())
      )
        first = e.occurredOn;
    }
    if (first) dates.set(stage, first);
  });
  return dates;
}
