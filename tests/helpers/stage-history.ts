/**
 * Projects with a stage history written straight into the log, for tests that compute figures
 * from the log by hand: one step per event, dated, with its precision.
 */
import type {
  DatePrecision,
  PrismaClient,
  ProjectStage,
  StageEventKind,
} from '../../src/generated/prisma/client.ts';

/** One event of a project's history: what happened, the stage reached, the day and its precision. */
export type Step = [
  kind: StageEventKind,
  toStage: ProjectStage,
  occurredOn: string,
  precision?: DatePrecision,
];

/**
 * Creates a project at its last step's stage and writes its history in one statement (the
 * log's triggers keep the latest event, reaches and periods). Returns the project's id.
 */
export async function createProjectWithHistory(
  prisma: PrismaClient,
  project: { code: string; name: string; parkId: number; plannedInvestment?: string | null },
  steps: Step[],
): Promise<number> {
  const { id } = await prisma.project.create({
    data: { ...project, stage: steps.at(-1)![1] },
  });
  await prisma.projectStageEvent.createMany({
    data: steps.map(([kind, toStage, on, precision], i) => ({
      projectId: id,
      kind,
      fromStage: i ? steps[i - 1]![1] : null,
      toStage,
      occurredOn: new Date(on),
      occurredPrecision: precision ?? 'DAY',
      actor: 'test',
    })),
  });
  return id;
}
