/**
 * Creating and editing projects. Everything is checked before anything is written, by the
 * checks every editor write uses (./input-checks.ts), and a duplicate code or name is the same
 * ConflictError whether found first or raised by the database; a project's
 * stage is set once here (its INITIAL event) and changed afterwards only by
 * `changeProjectStage` (./stage-change.ts), so the log always explains the stage.
 */
import { encodeGlobalID } from '@pothos/plugin-relay';
import {
  type DatePrecision,
  type Prisma,
  type Project,
  type ProjectStage,
  type ProjectStageEvent,
  StageEventKind,
} from '../generated/prisma/client.ts';
import type { HubPubSub } from '../realtime/event-bus.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import {
  AMOUNT_MAX,
  conflictOnDuplicate,
  InputChecks,
  NAME_MAX_LENGTH,
  TEXT_MAX_LENGTH,
  type WriteDeps,
} from './input-checks.ts';
import {
  checkStageChange,
  NOTE_MAX_LENGTH,
  publishStageChanged,
  type StageState,
} from './stage-change.ts';
import { LOG_TRANSACTION_OPTIONS, lockStageLog } from './stage-log.ts';
import { isPipelineStage } from './stages.ts';

/** Project codes: letters, digits, `.`, `_`, `-`; 2 to 40 characters, e.g. `LZ-2025-001`. */
export const PROJECT_CODE_MAX_LENGTH = 40;
export { AMOUNT_MAX, NAME_MAX_LENGTH, TEXT_MAX_LENGTH };

export interface ProjectFields {
  code: string;
  name: string;
  nameEn: string | null;
  description: string | null;
  sectorId: number | null;
  parkId: number | null;
  investor: string | null;
  plannedInvestment: Prisma.Decimal | null;
  completedInvestment: Prisma.Decimal | null;
  expectedOutputValue: Prisma.Decimal | null;
  notes: string | null;
}

export type CreateProjectInput = Pick<ProjectFields, 'code' | 'name'> &
  Partial<Omit<ProjectFields, 'code' | 'name'>> & {
    /** The stage it is recorded at; a pipeline stage. @default 'PLANNED' */
    stage?: ProjectStage | null;
    /** When it reached that stage. @default today in the district */
    stageOccurredOn?: Date | null;
    stageOccurredPrecision?: DatePrecision | null;
    stageNote?: string | null;
  };

/** Fields to change: absent (undefined) keeps, null clears (not for `code` and `name`). */
export type UpdateProjectPatch = { [K in keyof ProjectFields]?: ProjectFields[K] | null };

export type ProjectWriteDeps = WriteDeps;

/** The fields besides code and name, as checked: absent stays absent, null clears. */
type ProjectDetails = Partial<Omit<ProjectFields, 'code' | 'name'>>;

/** Optional text fields and their longest length. */
const TEXT_FIELDS = [
  ['nameEn', NAME_MAX_LENGTH],
  ['investor', NAME_MAX_LENGTH],
  ['description', TEXT_MAX_LENGTH],
  ['notes', TEXT_MAX_LENGTH],
] as const;
/** Money fields (NUMERIC(20,2): yuan and fen). */
const AMOUNT_FIELDS = ['plannedInvestment', 'completedInvestment', 'expectedOutputValue'] as const;

/** Checks and normalises the fields besides code and name that `input` has. */
function checkDetails(check: InputChecks, input: UpdateProjectPatch): ProjectDetails {
  const data: ProjectDetails = {};
  for (const [field, max] of TEXT_FIELDS) {
    const value = check.text(field, input[field], max);
    if (value !== undefined) data[field] = value;
  }
  for (const field of AMOUNT_FIELDS) {
    const value = check.amount(field, input[field]);
    if (value !== undefined) data[field] = value;
  }
  if (input.sectorId !== undefined) data.sectorId = input.sectorId;
  if (input.parkId !== undefined) data.parkId = input.parkId;
  return data;
}

/** A project code; absent stays undefined, blank is null (a problem when required). */
function checkCode(check: InputChecks, value: string | null | undefined, required: boolean) {
  return check.code('code', value, required, PROJECT_CODE_MAX_LENGTH);
}

type Tx = Prisma.TransactionClient;

/** NotFoundError for a sector or park id that names no row. */
async function checkReferences(tx: Tx, data: ProjectDetails): Promise<void> {
  if (
    data.sectorId != null &&
    !(await tx.sector.findUnique({ where: { id: data.sectorId }, select: { id: true } }))
  ) {
    throw NotFoundError.node('Sector', data.sectorId, 'Sector');
  }
  if (
    data.parkId != null &&
    !(await tx.park.findUnique({ where: { id: data.parkId }, select: { id: true } }))
  ) {
    throw NotFoundError.node('Park', data.parkId, 'Park');
  }
}

/** ConflictError when another project already has this code or name. */
async function checkUnique(
  tx: Tx,
  data: { code?: string; name?: string },
  exceptId?: number,
): Promise<void> {
  const or: Prisma.ProjectWhereInput[] = [];
  if (data.code !== undefined) or.push({ code: data.code });
  if (data.name !== undefined) or.push({ name: data.name });
  if (!or.length) return;
  const clash = await tx.project.findFirst({
    where: { OR: or, ...(exceptId !== undefined && { NOT: { id: exceptId } }) },
    select: { code: true, name: true },
  });
  if (!clash) return;
  const field = clash.code === data.code ? `code ${clash.code}` : `name ${clash.name}`;
  throw new ConflictError(`Another project already has the ${field}`);
}

/** A unique-constraint violation that slipped past `checkUnique` (two concurrent writes). */
const DUPLICATE = 'Another project already has this code or name';

/** Checks a new project's input that needs no database; returns what to write. */
function checkCreate(input: CreateProjectInput, now: Date) {
  const check = new InputChecks(now);
  const code = checkCode(check, input.code ?? null, true) ?? '';
  const name = check.requiredText('name', input.name, NAME_MAX_LENGTH);
  const data: ProjectDetails & Pick<ProjectFields, 'code' | 'name'> = {
    code,
    name,
    ...checkDetails(check, input),
  };
  const stage = input.stage ?? 'PLANNED';
  if (!isPipelineStage(stage))
    check.problem('stage', `A new project starts at a pipeline stage, not ${stage}`);
  const occurredOn =
    check.date('stageOccurredOn', input.stageOccurredOn, { notFuture: true }) ?? check.today;
  const note = check.text('stageNote', input.stageNote, NOTE_MAX_LENGTH) ?? null;
  check.throwIfInvalid();
  return { data, stage, occurredOn, note };
}

/**
 * Creates a project with its INITIAL stage event, in one transaction under the log's lock, and
 * publishes the event after the commit.
 */
export async function createProject(
  deps: ProjectWriteDeps,
  input: CreateProjectInput,
  actor: string,
): Promise<{ project: Project; event: ProjectStageEvent }> {
  const now = deps.now?.() ?? new Date();
  let result: Awaited<ReturnType<typeof createProjectInTransaction>>;
  try {
    result = await deps.prisma.$transaction(async (tx) => {
      await lockStageLog(tx);
      return createProjectInTransaction(tx, input, actor, now);
    }, LOG_TRANSACTION_OPTIONS);
  } catch (error) {
    throw conflictOnDuplicate(error, DUPLICATE);
  }
  publishStageChanged(deps.pubsub, result.event);
  // A new project also joins its park's and sector's lists.
  publishProjectChanged(deps.pubsub, result.project);
  return result;
}

/**
 * `createProject` inside a transaction the caller owns (the CSV import): the same checks and
 * writes, no commit, no publish. The caller must already hold the log's lock and, after its
 * commit, call `publishStageChanged` for the event.
 */
export async function createProjectInTransaction(
  tx: Tx,
  input: CreateProjectInput,
  actor: string,
  now: Date = new Date(),
): Promise<{ project: Project; event: ProjectStageEvent }> {
  const { data, stage, occurredOn, note } = checkCreate(input, now);
  try {
    await checkReferences(tx, data);
    await checkUnique(tx, data);
    const project = await tx.project.create({
      data: {
        ...data,
        stage,
        createdBy: actor,
        updatedBy: actor,
      },
    });
    const event = await tx.projectStageEvent.create({
      data: {
        projectId: project.id,
        kind: StageEventKind.INITIAL,
        fromStage: null,
        toStage: stage,
        occurredOn,
        occurredPrecision: input.stageOccurredPrecision ?? 'DAY',
        actor,
        note,
      },
    });
    const stamped = await tx.project.update({
      where: { id: project.id },
      data: { stageChangedAt: event.recordedAt },
    });
    return { project: stamped, event };
  } catch (error) {
    throw conflictOnDuplicate(error, DUPLICATE);
  }
}

/** A stage change that follows a new project's INITIAL event in `createProjectsInTransaction`. */
export interface StageStep {
  toStage: ProjectStage;
  /** @default today in the district */
  occurredOn?: Date | null;
  /** @default 'DAY' */
  occurredPrecision?: DatePrecision | null;
  note?: string | null;
}

/** A typed error about one input of a batch: `index` says which, `error` is the typed error. */
export class BatchInputError extends Error {
  override name = 'BatchInputError';
  constructor(
    readonly index: number,
    readonly error: Error,
  ) {
    super(error.message);
  }
}

/**
 * Creates many projects, each with its INITIAL event followed by the stage changes of its
 * `history`: what `createProject` and then `changeProjectStage` for each step would write, after
 * the same checks (`checkCreate`, references, uniqueness, `checkStageChange`), input by input so
 * the first bad input is the one reported, but in set-based statements: one look-up of
 * references, one of clashing codes and names, one insert of projects (at their final stage) and
 * one of events. All events of a call share one recordedAt, which is each project's
 * stageChangedAt. For bulk imports: the caller holds the log's lock and, after its commit,
 * publishes `stageChanged` for each event. Throws BatchInputError.
 */
export async function createProjectsInTransaction(
  tx: Tx,
  inputs: readonly (CreateProjectInput & { history?: readonly StageStep[] })[],
  actor: string,
  now: Date = new Date(),
): Promise<{ projects: Project[]; events: number }> {
  if (!inputs.length) return { projects: [], events: 0 };
  const checked = inputs.map((input) => {
    try {
      return checkCreate(input, now);
    } catch (error) {
      if (error instanceof Error) return error;
      throw error;
    }
  });
  const valid = checked.flatMap((c) => (c instanceof Error ? [] : [c]));
  const ids = (key: 'sectorId' | 'parkId') => [...new Set(valid.flatMap((c) => c.data[key] ?? []))];
  const [sectors, parks, clashes] = await Promise.all([
    tx.sector.findMany({ where: { id: { in: ids('sectorId') } }, select: { id: true } }),
    tx.park.findMany({ where: { id: { in: ids('parkId') } }, select: { id: true } }),
    tx.project.findMany({
      where: {
        OR: [
          { code: { in: valid.map((c) => c.data.code) } },
          { name: { in: valid.map((c) => c.data.name) } },
        ],
      },
      select: { code: true, name: true },
    }),
  ]);
  const sectorIds = new Set(sectors.map((x) => x.id));
  const parkIds = new Set(parks.map((x) => x.id));
  const codes = new Set(clashes.map((x) => x.code));
  const names = new Set(clashes.map((x) => x.name));

  const rows: {
    data: Prisma.ProjectCreateManyInput;
    events: Omit<Prisma.ProjectStageEventCreateManyInput, 'projectId'>[];
  }[] = [];
  checked.forEach((c, index) => {
    try {
      if (c instanceof Error) throw c;
      const { data, stage, occurredOn, note } = c;
      if (data.sectorId != null && !sectorIds.has(data.sectorId))
        throw NotFoundError.node('Sector', data.sectorId, 'Sector');
      if (data.parkId != null && !parkIds.has(data.parkId))
        throw NotFoundError.node('Park', data.parkId, 'Park');
      const { code, name } = data;
      if (codes.has(code)) throw new ConflictError(`Another project already has the code ${code}`);
      if (names.has(name)) throw new ConflictError(`Another project already has the name ${name}`);
      codes.add(code);
      names.add(name);
      const input = inputs[index]!;
      const events: Omit<Prisma.ProjectStageEventCreateManyInput, 'projectId'>[] = [
        {
          kind: StageEventKind.INITIAL,
          fromStage: null,
          toStage: stage,
          occurredOn,
          occurredPrecision: input.stageOccurredPrecision ?? 'DAY',
          actor,
          note,
        },
      ];
      let state: StageState & { lastOccurredOn: Date } = {
        stage,
        stageBeforeSuspension: null,
        lastOccurredOn: occurredOn,
      };
      for (const step of input.history ?? []) {
        const change = checkStageChange(state, step, now);
        events.push({
          kind: change.plan.kind,
          fromStage: state.stage,
          toStage: step.toStage,
          occurredOn: change.occurredOn,
          occurredPrecision: step.occurredPrecision ?? 'DAY',
          actor,
          note: change.note,
        });
        state = {
          stage: step.toStage,
          stageBeforeSuspension: change.plan.stageBeforeSuspension,
          lastOccurredOn: change.occurredOn,
        };
      }
      rows.push({
        data: {
          ...data,
          stage: state.stage,
          stageBeforeSuspension: state.stageBeforeSuspension,
          createdBy: actor,
          updatedBy: actor,
        },
        events,
      });
    } catch (error) {
      throw error instanceof Error ? new BatchInputError(index, error) : error;
    }
  });

  const recordedAt = new Date();
  try {
    const projects = await tx.project.createManyAndReturn({
      data: rows.map((r) => ({ ...r.data, stageChangedAt: recordedAt })),
    });
    const idByCode = new Map(projects.map((p) => [p.code, p.id]));
    const events = rows.flatMap((r) =>
      r.events.map((e) => ({ ...e, projectId: idByCode.get(r.data.code)!, recordedAt })),
    );
    await tx.projectStageEvent.createMany({ data: events });
    return { projects, events: events.length };
  } catch (error) {
    throw conflictOnDuplicate(error, DUPLICATE);
  }
}

/** Changes a project's details (never its stage); publishes `dataChanged` after the commit. */
export async function updateProject(
  deps: ProjectWriteDeps,
  id: number,
  patch: UpdateProjectPatch,
  actor: string,
): Promise<Project> {
  let project: Project;
  try {
    project = await deps.prisma.$transaction((tx) =>
      updateProjectInTransaction(tx, id, patch, actor),
    );
  } catch (error) {
    throw conflictOnDuplicate(error, DUPLICATE);
  }
  publishProjectChanged(deps.pubsub, project);
  return project;
}

/**
 * Tells dashboards and live queries that a project's details changed (call only after the
 * commit). Naming the project and its park (its park now: a park it left listed the project,
 * which live queries track by id) lets live queries re-run only where they read them; without a
 * project (an import), every live query that reads projects re-runs.
 */
export function publishProjectChanged(
  pubsub: Pick<HubPubSub, 'publish'> | undefined,
  project?: Pick<Project, 'id' | 'parkId' | 'sectorId'>,
): void {
  const nodes = project && [encodeGlobalID('Project', project.id)];
  if (project?.parkId != null) nodes!.push(encodeGlobalID('Park', project.parkId));
  if (project?.sectorId != null) nodes!.push(encodeGlobalID('Sector', project.sectorId));
  pubsub?.publish('dataChanged', { domain: 'project', year: null, nodes });
}

/**
 * `updateProject` inside a transaction the caller owns (the CSV import): the same checks and
 * write, no commit, no publish; the caller calls `publishProjectChanged` after its commit.
 */
export async function updateProjectInTransaction(
  tx: Tx,
  id: number,
  patch: UpdateProjectPatch,
  actor: string,
): Promise<Project> {
  const check = new InputChecks();
  const code = checkCode(check, patch.code, patch.code !== undefined);
  const name = check.text('name', patch.name, NAME_MAX_LENGTH, patch.name !== undefined);
  const data: ProjectDetails & Partial<Pick<ProjectFields, 'code' | 'name'>> = {
    ...(code != null && { code }),
    ...(name != null && { name }),
    ...checkDetails(check, patch),
  };
  check.throwIfInvalid();
  try {
    const existing = await tx.project.findUnique({ where: { id } });
    if (!existing) throw NotFoundError.node('Project', id);
    if (!Object.keys(data).length) return existing;
    await checkReferences(tx, data);
    await checkUnique(tx, data, id);
    return await tx.project.update({ where: { id }, data: { ...data, updatedBy: actor } });
  } catch (error) {
    throw conflictOnDuplicate(error, DUPLICATE);
  }
}
