/**
 * Moving a project through the pipeline: the rules, and the one transaction that records the
 * change. No GraphQL here; `advanceProjectStage` and any importer call `changeProjectStage`.
 *
 * The rules (PIPELINE in ./stages.ts is the order):
 * - ADVANCE: to any later pipeline stage; stages may be skipped (PLANNED → UNDER_CONSTRUCTION).
 * - CORRECTION: to an earlier pipeline stage. It corrects a wrong record, so it needs a note.
 * - SUSPEND: to SUSPENDED from any pipeline stage (AT_CAPACITY included: a plant at capacity
 *   can still stop). The stage left is kept in `stageBeforeSuspension`.
 * - RESUME: from SUSPENDED only back to the stage it left. (A SUSPENDED project whose stage
 *   before is unknown, e.g. imported that way, may resume to any pipeline stage with a note.)
 * - CANCEL: to CANCELLED from any stage but CANCELLED, SUSPENDED included.
 * - CANCELLED is the only terminal stage: nothing moves out of it. AT_CAPACITY is the end of the
 *   pipeline, not terminal: it can be suspended, cancelled or corrected.
 * - Moving to the current stage is an error.
 * - `occurredOn` (default: today in the district, Asia/Shanghai) may not be in the future, nor
 *   before the day of the project's latest event: a project's log reads in date order, which is
 *   what milestones and "reached between" filters rely on. (A stored date known only to the
 *   month is the first of that month, so the check is lenient there.)
 */
import {
  type DatePrecision,
  type Prisma,
  type PrismaClient,
  type Project,
  type ProjectStage,
  type ProjectStageEvent,
  ProjectStage as Stage,
  StageEventKind,
} from '../generated/prisma/client.ts';
import type { HubPubSub } from '../realtime/event-bus.ts';
import { ConflictError, InvalidTransitionError, NotFoundError } from './errors.ts';
import { InputChecks } from './input-checks.ts';
import { LOG_TRANSACTION_OPTIONS, lockStageLog } from './stage-log.ts';
import { PIPELINE, stageRank } from './stages.ts';

/** Longest note an event may carry. */
export const NOTE_MAX_LENGTH = 2000;

/** What the project looks like for the rules. */
export interface StageState {
  stage: ProjectStage;
  stageBeforeSuspension: ProjectStage | null;
}

export interface StagePlan {
  kind: Exclude<StageEventKind, 'INITIAL'>;
  /** The note must be non-empty (corrections; resuming to a stage not on record). */
  requiresNote: boolean;
  /** The project's `stageBeforeSuspension` after the change. */
  stageBeforeSuspension: ProjectStage | null;
}

/** Every stage the project may move to now, in pipeline order, then SUSPENDED, CANCELLED. */
export function allowedStages(state: StageState): ProjectStage[] {
  const { stage } = state;
  if (stage === Stage.CANCELLED) return [];
  if (stage === Stage.SUSPENDED) {
    const back = state.stageBeforeSuspension ? [state.stageBeforeSuspension] : [...PIPELINE];
    return [...back, Stage.CANCELLED];
  }
  return [...PIPELINE.filter((s) => s !== stage), Stage.SUSPENDED, Stage.CANCELLED];
}

/** Classifies a move, or throws InvalidTransitionError when the rules do not allow it. */
export function planStageChange(state: StageState, toStage: ProjectStage): StagePlan {
  const from = state.stage;
  const refuse = (why: string): never => {
    throw new InvalidTransitionError(
      `${why} (allowed now: ${allowedStages(state).join(', ') || 'none'})`,
      from,
      toStage,
      allowedStages(state),
    );
  };
  if (toStage === from) refuse(`The project is already ${from}`);
  if (from === Stage.CANCELLED) refuse('The project is CANCELLED, which is final');
  if (toStage === Stage.CANCELLED)
    return { kind: StageEventKind.CANCEL, requiresNote: false, stageBeforeSuspension: null };
  if (from === Stage.SUSPENDED) {
    const back = state.stageBeforeSuspension;
    if (back === null)
      return { kind: StageEventKind.RESUME, requiresNote: true, stageBeforeSuspension: null };
    if (toStage !== back) refuse(`A SUSPENDED project resumes only at the stage it left, ${back}`);
    return { kind: StageEventKind.RESUME, requiresNote: false, stageBeforeSuspension: null };
  }
  // `from` is a pipeline stage from here on.
  if (toStage === Stage.SUSPENDED)
    return { kind: StageEventKind.SUSPEND, requiresNote: false, stageBeforeSuspension: from };
  if (stageRank(toStage) > stageRank(from))
    return { kind: StageEventKind.ADVANCE, requiresNote: false, stageBeforeSuspension: null };
  return { kind: StageEventKind.CORRECTION, requiresNote: true, stageBeforeSuspension: null };
}

export interface StageChangeInput {
  projectId: number;
  toStage: ProjectStage;
  /** The day it happened. @default today in the district */
  occurredOn?: Date | null;
  /** How exact `occurredOn` is. @default 'DAY' */
  occurredPrecision?: DatePrecision | null;
  note?: string | null;
  /**
   * The stage the editor saw. When given and the project is no longer there (someone else
   * moved it), ConflictError instead of a change built on a stale screen.
   */
  expectedStage?: ProjectStage | null;
}

export interface StageChangeDeps {
  prisma: PrismaClient;
  /** Told about the change after it commits. */
  pubsub?: Pick<HubPubSub, 'publish'>;
  /** For tests: "now". */
  now?: () => Date;
}

export interface StageChangeResult {
  project: Project;
  event: ProjectStageEvent;
}

/** A change's input checked on its own: the note and the day to write. */
export interface CheckedStageInput {
  note: string | null;
  occurredOn: Date;
}

/**
 * Checks what a change's input says on its own, needing no database: a note of at most
 * NOTE_MAX_LENGTH characters (trimmed; blank is none), and a real day that is not in the future
 * (default: today in the district). Throws one ValidationError naming every problem.
 */
export function checkStageInput(
  input: Pick<StageChangeInput, 'note' | 'occurredOn'>,
  now: Date,
): CheckedStageInput {
  const check = new InputChecks(now);
  const note = check.text('note', input.note, NOTE_MAX_LENGTH) ?? null;
  const occurredOn = check.date('occurredOn', input.occurredOn, { notFuture: true }) ?? check.today;
  check.throwIfInvalid();
  return { note, occurredOn };
}

function iso(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * Checks a change, its input already checked (`checkStageInput`), against a project's state
 * (its stage, stage before suspension and the day of its latest event): the rules, the note a
 * correction or an unrecorded resume needs, and the log's date order. Throws
 * InvalidTransitionError or ValidationError; returns the plan.
 */
export function checkStageRules(
  state: StageState & { lastOccurredOn: Date | null },
  toStage: ProjectStage,
  { note, occurredOn }: CheckedStageInput,
): StagePlan {
  const plan = planStageChange(state, toStage);
  const check = new InputChecks();
  if (plan.requiresNote && !note) {
    const what =
      plan.kind === StageEventKind.CORRECTION
        ? `Moving back from ${state.stage} to ${toStage} is a correction`
        : 'Resuming to a stage not on record';
    check.problem('note', `${what}: it needs a note saying why`);
  }
  if (state.lastOccurredOn && occurredOn.getTime() < state.lastOccurredOn.getTime()) {
    check.problem(
      'occurredOn',
      `occurredOn ${iso(occurredOn)} is before the project's latest stage change (${iso(state.lastOccurredOn)})`,
    );
  }
  check.throwIfInvalid();
  return plan;
}

/**
 * One change checked whole against a state the caller already knows (a new project's history in
 * a CSV import): `checkStageInput`, then `checkStageRules`, exactly what `changeProjectStage`
 * checks. Throws InvalidTransitionError or ValidationError; returns the plan and the values to
 * write.
 */
export function checkStageChange(
  state: StageState & { lastOccurredOn: Date | null },
  input: Pick<StageChangeInput, 'toStage' | 'occurredOn' | 'note'>,
  now: Date,
): { plan: StagePlan } & CheckedStageInput {
  const checked = checkStageInput(input, now);
  return { plan: checkStageRules(state, input.toStage, checked), ...checked };
}

/**
 * Changes a project's stage: in one transaction, under the log's lock, checks the rules against
 * the committed project, appends the event and updates the project (stage, stage before
 * suspension, stageChangedAt = the event's recordedAt, updatedBy). Publishes `stageChanged`
 * after the commit. Throws ValidationError, NotFoundError, ConflictError or
 * InvalidTransitionError, having written nothing.
 */
export async function changeProjectStage(
  deps: StageChangeDeps,
  input: StageChangeInput,
  actor: string,
): Promise<StageChangeResult> {
  const now = deps.now?.() ?? new Date();
  const result = await deps.prisma.$transaction(async (tx) => {
    await lockStageLog(tx);
    return changeProjectStageInTransaction(tx, input, actor, now);
  }, LOG_TRANSACTION_OPTIONS);
  publishStageChanged(deps.pubsub, result.event);
  return result;
}

/** Tells subscribers about a committed stage event (call only after its transaction commits). */
export function publishStageChanged(
  pubsub: Pick<HubPubSub, 'publish'> | undefined,
  event: Pick<ProjectStageEvent, 'sequence' | 'projectId'>,
): void {
  pubsub?.publish('stageChanged', {
    sequence: event.sequence.toString(),
    projectId: event.projectId,
  });
}

/**
 * `changeProjectStage` inside a transaction the caller owns, so several writes can commit or
 * fail together (the CSV import): the same checks, rules and writes, but no commit and no
 * publish. The caller must already hold the log's lock (`lockStageLog(tx)`) and, after its
 * commit, call `publishStageChanged` for the event. Throws the same typed errors; the caller's
 * transaction then rolls back.
 */
export async function changeProjectStageInTransaction(
  tx: Prisma.TransactionClient,
  input: StageChangeInput,
  actor: string,
  now: Date = new Date(),
): Promise<StageChangeResult> {
  const checked = checkStageInput(input, now);
  // The project and the day of its latest event, in one statement.
  const project = await tx.project.findUnique({
    where: { id: input.projectId },
    select: {
      id: true,
      stage: true,
      stageBeforeSuspension: true,
      stageEvents: { orderBy: { sequence: 'desc' }, take: 1, select: { occurredOn: true } },
    },
  });
  if (!project) throw NotFoundError.node('Project', input.projectId);
  if (input.expectedStage && input.expectedStage !== project.stage) {
    throw new ConflictError(
      `The project is ${project.stage} now, not ${input.expectedStage} as expected; reload it and try again`,
    );
  }
  const plan = checkStageRules(
    { ...project, lastOccurredOn: project.stageEvents[0]?.occurredOn ?? null },
    input.toStage,
    checked,
  );
  const { note, occurredOn } = checked;

  const event = await tx.projectStageEvent.create({
    data: {
      projectId: project.id,
      kind: plan.kind,
      fromStage: project.stage,
      toStage: input.toStage,
      occurredOn,
      occurredPrecision: input.occurredPrecision ?? 'DAY',
      actor,
      note,
    },
  });
  const updated = await tx.project.update({
    where: { id: project.id },
    data: {
      stage: input.toStage,
      stageBeforeSuspension: plan.stageBeforeSuspension,
      stageChangedAt: event.recordedAt,
      updatedBy: actor,
    },
  });
  return { project: updated, event };
}
