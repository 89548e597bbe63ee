import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/index.ts';
import { ProjectStage, StageEventKind } from '../src/generated/prisma/client.ts';
import {
  ConflictError,
  InvalidTransitionError,
  NotFoundError,
  ValidationError,
} from '../src/services/errors.ts';
import {
  allowedStages,
  changeProjectStage,
  planStageChange,
  type StageState,
} from '../src/services/stage-change.ts';
import { districtToday } from '../src/services/stage-log.ts';
import { PIPELINE } from '../src/services/stages.ts';
import { describeEachEngine, openTestDatabase } from './helpers/db.ts';
import {
  createTestPark,
  createTestProjects,
  databaseSnapshot,
  TEST_ACTOR,
} from './helpers/fixtures.ts';
import { openLoggedDatabase } from './helpers/query-log.ts';
import { startTestHub, type TestHub } from './helpers/server.ts';

/** A mutation's union result as these tests select it: a success's event or an error's fields. */
interface Outcome {
  __typename: string;
  message?: string;
  problems?: { path: string[]; message?: string }[];
  event?: { sequence: string };
  /** NotFoundError: the id not found. */
  id?: string;
}

const ALL_STAGES = Object.values(ProjectStage);
const day = (iso: string) => new Date(`${iso}T00:00:00Z`);

describe('stage rules', () => {
  const at = (
    stage: ProjectStage,
    stageBeforeSuspension: ProjectStage | null = null,
  ): StageState => ({ stage, stageBeforeSuspension });

  it('should let a forward move skip stages (ADVANCE)', () => {
    expect(planStageChange(at('PLANNED'), 'UNDER_CONSTRUCTION')).toMatchObject({
      kind: 'ADVANCE',
      requiresNote: false,
    });
  });

  it('should treat a backward move as a CORRECTION that needs a note', () => {
    expect(planStageChange(at('LANDED'), 'SIGNED')).toMatchObject({
      kind: 'CORRECTION',
      requiresNote: true,
    });
  });

  it('should suspend from any pipeline stage, AT_CAPACITY included, remembering the stage left', () => {
    for (const stage of PIPELINE) {
      expect(planStageChange(at(stage), 'SUSPENDED')).toEqual({
        kind: 'SUSPEND',
        requiresNote: false,
        stageBeforeSuspension: stage,
      });
    }
  });

  it('should resume a SUSPENDED project only at the stage it left (RESUME)', () => {
    expect(planStageChange(at('SUSPENDED', 'TENDERED'), 'TENDERED')).toMatchObject({
      kind: 'RESUME',
      stageBeforeSuspension: null,
    });
    expect(() => planStageChange(at('SUSPENDED', 'TENDERED'), 'COMPLETED')).toThrow(
      InvalidTransitionError,
    );
    expect(() => planStageChange(at('SUSPENDED', 'TENDERED'), 'PLANNED')).toThrow(
      InvalidTransitionError,
    );
  });

  it('should cancel from any stage but CANCELLED, which is final', () => {
    for (const stage of [...PIPELINE, ProjectStage.SUSPENDED]) {
      expect(
        planStageChange(at(stage, stage === 'SUSPENDED' ? 'SIGNED' : null), 'CANCELLED').kind,
      ).toBe('CANCEL');
    }
    for (const to of ALL_STAGES)
      expect(() => planStageChange(at('CANCELLED'), to)).toThrow(InvalidTransitionError);
    expect(allowedStages(at('CANCELLED'))).toEqual([]);
  });

  it('should refuse a move to the current stage', () => {
    for (const stage of ALL_STAGES) {
      expect(() =>
        planStageChange(at(stage, stage === 'SUSPENDED' ? 'SIGNED' : null), stage),
      ).toThrow(InvalidTransitionError);
    }
  });

  it('should allow exactly the stages allowedStages lists, from every state', () => {
    const states = [
      ...PIPELINE.map((s) => at(s)),
      ...PIPELINE.map((s) => at('SUSPENDED', s)),
      at('CANCELLED'),
    ];
    for (const state of states) {
      const allowed = allowedStages(state);
      for (const to of ALL_STAGES) {
        let ok = true;
        try {
          planStageChange(state, to);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidTransitionError);
          expect((error as InvalidTransitionError).allowedStages).toEqual(allowed);
          ok = false;
        }
        expect(ok, `${state.stage}(${state.stageBeforeSuspension}) → ${to}`).toBe(
          allowed.includes(to),
        );
      }
    }
  });

  it("should take today's date in Liaozhong (UTC+8), not the server's", () => {
    expect(districtToday(new Date('2025-07-31T16:30:00Z')).toISOString()).toBe(
      '2025-08-01T00:00:00.000Z',
    );
    expect(districtToday(new Date('2025-07-31T15:59:00Z')).toISOString()).toBe(
      '2025-07-31T00:00:00.000Z',
    );
  });
});

describeEachEngine('changeProjectStage statements', (engine) => {
  let logged: Awaited<ReturnType<typeof openLoggedDatabase>>;

  beforeAll(async () => {
    logged = await openLoggedDatabase(engine);
  });
  afterAll(async () => {
    await logged?.db.close();
  });

  it('should read the project and the day of its latest event in one statement, under the lock', async () => {
    const { db, log } = logged;
    const [p] = await createTestProjects(db.prisma, 1, { prefix: 'STMT' });
    await changeProjectStage({ prisma: db.prisma }, { projectId: p!.id, toStage: 'SIGNED' }, 'k');
    const { statements } = await log.measure(() =>
      changeProjectStage({ prisma: db.prisma }, { projectId: p!.id, toStage: 'LANDED' }, 'k'),
    );
    const lock = statements.findIndex((sql) => sql.includes('pg_advisory_xact_lock'));
    const insert = statements.findIndex((sql) =>
      /^INSERT INTO "public"."ProjectStageEvent"/.test(sql),
    );
    expect(lock).toBeGreaterThanOrEqual(0);
    expect(insert).toBeGreaterThan(lock);
    const reads = statements.slice(lock + 1, insert);
    expect(reads).toHaveLength(1);
    expect(reads[0]).toContain('"Project"');
    expect(reads[0]).toContain('"ProjectStageEvent"');
  });
});

describeEachEngine('changeProjectStage', (engine) => {
  let db: Database;
  const published: { sequence: string; projectId: number }[] = [];
  const pubsub = {
    publish: (_topic: string, payload: unknown) =>
      void published.push(payload as (typeof published)[number]),
  };

  beforeAll(async () => {
    db = await openTestDatabase(engine);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('should update the project and append the event in one transaction, then publish', async () => {
    const [p] = await createTestProjects(db.prisma, 1, { prefix: 'ONE' });
    const before = published.length;
    const { project, event } = await changeProjectStage(
      { prisma: db.prisma, pubsub },
      { projectId: p!.id, toStage: 'SIGNED', note: '  签约仪式  ' },
      'key:alice',
    );
    expect(project).toMatchObject({
      stage: 'SIGNED',
      stageBeforeSuspension: null,
      updatedBy: 'key:alice',
    });
    expect(project.stageChangedAt.getTime()).toBe(event.recordedAt.getTime());
    expect(event).toMatchObject({
      kind: 'ADVANCE',
      fromStage: 'PLANNED',
      toStage: 'SIGNED',
      actor: 'key:alice',
      note: '签约仪式',
    });
    expect(event.occurredOn.toISOString()).toBe(districtToday().toISOString());
    expect(published.slice(before)).toEqual([
      { sequence: event.sequence.toString(), projectId: p!.id },
    ]);
  });

  it('should keep and clear stageBeforeSuspension through SUSPEND and RESUME', async () => {
    const [p] = await createTestProjects(db.prisma, 1, { prefix: 'SUS', stage: 'TENDERED' });
    const suspended = await changeProjectStage(
      { prisma: db.prisma },
      { projectId: p!.id, toStage: 'SUSPENDED' },
      TEST_ACTOR,
    );
    expect(suspended.project).toMatchObject({
      stage: 'SUSPENDED',
      stageBeforeSuspension: 'TENDERED',
    });
    expect(suspended.event.kind).toBe(StageEventKind.SUSPEND);
    await expect(
      changeProjectStage(
        { prisma: db.prisma },
        { projectId: p!.id, toStage: 'COMPLETED' },
        TEST_ACTOR,
      ),
    ).rejects.toMatchObject({
      name: 'InvalidTransitionError',
      allowedStages: ['TENDERED', 'CANCELLED'],
    });
    const resumed = await changeProjectStage(
      { prisma: db.prisma },
      { projectId: p!.id, toStage: 'TENDERED' },
      TEST_ACTOR,
    );
    expect(resumed.project).toMatchObject({ stage: 'TENDERED', stageBeforeSuspension: null });
    expect(resumed.event.kind).toBe(StageEventKind.RESUME);
  });

  it('should reject bad input and transitions with typed errors, writing and publishing nothing', async () => {
    const [p] = await createTestProjects(db.prisma, 1, {
      prefix: 'BAD',
      stage: 'LANDED',
      stageOccurredOn: day('2025-03-10'),
    });
    const before = await databaseSnapshot(db.prisma);
    const publishedBefore = published.length;
    const deps = { prisma: db.prisma, pubsub };
    const attempts: [
      Parameters<typeof changeProjectStage>[1],
      new (...args: never[]) => Error,
      string?,
    ][] = [
      [{ projectId: p!.id, toStage: 'LANDED' }, InvalidTransitionError],
      [{ projectId: p!.id, toStage: 'SIGNED' }, ValidationError, 'note'],
      [{ projectId: p!.id, toStage: 'SIGNED', note: '   ' }, ValidationError, 'note'],
      [{ projectId: p!.id, toStage: 'APPROVED', note: 'x'.repeat(2001) }, ValidationError, 'note'],
      [
        { projectId: p!.id, toStage: 'APPROVED', occurredOn: day('2999-01-01') },
        ValidationError,
        'occurredOn',
      ],
      [
        { projectId: p!.id, toStage: 'APPROVED', occurredOn: day('2025-03-09') },
        ValidationError,
        'occurredOn',
      ],
      [{ projectId: p!.id, toStage: 'APPROVED', expectedStage: 'SIGNED' }, ConflictError],
      [{ projectId: 987_654, toStage: 'APPROVED' }, NotFoundError],
    ];
    for (const [input, type, field] of attempts) {
      const error = await changeProjectStage(deps, input, TEST_ACTOR).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error, JSON.stringify(input)).toBeInstanceOf(type);
      if (field)
        expect((error as ValidationError).problems.map((pr) => pr.path.at(-1))).toContain(field);
    }
    expect(await databaseSnapshot(db.prisma)).toEqual(before);
    expect(published.length).toBe(publishedBefore);
    // The day of the latest change itself is fine.
    const ok = await changeProjectStage(
      deps,
      { projectId: p!.id, toStage: 'APPROVED', occurredOn: day('2025-03-10') },
      TEST_ACTOR,
    );
    expect(ok.event.kind).toBe('ADVANCE');
  });

  it('should publish only committed events: a reader on another connection already sees each', async () => {
    const projects = await createTestProjects(db.prisma, 4, { prefix: 'VIS' });
    const checks: Promise<number>[] = [];
    const spy = {
      publish: (_topic: string, payload: unknown) =>
        void checks.push(
          db.prisma.projectStageEvent.count({
            where: { sequence: BigInt((payload as { sequence: string }).sequence) },
          }),
        ),
    };
    await Promise.all(
      projects.map((p) =>
        changeProjectStage(
          { prisma: db.prisma, pubsub: spy },
          { projectId: p.id, toStage: 'SIGNED' },
          TEST_ACTOR,
        ),
      ),
    );
    expect(await Promise.all(checks)).toEqual([1, 1, 1, 1]);
  });

  it('should make sequences commit-ordered: no event appears below one already visible', async () => {
    const projects = await createTestProjects(db.prisma, 8, { prefix: 'ORD' });
    const start =
      (await db.prisma.projectStageEvent.aggregate({ _max: { sequence: true } }))._max.sequence ??
      0n;
    const writes = projects.map(async (p) => {
      // Each writer owns one project: ADVANCE, SUSPEND, RESUME, CORRECTION, repeated.
      for (let round = 0; round < 3; round++) {
        await changeProjectStage(
          { prisma: db.prisma },
          { projectId: p.id, toStage: 'SIGNED' },
          TEST_ACTOR,
        );
        await changeProjectStage(
          { prisma: db.prisma },
          { projectId: p.id, toStage: 'SUSPENDED' },
          TEST_ACTOR,
        );
        await changeProjectStage(
          { prisma: db.prisma },
          { projectId: p.id, toStage: 'SIGNED' },
          TEST_ACTOR,
        );
        await changeProjectStage(
          { prisma: db.prisma },
          { projectId: p.id, toStage: 'PLANNED', note: 'round trip' },
          TEST_ACTOR,
        );
      }
    });
    let done = false;
    const all = Promise.all(writes).finally(() => {
      done = true;
    });
    // A reader that keeps a position, like a subscriber: anything new must lie beyond it.
    let position = start;
    const seen: bigint[] = [];
    const late: bigint[] = [];
    const allSeen = new Set<bigint>();
    while (!done) {
      const rows = await db.prisma.projectStageEvent.findMany({
        where: { sequence: { gt: start } },
        select: { sequence: true },
      });
      for (const { sequence } of rows) {
        if (allSeen.has(sequence)) continue;
        allSeen.add(sequence);
        if (sequence < position) late.push(sequence);
        seen.push(sequence);
      }
      for (const s of seen) if (s > position) position = s;
    }
    await all;
    expect(late).toEqual([]);
    expect(await db.prisma.projectStageEvent.count({ where: { sequence: { gt: start } } })).toBe(
      8 * 12,
    );
  });
});

describeEachEngine('mutations: typed errors over GraphQL', (engine) => {
  let hub: TestHub;
  let park: { id: number; globalId: string };

  beforeAll(async () => {
    hub = await startTestHub({ engine, seed: false, listen: false });
    park = await createTestPark(hub.db.prisma);
  });
  afterAll(async () => {
    await hub?.close();
  });

  const ADVANCE = /* GraphQL */ `
    mutation Advance($input: AdvanceProjectStageInput!) {
      advanceProjectStage(input: $input) {
        __typename
        ... on Error { message }
        ... on ValidationError { problems { path message } }
        ... on NotFoundError { id }
        ... on InvalidTransitionError { fromStage toStage allowedStages }
        ... on AdvanceProjectStageSuccess {
          project { id stage stageBeforeSuspension updatedBy }
          event { sequence kind fromStage toStage occurredOn note actor project { id } }
        }
      }
    }`;

  it('should return AdvanceProjectStageSuccess with the project and the event', async () => {
    const [p] = await createTestProjects(hub.db.prisma, 1, { prefix: 'GQL' });
    const res = await hub.gql<{ advanceProjectStage: Outcome }>(ADVANCE, {
      input: { projectId: p!.globalId, toStage: 'LANDED', occurredOn: '2025-06-30', note: '落地' },
    });
    expect(res.errors).toBeUndefined();
    expect(res.data!.advanceProjectStage).toMatchObject({
      __typename: 'AdvanceProjectStageSuccess',
      project: {
        id: p!.globalId,
        stage: 'LANDED',
        stageBeforeSuspension: null,
        updatedBy: expect.stringMatching(/^key:admin:/),
      },
      event: {
        kind: 'ADVANCE',
        fromStage: 'PLANNED',
        toStage: 'LANDED',
        occurredOn: '2025-06-30',
        note: '落地',
        actor: expect.stringMatching(/^key:admin:/),
        project: { id: p!.globalId },
      },
    });
    expect(res.data!.advanceProjectStage.event?.sequence).toMatch(/^\d+$/);
  });

  it('should return typed errors for invalid transitions and inputs and leave the database unchanged', async () => {
    const [p] = await createTestProjects(hub.db.prisma, 1, { prefix: 'GQLBAD', stage: 'SIGNED' });
    const before = await databaseSnapshot(hub.db.prisma);
    const cases: [Record<string, unknown>, string, (r: Outcome) => void][] = [
      [
        { projectId: p!.globalId, toStage: 'SIGNED' },
        'InvalidTransitionError',
        (r) => expect(r).toMatchObject({ fromStage: 'SIGNED', toStage: 'SIGNED' }),
      ],
      [
        { projectId: p!.globalId, toStage: 'PLANNED' },
        'ValidationError',
        (r) => expect(r.problems?.[0]?.path).toEqual(['input', 'note']),
      ],
      [
        { projectId: p!.globalId, toStage: 'LANDED', occurredOn: '2999-12-31' },
        'ValidationError',
        (r) => expect(r.problems?.[0]?.path).toEqual(['input', 'occurredOn']),
      ],
      [
        { projectId: p!.globalId, toStage: 'LANDED', expectedStage: 'PLANNED' },
        'ConflictError',
        () => undefined,
      ],
      [
        { projectId: park.globalId, toStage: 'LANDED' },
        'NotFoundError',
        (r) => expect(r.id).toBe(park.globalId),
      ],
      [
        { projectId: 'not-a-global-id', toStage: 'LANDED' },
        'NotFoundError',
        (r) => expect(r.id).toBe('not-a-global-id'),
      ],
      [
        { projectId: Buffer.from('Project:99999').toString('base64'), toStage: 'LANDED' },
        'NotFoundError',
        () => undefined,
      ],
    ];
    for (const [input, typename, check] of cases) {
      const res = await hub.gql<{ advanceProjectStage: Outcome }>(ADVANCE, { input });
      expect(res.errors, JSON.stringify(input)).toBeUndefined();
      expect(res.data!.advanceProjectStage.__typename, JSON.stringify(input)).toBe(typename);
      expect(res.data!.advanceProjectStage.message).toEqual(expect.any(String));
      check(res.data!.advanceProjectStage);
    }
    // Dates that do not exist never reach the resolver: a GraphQL error, nothing written.
    const unreal = await hub.gql(ADVANCE, {
      input: { projectId: p!.globalId, toStage: 'LANDED', occurredOn: '2025-02-30' },
    });
    expect(unreal.errors?.[0]?.message).toMatch(/real calendar date/);
    expect(await databaseSnapshot(hub.db.prisma)).toEqual(before);
  });

  const CREATE = /* GraphQL */ `
    mutation Create($input: CreateProjectInput!) {
      createProject(input: $input) {
        __typename
        ... on Error { message }
        ... on ValidationError { problems { path } }
        ... on CreateProjectSuccess {
          project { id code name stage plannedInvestment park { id } stageHistory(first: 5) { edges { node { kind toStage occurredOn } } } }
        }
      }
    }`;

  it('should create a project with its INITIAL event', async () => {
    const res = await hub.gql(CREATE, {
      input: {
        code: 'NEW-001',
        name: ' 新项目 ',
        parkId: park.globalId,
        plannedInvestment: '250000000.00',
        stage: 'SIGNED',
        stageOccurredOn: '2025-05-01',
      },
    });
    expect(res.errors).toBeUndefined();
    expect(res.data!.createProject).toMatchObject({
      __typename: 'CreateProjectSuccess',
      project: {
        code: 'NEW-001',
        name: '新项目',
        stage: 'SIGNED',
        plannedInvestment: '250000000.00',
        park: { id: park.globalId },
        stageHistory: {
          edges: [{ node: { kind: 'INITIAL', toStage: 'SIGNED', occurredOn: '2025-05-01' } }],
        },
      },
    });
  });

  it('should reject invalid projects with typed errors and write nothing', async () => {
    await hub.gql(CREATE, { input: { code: 'DUP-001', name: '重复项目' } });
    const before = await databaseSnapshot(hub.db.prisma);
    const cases: [Record<string, unknown>, string, string?][] = [
      [{ code: 'OK-001', name: '   ' }, 'ValidationError', 'name'],
      [{ code: 'OK-001', name: '名'.repeat(201) }, 'ValidationError', 'name'],
      [{ code: 'bad code!', name: '好名字' }, 'ValidationError', 'code'],
      [
        { code: 'OK-001', name: '好名字', plannedInvestment: '-1' },
        'ValidationError',
        'plannedInvestment',
      ],
      [
        { code: 'OK-001', name: '好名字', plannedInvestment: '100000000000000000' },
        'ValidationError',
        'plannedInvestment',
      ],
      [
        { code: 'OK-001', name: '好名字', completedInvestment: '1.005' },
        'ValidationError',
        'completedInvestment',
      ],
      [{ code: 'OK-001', name: '好名字', stage: 'SUSPENDED' }, 'ValidationError', 'stage'],
      [
        { code: 'OK-001', name: '好名字', stageOccurredOn: '2999-01-01' },
        'ValidationError',
        'stageOccurredOn',
      ],
      [
        { code: 'OK-001', name: '好名字', parkId: Buffer.from('Park:4242').toString('base64') },
        'NotFoundError',
      ],
      [{ code: 'OK-001', name: '好名字', sectorId: park.globalId }, 'NotFoundError'],
      [{ code: 'DUP-001', name: '好名字' }, 'ConflictError'],
      [{ code: 'OK-001', name: '重复项目' }, 'ConflictError'],
    ];
    for (const [input, typename, field] of cases) {
      const res = await hub.gql<{ createProject: Outcome }>(CREATE, { input });
      expect(res.errors, JSON.stringify(input)).toBeUndefined();
      expect(res.data!.createProject.__typename, JSON.stringify(input)).toBe(typename);
      if (field)
        expect(res.data!.createProject.problems?.map((p) => p.path.at(-1))).toContain(field);
    }
    expect(await databaseSnapshot(hub.db.prisma)).toEqual(before);
  });

  const UPDATE = /* GraphQL */ `
    mutation Update($input: UpdateProjectInput!) {
      updateProject(input: $input) {
        __typename
        ... on Error { message }
        ... on UpdateProjectSuccess { project { id name nameEn stage park { id } updatedBy } }
      }
    }`;

  it('should update details, keep omitted fields, clear nulls, and never touch the stage', async () => {
    const [p] = await createTestProjects(hub.db.prisma, 1, {
      prefix: 'UPD',
      stage: 'APPROVED',
      parkId: park.id,
    });
    const res = await hub.gql(UPDATE, {
      input: { id: p!.globalId, name: '改名项目', nameEn: null },
    });
    expect(res.data!.updateProject).toMatchObject({
      __typename: 'UpdateProjectSuccess',
      project: {
        name: '改名项目',
        nameEn: null,
        stage: 'APPROVED',
        park: { id: park.globalId },
        updatedBy: expect.stringMatching(/^key:admin:/),
      },
    });
    const withStage = await hub.gql(UPDATE, { input: { id: p!.globalId, stage: 'COMPLETED' } });
    expect(withStage.errors?.[0]?.message).toMatch(/stage/);
  });

  it('should reject invalid updates with typed errors and write nothing', async () => {
    const [a, b] = await createTestProjects(hub.db.prisma, 2, { prefix: 'UPDBAD' });
    const before = await databaseSnapshot(hub.db.prisma);
    const cases: [Record<string, unknown>, string][] = [
      [{ id: a!.globalId, name: null }, 'ValidationError'],
      [{ id: a!.globalId, name: '' }, 'ValidationError'],
      [{ id: a!.globalId, expectedOutputValue: '-0.01' }, 'ValidationError'],
      [{ id: a!.globalId, code: b!.code }, 'ConflictError'],
      [{ id: a!.globalId, parkId: Buffer.from('Park:4242').toString('base64') }, 'NotFoundError'],
      [{ id: park.globalId, name: 'x' }, 'NotFoundError'],
    ];
    for (const [input, typename] of cases) {
      const res = await hub.gql<{ updateProject: Outcome }>(UPDATE, { input });
      expect(res.errors, JSON.stringify(input)).toBeUndefined();
      expect(res.data!.updateProject.__typename, JSON.stringify(input)).toBe(typename);
    }
    expect(await databaseSnapshot(hub.db.prisma)).toEqual(before);
  });
});
