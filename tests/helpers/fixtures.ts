/** Small data sets for stage-change and subscription tests, and "nothing changed" snapshots. */
import { encodeGlobalID } from '@pothos/plugin-relay';
import type { PrismaClient, ProjectStage } from '../../src/generated/prisma/client.ts';
import { createProject } from '../../src/services/projects.ts';

export const TEST_ACTOR = 'test:editor';

export interface TestProject {
  id: number;
  globalId: string;
  code: string;
}

/** Creates `count` projects (with their INITIAL events, published nowhere) at `stage`. */
export async function createTestProjects(
  prisma: PrismaClient,
  count: number,
  opts: {
    prefix?: string;
    stage?: ProjectStage;
    parkId?: number | null;
    stageOccurredOn?: Date;
  } = {},
): Promise<TestProject[]> {
  const prefix = opts.prefix ?? 'T';
  const made: TestProject[] = [];
  for (let i = 1; i <= count; i++) {
    const code = `${prefix}-${String(i).padStart(3, '0')}`;
    const { project } = await createProject(
      { prisma },
      {
        code,
        name: `测试项目 ${code}`,
        nameEn: `Test project ${code}`,
        parkId: opts.parkId ?? null,
        stage: opts.stage ?? 'PLANNED',
        stageOccurredOn: opts.stageOccurredOn ?? new Date('2025-01-02T00:00:00Z'),
      },
      TEST_ACTOR,
    );
    made.push({ id: project.id, globalId: encodeGlobalID('Project', project.id), code });
  }
  return made;
}

export async function createTestPark(
  prisma: PrismaClient,
  code = 'test-park',
): Promise<{ id: number; globalId: string }> {
  const park = await prisma.park.create({ data: { code, name: `测试园区 ${code}`, kind: 'PARK' } });
  return { id: park.id, globalId: encodeGlobalID('Park', park.id) };
}

/** Everything a rejected write must leave as it was. */
export async function databaseSnapshot(prisma: PrismaClient) {
  const [projects, events, parks, sectors] = await Promise.all([
    prisma.project.findMany({ orderBy: { id: 'asc' } }),
    prisma.projectStageEvent.findMany({ orderBy: { sequence: 'asc' } }),
    prisma.park.count(),
    prisma.sector.count(),
  ]);
  return { projects, events, parks, sectors };
}

/** The log's sequences after `after`, in order, as strings. */
export async function sequencesAfter(prisma: PrismaClient, after: bigint): Promise<string[]> {
  const rows = await prisma.projectStageEvent.findMany({
    where: { sequence: { gt: after } },
    orderBy: { sequence: 'asc' },
    select: { sequence: true },
  });
  return rows.map((r) => r.sequence.toString());
}
