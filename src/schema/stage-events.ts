/** The stage-event log: every stage change, in commit order, as a Relay connection. */
import { queryFromInfo } from '@pothos/plugin-prisma';
import { resolveCursorConnection, type ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import { GraphQLError } from 'graphql';
import { builder } from './builder.ts';
import { ProjectStageEnum, StageEventKindEnum } from './enums.ts';
import { maxPageSize, DEFAULT_PAGE_SIZE } from './paging.ts';
import { DatePrecisionEnum } from './scalars.ts';

export const StageEventRef = builder.prismaNode('ProjectStageEvent', {
  description: '阶段变更 / One stage change. The district-wide log of these is append-only.',
  id: { field: 'id' },
  fields: (t) => ({
    sequence: t.string({
      description: '序号 / Position in the district-wide log: strictly increasing in commit order, usable as `after`.',
      select: { sequence: true },
      resolve: (event) => event.sequence.toString(),
    }),
    project: t.relation('project', { description: '项目 / The project that changed stage.' }),
    kind: t.expose('kind', { type: StageEventKindEnum, description: '类型 / Advance, suspension, correction...' }),
    fromStage: t.expose('fromStage', {
      type: ProjectStageEnum,
      nullable: true,
      description: '原阶段 / Stage before the change; null for the first record.',
    }),
    toStage: t.expose('toStage', { type: ProjectStageEnum, description: '新阶段 / Stage after the change.' }),
    occurredOn: t.expose('occurredOn', { type: 'Date', description: '发生日期 / The day it happened.' }),
    occurredPrecision: t.expose('occurredPrecision', {
      type: DatePrecisionEnum,
      description: '日期精度 / How exact `occurredOn` is (a report may only give the month).',
    }),
    recordedAt: t.expose('recordedAt', { type: 'DateTime', description: '记录时间 / When the hub recorded it.' }),
    actor: t.exposeString('actor', { description: '操作人 / Who recorded it.' }),
    note: t.exposeString('note', { nullable: true, description: '备注 / Note; required for corrections.' }),
    source: t.relation('source', { nullable: true, description: '来源 / Source document, when from a report.' }),
  }),
});

export const StageEventConnection = builder.connectionObject(
  { type: StageEventRef, name: 'ProjectStageEventConnection', description: '阶段变更列表 / A page of stage events.' },
  { name: 'ProjectStageEventEdge', description: '阶段变更边 / A stage event with its cursor.' },
);

/** A log position given as `after`/`before`: the decimal `sequence` of an event (0 = the start). */
export function parseSequence(value: string, argName: string): bigint {
  if (!/^\d{1,19}$/.test(value)) {
    throw new GraphQLError(`\`${argName}\` must be an event sequence (decimal digits), got ${JSON.stringify(value)}`, {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  return BigInt(value);
}

builder.queryFields((t) => ({
  stageEvents: t.connection(
    {
      type: StageEventRef,
      description:
        '阶段变更日志 / The district-wide stage-change log, oldest first. Cursors are sequences: pass the last `sequence` seen as `after` to continue.',
      resolve: (_parent, args, ctx, info) => {
        maxPageSize(args);
        const query = queryFromInfo({ context: ctx, info, typeName: 'ProjectStageEvent', path: ['edges', 'node'] });
        const page = resolveCursorConnection(
          { args, toCursor: (event) => event.sequence.toString(), defaultSize: DEFAULT_PAGE_SIZE, maxSize: 100 },
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
