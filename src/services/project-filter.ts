/**
 * ProjectFilter → Prisma `where`: one definition for GraphQL, subscriptions and CSV export, for
 * projects and for the stage events of matching projects.
 */
import type { Prisma, ProjectStage } from '../generated/prisma/client.ts';
import { stagesAtOrBeyond } from './stages.ts';

export interface ProjectFilterValues {
  stage?: ProjectStage[] | null;
  parkId?: number | null;
  sectorId?: number | null;
  nameContains?: string | null;
  plannedInvestmentMin?: Prisma.Decimal | null;
  plannedInvestmentMax?: Prisma.Decimal | null;
  reached?: { stage: ProjectStage; from?: Date | null; to?: Date | null } | null;
  changedFrom?: Date | null;
  changedTo?: Date | null;
}

/**
 * `text` as a literal for Prisma's `contains`, which becomes SQL `LIKE '%' || text || '%'`
 * without escaping: `%` and `_` would be wildcards (a search for "%" would match every
 * project). PostgreSQL's LIKE escapes with a backslash by default.
 */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, '\\$&');
}

export function projectWhere(
  filter: ProjectFilterValues | null | undefined,
): Prisma.ProjectWhereInput {
  if (!filter) return {};
  const and: Prisma.ProjectWhereInput[] = [];
  if (filter.stage?.length) and.push({ stage: { in: filter.stage } });
  if (filter.parkId != null) and.push({ parkId: filter.parkId });
  if (filter.sectorId != null) and.push({ sectorId: filter.sectorId });
  const text = filter.nameContains?.trim();
  if (text) {
    const literal = likeLiteral(text);
    and.push({
      OR: [
        { name: { contains: literal } },
        { nameEn: { contains: literal, mode: 'insensitive' } },
        { code: { equals: text } },
      ],
    });
  }
  if (filter.plannedInvestmentMin != null || filter.plannedInvestmentMax != null) {
    and.push({
      plannedInvestment: {
        ...(filter.plannedInvestmentMin != null && { gte: filter.plannedInvestmentMin }),
        ...(filter.plannedInvestmentMax != null && { lte: filter.plannedInvestmentMax }),
      },
    });
  }
  if (filter.reached) {
    const { stage, from, to } = filter.reached;
    and.push({
      stageEvents: {
        some: {
          toStage: { in: stagesAtOrBeyond(stage) },
          ...((from || to) && {
            occurredOn: { ...(from && { gte: from }), ...(to && { lte: to }) },
          }),
        },
      },
    });
  }
  if (filter.changedFrom || filter.changedTo) {
    and.push({
      stageChangedAt: {
        ...(filter.changedFrom && { gte: filter.changedFrom }),
        // `changedTo` is a calendar day: include all of it (up to its last millisecond, which
        // stays a valid timestamp for 9999-12-31, where the next day would not).
        ...(filter.changedTo && { lte: new Date(filter.changedTo.getTime() + 86_399_999) }),
      },
    });
  }
  return and.length ? { AND: and } : {};
}

/**
 * A ProjectFilter applied to stage events. `stage` matches an event into or out of one of the
 * stages (a wall display of "under construction" hears a project arrive and leave); every other
 * condition applies to the event's project as it is when the event is read.
 */
export function stageEventWhere(
  filter: ProjectFilterValues | null | undefined,
): Prisma.ProjectStageEventWhereInput {
  if (!filter) return {};
  const { stage, ...rest } = filter;
  const and: Prisma.ProjectStageEventWhereInput[] = [];
  if (stage?.length) and.push({ OR: [{ toStage: { in: stage } }, { fromStage: { in: stage } }] });
  const project = projectWhere(rest);
  if (Object.keys(project).length) and.push({ project });
  return and.length ? { AND: and } : {};
}
