/**
 * Logistics channels (China-Russia freight train, TIR), their dated observations, and the
 * editor's write `recordLogisticsObservation` (rules in src/services/logistics.ts).
 */
import { decodeNodeId } from '../services/errors.ts';
import {
  NATIONAL_RANK_MAX,
  recordLogisticsObservation,
  TEXT_VALUE_MAX_LENGTH,
} from '../services/logistics.ts';
import { builder } from './builder.ts';
import { ChannelKindEnum } from './enums.ts';
import { NotFoundError, ValidationError } from './errors.ts';
import { DatePrecisionEnum } from './scalars.ts';

export const LogisticsObservationRef = builder.prismaNode('LogisticsObservation', {
  description:
    '物流观测 / A dated observation of a channel: a metric, its value or text, and a national rank.',
  id: { field: 'id' },
  nullable: true, // node(id:) of a missing row is null, not an error
  fields: (t) => ({
    metric: t.exposeString('metric', {
      description: '指标 / What is measured, e.g. dispatches, service_status.',
    }),
    value: t.expose('value', {
      type: 'Decimal',
      nullable: true,
      description: '数值 / The value, when a number was given.',
    }),
    textValue: t.exposeString('textValue', {
      nullable: true,
      description: '文字值 / The value as text, e.g. 开通运行.',
    }),
    unit: t.exposeString('unit', { nullable: true, description: '单位 / Unit.' }),
    periodStart: t.expose('periodStart', {
      type: 'Date',
      nullable: true,
      description: '期间起 / Period start.',
    }),
    periodEnd: t.expose('periodEnd', { type: 'Date', description: '期间止 / Period end (as-of).' }),
    periodPrecision: t.expose('periodPrecision', {
      type: DatePrecisionEnum,
      description: '日期精度 / How exact the period end is.',
    }),
    nationalRank: t.exposeInt('nationalRank', {
      nullable: true,
      description: '全国排名 / National rank, when reported.',
    }),
    note: t.exposeString('note', { nullable: true, description: '备注 / Note.' }),
    channel: t.relation('channel', { description: '通道 / The channel observed.' }),
    source: t.relation('source', { nullable: true, description: '来源 / Source document.' }),
    recordedAt: t.expose('recordedAt', {
      type: 'DateTime',
      description: '记录时间 / When it was recorded.',
    }),
    recordedBy: t.exposeString('recordedBy', { description: '记录人 / Who recorded it.' }),
  }),
});

export const LogisticsChannelRef = builder.prismaNode('LogisticsChannel', {
  description:
    '物流通道 / A logistics channel of 两通道: the China-Russia freight train, TIR road transport.',
  id: { field: 'id' },
  nullable: true, // node(id:) of a missing row is null, not an error
  fields: (t) => ({
    code: t.exposeString('code', { description: '代码 / Stable code.' }),
    name: t.exposeString('name', { description: '名称 / Name in Chinese.' }),
    nameEn: t.exposeString('nameEn', {
      nullable: true,
      description: '英文名称 / Name in English.',
    }),
    kind: t.expose('kind', { type: ChannelKindEnum, description: '类型 / Rail freight or TIR.' }),
    description: t.exposeString('description', {
      nullable: true,
      description: '简介 / Description.',
    }),
    source: t.relation('source', { nullable: true, description: '来源 / Source document.' }),
    observations: t.relation('observations', {
      description: '观测时间序列 / Observations as a time series, oldest period end first.',
      args: {
        metric: t.arg.string({ description: '指标 / Only this metric, e.g. dispatches.' }),
        periodFrom: t.arg({
          type: 'Date',
          description: '期间止起 / Only periods ending on or after this day.',
        }),
        periodTo: t.arg({
          type: 'Date',
          description: '期间止止 / Only periods ending on or before this day.',
        }),
      },
      query: (args) => ({
        where: {
          ...(args.metric != null && { metric: args.metric }),
          ...((args.periodFrom || args.periodTo) && {
            periodEnd: {
              ...(args.periodFrom && { gte: args.periodFrom }),
              ...(args.periodTo && { lte: args.periodTo }),
            },
          }),
        },
        orderBy: [{ periodEnd: 'asc' }, { id: 'asc' }],
      }),
    }),
    latestNationalRank: t.field({
      type: LogisticsObservationRef,
      nullable: true,
      description:
        '最新全国排名 / The latest observation that carries a national rank (e.g. TIR dispatches: 2nd); null if none.',
      select: (_args, _ctx, nestedSelection) => ({
        observations: nestedSelection({
          where: { nationalRank: { not: null } },
          orderBy: [{ periodEnd: 'desc' }, { id: 'desc' }],
          take: 1,
        }),
      }),
      resolve: (channel) => channel.observations[0] ?? null,
    }),
  }),
});

builder.queryFields((t) => ({
  logisticsChannels: t.prismaField({
    type: ['LogisticsChannel'],
    description: '物流通道 / The logistics channels (两通道), by id.',
    resolve: (query, _parent, _args, ctx) =>
      ctx.prisma.logisticsChannel.findMany({ ...query, orderBy: { id: 'asc' } }),
  }),
}));

// ---------------------------------------------------------------------------------------------
// Writes: recordLogisticsObservation.

export const RecordLogisticsObservationInput = builder.inputType(
  'RecordLogisticsObservationInput',
  {
    description:
      '记录物流观测 / A dated observation of a channel: a metric with a number, a text or both. Strings are trimmed. ' +
      'Recording a metric again for the same period corrects it (the later record wins).',
    fields: (t) => ({
      channelId: t.id({
        required: true,
        description: '通道 / Global id of the logistics channel.',
      }),
      metric: t.string({
        required: true,
        description:
          '指标 / What is measured, lower_snake_case, at most 64 characters, e.g. dispatches, service_status.',
      }),
      value: t.field({
        type: 'Decimal',
        description: '数值 / The number: not negative, below 1e16, at most 4 decimals.',
      }),
      textValue: t.string({
        description: `文字值 / The value as text, e.g. 开通运行; at most ${TEXT_VALUE_MAX_LENGTH} characters. Give value, textValue or both.`,
      }),
      unit: t.string({ description: '单位 / Unit, e.g. vehicle trips; at most 64 characters.' }),
      periodStart: t.field({
        type: 'Date',
        description:
          '期间起 / First day of the period, at most periodEnd; omit for a point in time.',
      }),
      periodEnd: t.field({
        type: 'Date',
        required: true,
        description:
          '期间止 / Last day of the period (as-of); not in the future; the first day of its month/quarter/year when periodPrecision says so.',
      }),
      periodPrecision: t.field({
        type: DatePrecisionEnum,
        defaultValue: 'DAY',
        description: '日期精度 / How exact periodEnd is (default DAY).',
      }),
      nationalRank: t.int({
        description: `全国排名 / National rank: 1 (first) to ${NATIONAL_RANK_MAX}.`,
      }),
      note: t.string({ description: '备注 / Note; at most 4000 characters.' }),
    }),
  },
);

export const RecordLogisticsObservationSuccess = builder
  .objectRef<{ observationId: number }>('RecordLogisticsObservationSuccess')
  .implement({
    description:
      '记录成功 / The observation was recorded; channel series and dashboards include it now.',
    fields: (t) => ({
      observation: t.prismaField({
        type: 'LogisticsObservation',
        description: '物流观测 / The observation as stored.',
        resolve: (query, payload, _args, ctx) =>
          ctx.prisma.logisticsObservation.findUniqueOrThrow({
            ...query,
            where: { id: payload.observationId },
          }),
      }),
    }),
  });

builder.mutationFields((t) => ({
  recordLogisticsObservation: t.field({
    type: RecordLogisticsObservationSuccess,
    description:
      '记录物流观测 / Record an observation of a logistics channel (dispatches, a national rank, a service status). ' +
      '`dashboardUpdated` subscribers hear the change.',
    args: {
      input: t.arg({
        type: RecordLogisticsObservationInput,
        required: true,
        description: '观测 / The observation.',
      }),
    },
    errors: {
      types: [ValidationError, NotFoundError],
      directResult: true,
      union: {
        name: 'RecordLogisticsObservationResult',
        description: '记录结果 / The recorded observation, or a typed error (nothing written).',
      },
    },
    resolve: async (_root, { input }, ctx) => {
      const observation = await recordLogisticsObservation(
        ctx,
        {
          ...input,
          channelId: decodeNodeId(String(input.channelId), 'LogisticsChannel', 'logistics channel'),
        },
        ctx.viewer.actor,
      );
      return { observationId: observation.id };
    },
  }),
}));
