/**
 * The stage-event log: every stage change, in commit order, as a Relay connection; the
 * `advanceProjectStage` mutation that appends to it, and the `projectStageChanged` subscription.
 */
import { queryFromInfo } from '@pothos/plugin-prisma';
import { type ResolveCursorConnectionArgs, resolveCursorConnection } from '@pothos/plugin-relay';
import { GraphQLError } from 'graphql';
import { PubSubLostError } from '../realtime/event-bus.ts';
import { isLiveError, type LivePayload, liveError } from '../realtime/feed-errors.ts';
import type { FeedItem } from '../realtime/stage-tail.ts';
import { decodeNodeId, MAX_SEQUENCE, quoteInput } from '../services/errors.ts';
import { stageEventWhere } from '../services/project-filter.ts';
import { changeProjectStage, NOTE_MAX_LENGTH } from '../services/stage-change.ts';
import { readSequence } from '../services/stage-log.ts';
import { builder } from './builder.ts';
import { ProjectStageEnum, StageEventKindEnum } from './enums.ts';
import { ConflictError, InvalidTransitionError, NotFoundError, ValidationError } from './errors.ts';
import { DEFAULT_PAGE_SIZE, maxPageSize, pagingBy } from './paging.ts';
import { ProjectFilter, ProjectRef, toFilterValues } from './project.ts';
import { DatePrecisionEnum } from './scalars.ts';

export const StageEventRef = builder.prismaNode('ProjectStageEvent', {
  description: '阶段变更 / One stage change. The district-wide log of these is append-only.',
  id: { field: 'id' },
  // Select mode: each query reads only the columns and relations the operation asks for.
  select: { id: true },
  nullable: true, // node(id:) of a missing row is null, not an error
  fields: (t) => ({
    sequence: t.string({
      description:
        '序号 / Position in the district-wide log: strictly increasing in commit order, usable as `after`.',
      select: { sequence: true },
      resolve: (event) => event.sequence.toString(),
    }),
    project: t.relation('project', { description: '项目 / The project that changed stage.' }),
    kind: t.expose('kind', {
      type: StageEventKindEnum,
      description: '类型 / Advance, suspension, correction...',
    }),
    fromStage: t.expose('fromStage', {
      type: ProjectStageEnum,
      nullable: true,
      description: '原阶段 / Stage before the change; null for the first record.',
    }),
    toStage: t.expose('toStage', {
      type: ProjectStageEnum,
      description: '新阶段 / Stage after the change.',
    }),
    occurredOn: t.expose('occurredOn', {
      type: 'Date',
      description: '发生日期 / The day it happened.',
    }),
    occurredPrecision: t.expose('occurredPrecision', {
      type: DatePrecisionEnum,
      description: '日期精度 / How exact `occurredOn` is (a report may only give the month).',
    }),
    recordedAt: t.expose('recordedAt', {
      type: 'DateTime',
      description: '记录时间 / When the hub recorded it.',
    }),
    actor: t.exposeString('actor', { description: '操作人 / Who recorded it.' }),
    note: t.exposeString('note', {
      nullable: true,
      description: '备注 / Note; required for corrections.',
    }),
    source: t.relation('source', {
      nullable: true,
      description: '来源 / Source document, when from a report.',
    }),
  }),
});

export const StageEventConnection = builder.connectionObject(
  {
    type: StageEventRef,
    name: 'ProjectStageEventConnection',
    description: '阶段变更列表 / A page of stage events.',
  },
  { name: 'ProjectStageEventEdge', description: '阶段变更边 / A stage event with its cursor.' },
);

/** A project's own slice of the log. */
builder.prismaObjectFields(ProjectRef, (t) => ({
  stageHistory: t.relatedConnection(
    'stageEvents',
    {
      description:
        "阶段历史 / The project's stage changes, oldest first; `last: 3` gives the latest three.",
      cursor: 'sequence',
      ...pagingBy('sequence'),
      totalCount: true,
      query: () => ({ orderBy: { sequence: 'asc' } }),
    },
    StageEventConnection,
  ),
}));

/** A log position given as `after`/`before`: the decimal `sequence` of an event (0 = the start). */
export function parseSequence(value: string, argName: string): bigint {
  const sequence = readSequence(value);
  if (sequence === null) {
    throw new GraphQLError(
      `\`${argName}\` must be an event sequence (decimal digits, at most ${MAX_SEQUENCE}), got ${quoteInput(value)}`,
      {
        extensions: { code: 'BAD_USER_INPUT' },
      },
    );
  }
  return sequence;
}

builder.queryFields((t) => ({
  stageEvents: t.connection(
    {
      type: StageEventRef,
      description:
        '阶段变更日志 / The district-wide stage-change log, oldest first. Cursors are sequences: pass the last `sequence` seen as `after` to continue.',
      resolve: (_parent, args, ctx, info) => {
        maxPageSize(args);
        const query = queryFromInfo({
          context: ctx,
          info,
          typeName: 'ProjectStageEvent',
          path: ['edges', 'node'],
        });
        const page = resolveCursorConnection(
          {
            args,
            toCursor: (event) => event.sequence.toString(),
            defaultSize: DEFAULT_PAGE_SIZE,
            maxSize: 100,
          },
          ({ before, after, limit, inverted }: ResolveCursorConnectionArgs) =>
            ctx.prisma.projectStageEvent.findMany({
              ...query,
              where: {
                sequence: {
                  ...(after != null && { gt: parseSequence(after, 'after') }),
                  ...(before != null && { lt: parseSequence(before, 'before') }),
                },
              },
              orderBy: { sequence: inverted ? 'desc' : 'asc' },
              take: limit,
            }),
        );
        return page.then((p) => ({ ...p, totalCount: () => ctx.prisma.projectStageEvent.count() }));
      },
    },
    StageEventConnection,
  ),
}));

// ---------------------------------------------------------------------------------------------
// Writes: advanceProjectStage. Reads live: projectStageChanged.

export const AdvanceProjectStageInput = builder.inputType('AdvanceProjectStageInput', {
  description:
    '阶段变更输入 / A stage change. Forward moves may skip stages; SUSPENDED from any pipeline stage and back only to the ' +
    'stage it left; CANCELLED from anything but CANCELLED (final); a backward move is a correction and needs a note.',
  fields: (t) => ({
    projectId: t.id({ required: true, description: '项目 / Global id of the project.' }),
    toStage: t.field({
      type: ProjectStageEnum,
      required: true,
      description: '目标阶段 / The stage to move to.',
    }),
    occurredOn: t.field({
      type: 'Date',
      description:
        "发生日期 / The day it happened (default: today in Liaozhong); not in the future, not before the project's latest change.",
    }),
    occurredPrecision: t.field({
      type: DatePrecisionEnum,
      description:
        '日期精度 / How exact `occurredOn` is (default DAY; a report may only give the month).',
    }),
    note: t.string({
      description: `备注 / Why; required for a correction (a backward move); at most ${NOTE_MAX_LENGTH} characters.`,
    }),
    expectedStage: t.field({
      type: ProjectStageEnum,
      description:
        '预期当前阶段 / The stage the editor saw. If the project has moved since, ConflictError instead of a change built on a stale screen.',
    }),
  }),
});

/** A committed change, re-read with the client's selection. */
interface StageChangePayload {
  projectId: number;
  eventId: number;
}

export const AdvanceProjectStageSuccess = builder
  .objectRef<StageChangePayload>('AdvanceProjectStageSuccess')
  .implement({
    description:
      '阶段变更成功 / The change was recorded: the project as it is now and the event appended to the log.',
    fields: (t) => ({
      project: t.prismaField({
        type: 'Project',
        description: '项目 / The project, at its new stage.',
        resolve: (query, change, _args, ctx) =>
          ctx.prisma.project.findUniqueOrThrow({ ...query, where: { id: change.projectId } }),
      }),
      event: t.prismaField({
        type: 'ProjectStageEvent',
        description: '阶段变更 / The event appended to the district-wide log.',
        resolve: (query, change, _args, ctx) =>
          ctx.prisma.projectStageEvent.findUniqueOrThrow({
            ...query,
            where: { id: change.eventId },
          }),
      }),
    }),
  });

builder.mutationFields((t) => ({
  advanceProjectStage: t.field({
    type: AdvanceProjectStageSuccess,
    description:
      '变更项目阶段 / Move a project to another stage. The change and its event commit together; subscribers of ' +
      '`projectStageChanged` hear it after the commit. Each rejection is a typed error and writes nothing.',
    args: {
      input: t.arg({
        type: AdvanceProjectStageInput,
        required: true,
        description: '变更 / The change.',
      }),
    },
    errors: {
      types: [ValidationError, NotFoundError, InvalidTransitionError, ConflictError],
      directResult: true,
      union: {
        name: 'AdvanceProjectStageResult',
        description:
          '阶段变更结果 / The success type, or one of the typed errors (each implements Error).',
      },
    },
    resolve: async (_root, { input }, ctx) => {
      const { project, event } = await changeProjectStage(
        ctx,
        {
          projectId: decodeNodeId(String(input.projectId), 'Project'),
          toStage: input.toStage,
          occurredOn: input.occurredOn,
          occurredPrecision: input.occurredPrecision,
          note: input.note,
          expectedStage: input.expectedStage,
        },
        ctx.viewer.actor,
      );
      return { projectId: project.id, eventId: event.id };
    },
  }),
}));

const RESUME_HINT = 'Subscribe again with `after` set to the last `sequence` received.';

builder.subscriptionFields((t) => ({
  projectStageChanged: t.prismaField({
    type: 'ProjectStageEvent',
    description:
      '阶段变更推送 / Every stage change matching the filter. With `after`, first every later event from the log, then live: ' +
      "no gap, no duplicate, in `sequence` order. The filter's `stage` matches an event into or out of those stages; its " +
      "other conditions apply to the event's project. If the server loses its event bus the subscription ends with an " +
      'error (code EVENT_BUS_LOST), and if its client leaves 10,000 events unread with FELL_BEHIND: ' +
      'subscribe again with `after` = the last `sequence` received.',
    args: {
      filter: t.arg({
        type: ProjectFilter,
        description: '筛选 / Only events of matching projects.',
      }),
      after: t.arg.string({
        description:
          '之后 / Replay the log after this `sequence` first (the last one received); omit for live events only.',
      }),
    },
    subscribe: async (_root, args, ctx) => {
      const after = args.after == null ? null : parseSequence(args.after, 'after');
      try {
        // Ends with a `{ liveError }` payload itself: one wrapper less on every delivery.
        return await ctx.stageTail.open({
          after,
          where: stageEventWhere(toFilterValues(args.filter)),
        });
      } catch (error) {
        if (error instanceof ValidationError)
          throw new GraphQLError(error.message, { extensions: { code: 'BAD_USER_INPUT' } });
        if (error instanceof PubSubLostError) throw liveError(error, RESUME_HINT);
        throw error;
      }
    },
    resolve: (query, payload: LivePayload<FeedItem>, _args, ctx) => {
      if (isLiveError(payload)) throw liveError(payload.liveError, RESUME_HINT);
      return ctx.prisma.projectStageEvent.findUniqueOrThrow({
        ...query,
        where: { id: payload.id },
      });
    },
  }),
}));
