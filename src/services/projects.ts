/**
 * Creating and editing projects. Everything is checked before anything is written; a project's
 * stage is set once here (its INITIAL event) and changed afterwards only by
 * `changeProjectStage` (./stage-change.ts), so the log always explains the stage.
 */
import { encodeGlobalID } from '@pothos/plugin-relay';
import {
  type DatePrecision,
  Prisma,
  type Project,
  type ProjectStage,
  type ProjectStageEvent,
  StageEventKind,
} from '../generated/prisma/client.ts';
import type { HubPubSub } from '../realtime/event-bus.ts';
import { ConflictError, type FieldProblem, NotFoundError, ValidationError } from './errors.ts';
import {
  AMOUNT_MAX,
  checkAmount,
  checkText,
  NAME_MAX_LENGTH,
  TEXT_MAX_LENGTH,
  type WriteDeps,
} from './input-checks.ts';
import {
  checkStageChange,
  NOTE_MAX_LENGTH,
  normalizeNote,
  publishStageChanged,
} from './stage-change.ts';
import { districtToday, LOG_TRANSACTION_OPTIONS, lockStageLog } from './stage-log.ts';
import { isPipelineStage } from './stages.ts';

/** Project codes: letters, digits, `.`, `_`, `-`; 2 to 40 characters, e.g. `LZ-2025-001`. */
export const PROJECT_CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{1,39}$/;
export { AMOUNT_MAX, NAME_MAX_LENGTH, TEXT_MAX_LENGTH };

/** Money fields and the columns they go to (NUMERIC(20,2): cents). */
const AMOUNT_FIELDS = ['plannedInvestment', 'completedInvestment', 'expectedOutputValue'] as const;

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

type Problems = FieldProblem[];

/** Checks and normalises the editable fields present in `input`; returns what to write. */
function checkFields(
  input: Partial<Record<keyof ProjectFields, unknown>>,
  problems: Problems,
  creating: boolean,
): Prisma.ProjectUncheckedUpdateInput {
  const data: Prisma.ProjectUncheckedUpdateInput = {};
  const str = (k: keyof ProjectFields) => input[k] as string | null | undefined;
  const code = checkText(problems, 'code', str('code'), 40, creating || str('code') !== undefined);
  if (code && !PROJECT_CODE_PATTERN.test(code)) {
    problems.push({
      path: ['input', 'code'],
      message:
        'code must be 2 to 40 letters, digits, ".", "_" or "-", starting with a letter or digit',
    });
  }
  if (code !== undefined && code !== null) data.code = code;
  const name = checkText(
    problems,
    'name',
    str('name'),
    NAME_MAX_LENGTH,
    creating || str('name') !== undefined,
  );
  if (name !== undefined && name !== null) data.name = name;
  const optional: [keyof ProjectFields, number][] = [
    ['nameEn', NAME_MAX_LENGTH],
    ['investor', NAME_MAX_LENGTH],
    ['description', TEXT_MAX_LENGTH],
    ['notes', TEXT_MAX_LENGTH],
  ];
  for (const [field, max] of optional) {
    const value = checkText(problems, field, str(field), max, false);
    if (value !== undefined) (data as Record<string, unknown>)[field] = value;
  }
  for (const field of AMOUNT_FIELDS) {
    const value = checkAmount(problems, field, input[field] as Prisma.Decimal | null | undefined);
    if (value !== undefined) data[field] = value;
  }
  if (input.sectorId !== undefined) data.sectorId = input.sectorId as number | null;
  if (input.parkId !== undefined) data.parkId = input.parkId as number | null;
  return data;
}

type Tx = Prisma.TransactionClient;

/** NotFoundError for a sector or park id that names no row. */
async function checkReferences(tx: Tx, data: Prisma.ProjectUncheckedUpdateInput): Promise<void> {
  if (
    typeof data.sectorId === 'number' &&
    !(await tx.sector.findUnique({ where: { id: data.sectorId }, select: { id: true } }))
  ) {
    throw NotFoundError.node('Sector', data.sectorId, 'Sector');
  }
  if (
    typeof data.parkId === 'number' &&
    !(await tx.park.findUnique({ where: { id: data.parkId }, select: { id: true } }))
  ) {
    throw NotFoundError.node('Park', data.parkId, 'Park');
  }
}

/** ConflictError when another project already has this code or name. */
async function checkUnique(
  tx: Tx,
  data: { code?: unknown; name?: unknown },
  exceptId?: number,
): Promise<void> {
  const or: Prisma.ProjectWhereInput[] = [];
  if (typeof data.code === 'string') or.push({ code: data.code });
  if (typeof data.name === 'string') or.push({ name: data.name });
  if (!or.length) return;
  const clash = await tx.project.findFirst({
    where: { OR: or, ...(exceptId !== undefined && { NOT: { id: exceptId } }) },
    select: { code: true, name: true },
  });
  if (!clash) return;
  const field = clash.code === data.code ? `code ${clash.code}` : `name ${clash.name}`;
  throw new ConflictError(`Another project already has the ${field}`);
}

/** A unique-constraint violation that slipped past `checkUnique` (two concurrent creates). */
function asConflict(error: unknown): unknown {
  if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
    return new ConflictError('Another project already has this code or name');
  }
  return error;
}

/** Checks a new project's input that needs no database; returns what to write. */
function checkCreate(input: CreateProjectInput, now: Date) {
  const today = districtToday(now);
  const problems: Problems = [];
  const data = checkFields(input, problems, true);
  const stage = input.stage ?? 'PLANNED';
  if (!isPipelineStage(stage)) {
    problems.push({
      path: ['input', 'stage'],
      message: `A new project starts at a pipeline stage, not ${stage}`,
    });
  }
  const occurredOn = input.stageOccurredOn ?? today;
  if (occurredOn.getTime() > today.getTime()) {
    problems.push({
      path: ['input', 'stageOccurredOn'],
      message: 'stageOccurredOn is in the future',
    });
  }
  const note = normalizeNote(input.stageNote);
  if (note && note.length > NOTE_MAX_LENGTH) {
    problems.push({
      path: ['input', 'stageNote'],
      message: `stageNote is longer than ${NOTE_MAX_LENGTH} characters`,
    });
  }
  const invalid = ValidationError.of(problems);
  if (invalid) throw invalid;
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
  checkCreate(input, now);
  let result: Awaited<ReturnType<typeof createProjectInTransaction>>;
  try {
    result = await deps.prisma.$transaction(async (tx) => {
      await lockStageLog(tx);
      return createProjectInTransaction(tx, input, actor, now);
    }, LOG_TRANSACTION_OPTIONS);
  } catch (error) {
    throw asConflict(error);
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
        ...(data as Prisma.ProjectUncheckedCreateInput),
        code: data.code as string,
        name: data.name as string,
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
    throw asConflict(error);
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
  const today = districtToday(now);
  const checked = inputs.map((input) => {
    try {
      return checkCreate(input, now);
    } catch (error) {
      return error as Error;
    }
  });
  const valid = checked.filter((c): c is Exclude<typeof c, Error> => !(c instanceof Error));
  const ids = (key: 'sectorId' | 'parkId') => [
    ...new Set(
      valid.flatMap((c) => (typeof c.data[key] === 'number' ? [c.data[key] as number] : [])),
    ),
  ];
  const [sectors, parks, clashes] = await Promise.all([
    tx.sector.findMany({ where: { id: { in: ids('sectorId') } }, select: { id: true } }),
    tx.park.findMany({ where: { id: { in: ids('parkId') } }, select: { id: true } }),
    tx.project.findMany({
      where: {
        OR: [
          { code: { in: valid.map((c) => c.data.code as string) } },
          { name: { in: valid.map((c) => c.data.name as string) } },
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
      if (typeof data.sectorId === 'number' && !sectorIds.has(data.sectorId))
        throw NotFoundError.node('Sector', data.sectorId, 'Sector');
      if (typeof data.parkId === 'number' && !parkIds.has(data.parkId))
        throw NotFoundError.node('Park', data.parkId, 'Park');
      const code = data.code as string;
      const name = data.name as string;
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
      let state = {
        stage,
        stageBeforeSuspension: null as ProjectStage | null,
        lastOccurredOn: occurredOn,
      };
      for (const step of input.history ?? []) {
        const change = checkStageChange(state, step, today);
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
          ...(data as Prisma.ProjectCreateManyInput),
          code,
          name,
          stage: state.stage,
          stageBeforeSuspension: state.stageBeforeSuspension,
          createdBy: actor,
          updatedBy: actor,
        },
        events,
      });
    } catch (error) {
      throw new BatchInputError(index, error as Error);
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
    throw asConflict(error);
  }
}

/** Changes a project's details (never its stage); publishes `dataChanged` after the commit. */
export async function updateProject(
  deps: ProjectWriteDeps,
  id: number,
  patch: UpdateProjectPatch,
  actor: string,
): Promise<Project> {
  const problems: Problems = [];
  checkFields(patch, problems, false);
  const invalid = ValidationError.of(problems);
  if (invalid) throw invalid;

  let project: Project;
  try {
    project = await deps.prisma.$transaction((tx) =>
      updateProjectInTransaction(tx, id, patch, actor),
    );
  } catch (error) {
    throw asConflict(error);
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
  const problems: Problems = [];
  const data = checkFields(patch, problems, false);
  const invalid = ValidationError.of(problems);
  if (invalid) throw invalid;
  try {
    const existing = await tx.project.findUnique({ where: { id } });
    if (!existing) throw NotFoundError.node('Project', id);
    if (!Object.keys(data).length) return existing;
    await checkReferences(tx, data);
    await checkUnique(tx, data, id);
    return await tx.project.update({ where: { id }, data: { ...data, updatedBy: actor } });
  } catch (error) {
    throw asConflict(error);
  }
}
