/**
 * The stage vocabulary, its one home: the pipeline's order, each stage's names (Chinese as the
 * district reports it, a short English label, an English meaning), and what "reached a stage"
 * means. The schema's enum descriptions, the CSV headers and cells, the OC4IDS milestone titles
 * and the wall display (served as /wall/vocabulary.json) all read them from here.
 */
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

/** What a stage is called. */
export interface StageTerm {
  /** 中文, as the district reports it (CSV cells and headers, the wall, OC4IDS titles). */
  zh: string;
  /** A short English label (the wall in English). */
  en: string;
  /** What the stage means, in English (the schema's description, after the Chinese). */
  meaning: string;
  /** Other Chinese names a spreadsheet may use for it; the CSV import accepts them. */
  also?: readonly string[];
}

/** Every stage's names, in pipeline order and then SUSPENDED, CANCELLED. */
export const STAGE_TERMS: Readonly<Record<ProjectStage, StageTerm>> = {
  PLANNED: { zh: '谋划储备', en: 'Planned', meaning: 'In the reserve pipeline, planned.' },
  NEGOTIATING: {
    zh: '在谈',
    en: 'Negotiating',
    meaning: 'Under negotiation with the investor.',
  },
  SIGNED: { zh: '签约', en: 'Signed', meaning: 'Investment agreement signed.' },
  LANDED: {
    zh: '落地',
    en: 'Landed',
    meaning: 'Landed: the investor has committed to the district.',
  },
  APPROVED: {
    zh: '审批/备案',
    en: 'Approved',
    meaning: 'Approval or filing done.',
    also: ['审批备案', '审批', '备案'],
  },
  TENDERED: { zh: '招投标', en: 'Tendered', meaning: 'Tendering done.' },
  LAND_ACQUIRED: { zh: '摘牌', en: 'Land acquired', meaning: 'Land parcel won.' },
  REGISTERED: {
    zh: '申报入库',
    en: 'Registered',
    meaning: 'Submitted to the statistical project database.',
  },
  UNDER_CONSTRUCTION: {
    zh: '开复工',
    en: 'Construction',
    meaning: 'Construction started or resumed.',
  },
  COMPLETED: { zh: '竣工', en: 'Completed', meaning: 'Construction completed.' },
  IN_OPERATION: { zh: '投产', en: 'In operation', meaning: 'In operation.' },
  AT_CAPACITY: { zh: '达效', en: 'At capacity', meaning: 'Designed capacity reached.' },
  SUSPENDED: {
    zh: '暂停',
    en: 'Suspended',
    meaning: 'Suspended; may return to the stage it left.',
  },
  CANCELLED: { zh: '取消', en: 'Cancelled', meaning: 'Cancelled; terminal.' },
};

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
