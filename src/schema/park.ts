/**
 * Parks and facilities of 一区三园两通道, their dated snapshots, and the editor's write
 * `recordParkSnapshot` (rules in src/services/parks.ts).
 */
import { decodeOptionalNodeId } from '../services/errors.ts';
import { recordParkSnapshot } from '../services/parks.ts';
import { builder } from './builder.ts';
import { FacilityStatusEnum, ParkKindEnum } from './enums.ts';
import { NotFoundError, ValidationError } from './errors.ts';
import { DatePrecisionEnum } from './scalars.ts';

export const ParkSnapshotRef = builder.prismaNode('ParkSnapshot', {
  description:
    '园区快照 / A dated observation of a park or a facility: floor area, enterprises, status.',
  id: { field: 'id' },
  nullable: true, // node(id:) of a missing row is null, not an error
  fields: (t) => ({
    asOf: t.expose('asOf', { type: 'Date', description: '截至 / As-of date.' }),
    asOfPrecision: t.expose('asOfPrecision', {
      type: DatePrecisionEnum,
      description: '日期精度 / How exact the as-of date is.',
    }),
    status: t.expose('status', {
      type: FacilityStatusEnum,
      nullable: true,
      description: '状态 / Status.',
    }),
    statusNote: t.exposeString('statusNote', {
      nullable: true,
      description: '状态说明 / Status as reported, e.g. 完成合围.',
    }),
    floorAreaM2: t.expose('floorAreaM2', {
      type: 'Decimal',
      nullable: true,
      description: '建筑面积 / Floor area in m².',
    }),
    enterprisesRegistered: t.exposeInt('enterprisesRegistered', {
      nullable: true,
      description: '注册企业 / Enterprises registered (newly, as reported).',
    }),
    enterprisesSigned: t.exposeInt('enterprisesSigned', {
      nullable: true,
      description: '签约入园企业 / Enterprises signed to enter.',
    }),
    note: t.exposeString('note', { nullable: true, description: '备注 / Note.' }),
    park: t.relation('park', {
      nullable: true,
      description: '园区 / The park observed (or null for a facility).',
    }),
    facility: t.relation('facility', {
      nullable: true,
      description: '设施 / The facility observed (or null for a park).',
    }),
    source: t.relation('source', { nullable: true, description: '来源 / Source document.' }),
    recordedAt: t.expose('recordedAt', {
      type: 'DateTime',
      description: '记录时间 / When it was recorded.',
    }),
    recordedBy: t.exposeString('recordedBy', { description: '记录人 / Who recorded it.' }),
  }),
});

const latestSnapshotQuery = {
  orderBy: [{ asOf: 'desc' as const }, { id: 'desc' as const }],
  take: 1,
};
const snapshotHistoryQuery = { orderBy: [{ asOf: 'asc' as const }, { id: 'asc' as const }] };

builder.prismaNode('Facility', {
  description: '设施 / A facility or a phase of one: 综保区一期, 辽中壹号, a wastewater plant.',
  id: { field: 'id' },
  nullable: true, // node(id:) of a missing row is null, not an error
  fields: (t) => ({
    code: t.exposeString('code', { description: '代码 / Stable code.' }),
    name: t.exposeString('name', { description: '名称 / Name in Chinese.' }),
    nameEn: t.exposeString('nameEn', {
      nullable: true,
      description: '英文名称 / Name in English.',
    }),
    phase: t.exposeInt('phase', {
      nullable: true,
      description: '期次 / Phase number, when the facility is a phase.',
    }),
    description: t.exposeString('description', {
      nullable: true,
      description: '简介 / Description.',
    }),
    park: t.relation('park', {
      nullable: true,
      description: '所属园区 / The park it belongs to, when stated.',
    }),
    snapshots: t.relation('snapshots', {
      description: '历史快照 / Snapshots, oldest first.',
      query: snapshotHistoryQuery,
    }),
    latestSnapshot: t.field({
      type: ParkSnapshotRef,
      nullable: true,
      description: '最新快照 / The latest snapshot.',
      select: (_args, _ctx, nestedSelection) => ({
        snapshots: nestedSelection(latestSnapshotQuery),
      }),
      resolve: (facility) => facility.snapshots[0] ?? null,
    }),
  }),
});

export const ParkRef = builder.prismaNode('Park', {
  description: '园区 / A zone or park of 一区三园两通道 (one zone, three parks, two channels).',
  id: { field: 'id' },
  // Select mode: each query reads only the columns and relations the operation asks for.
  select: { id: true },
  nullable: true, // node(id:) of a missing row is null, not an error
  fields: (t) => ({
    code: t.exposeString('code', { description: '代码 / Stable code.' }),
    name: t.exposeString('name', { description: '名称 / Name in Chinese, e.g. 综保区.' }),
    nameEn: t.exposeString('nameEn', {
      nullable: true,
      description: '英文名称 / Name in English.',
    }),
    kind: t.expose('kind', { type: ParkKindEnum, description: '类型 / Bonded zone or park.' }),
    description: t.exposeString('description', {
      nullable: true,
      description: '简介 / Description.',
    }),
    source: t.relation('source', { nullable: true, description: '来源 / Source document.' }),
    facilities: t.relation('facilities', {
      description: '设施 / Facilities and phases in this park.',
      query: { orderBy: { id: 'asc' } },
    }),
    snapshots: t.relation('snapshots', {
      description: '历史快照 / Snapshots, oldest first.',
      query: snapshotHistoryQuery,
    }),
    latestSnapshot: t.field({
      type: ParkSnapshotRef,
      nullable: true,
      description: '最新快照 / The latest snapshot.',
      select: (_args, _ctx, nestedSelection) => ({
        snapshots: nestedSelection(latestSnapshotQuery),
      }),
      resolve: (park) => park.snapshots[0] ?? null,
    }),
  }),
});

builder.queryFields((t) => ({
  parks: t.prismaField({
    type: ['Park'],
    description: '园区列表 / All zones and parks.',
    resolve: (query, _parent, _args, ctx) =>
      ctx.prisma.park.findMany({ ...query, orderBy: { id: 'asc' } }),
  }),
  facilities: t.prismaField({
    type: ['Facility'],
    description: '设施列表 / All facilities and phases, including those not in a park.',
    resolve: (query, _parent, _args, ctx) =>
      ctx.prisma.facility.findMany({ ...query, orderBy: { id: 'asc' } }),
  }),
}));

// ---------------------------------------------------------------------------------------------
// Writes: recordParkSnapshot.

export const RecordParkSnapshotInput = builder.inputType('RecordParkSnapshotInput', {
  description:
    '记录园区快照 / A dated observation of exactly one park or one facility. It must record something: a status, a status ' +
    'note, a floor area or an enterprise count. Strings are trimmed.',
  fields: (t) => ({
    parkId: t.id({
      description: '园区 / Global id of the park observed; give this or facilityId, not both.',
    }),
    facilityId: t.id({
      description: '设施 / Global id of the facility observed; give this or parkId, not both.',
    }),
    asOf: t.field({
      type: 'Date',
      required: true,
      description:
        '截至 / As-of day; not in the future; the first day of its month/quarter/year when asOfPrecision says so.',
    }),
    asOfPrecision: t.field({
      type: DatePrecisionEnum,
      defaultValue: 'DAY',
      description: '日期精度 / How exact asOf is (default DAY).',
    }),
    status: t.field({ type: FacilityStatusEnum, description: '状态 / Status.' }),
    statusNote: t.string({
      description: '状态说明 / Status as reported, e.g. 完成合围; at most 200 characters.',
    }),
    floorAreaM2: t.field({
      type: 'Decimal',
      description: '建筑面积 / Floor area in m²: not negative, at most 2 decimals.',
    }),
    enterprisesRegistered: t.int({
      description: '注册企业 / Enterprises registered (newly, as reported); not negative.',
    }),
    enterprisesSigned: t.int({
      description: '签约入园企业 / Enterprises signed to enter; not negative.',
    }),
    note: t.string({ description: '备注 / Note; at most 4000 characters.' }),
  }),
});

export const RecordParkSnapshotSuccess = builder
  .objectRef<{ snapshotId: number }>('RecordParkSnapshotSuccess')
  .implement({
    description:
      "记录成功 / The snapshot was recorded; it is the park's or facility's latest when its asOf is the latest.",
    fields: (t) => ({
      snapshot: t.prismaField({
        type: 'ParkSnapshot',
        description: '园区快照 / The snapshot as stored.',
        resolve: (query, payload, _args, ctx) =>
          ctx.prisma.parkSnapshot.findUniqueOrThrow({
            ...query,
            where: { id: payload.snapshotId },
          }),
      }),
    }),
  });

builder.mutationFields((t) => ({
  recordParkSnapshot: t.field({
    type: RecordParkSnapshotSuccess,
    description:
      '记录园区快照 / Record a snapshot of a park or a facility. `dashboardUpdated` subscribers hear the change.',
    args: {
      input: t.arg({
        type: RecordParkSnapshotInput,
        required: true,
        description: '快照 / The snapshot.',
      }),
    },
    errors: {
      types: [ValidationError, NotFoundError],
      directResult: true,
      union: {
        name: 'RecordParkSnapshotResult',
        description: '记录结果 / The recorded snapshot, or a typed error (nothing written).',
      },
    },
    resolve: async (_root, { input }, ctx) => {
      const snapshot = await recordParkSnapshot(
        ctx,
        {
          ...input,
          parkId: decodeOptionalNodeId(input.parkId, 'Park'),
          facilityId: decodeOptionalNodeId(input.facilityId, 'Facility'),
        },
        ctx.viewer.actor,
      );
      return { snapshotId: snapshot.id };
    },
  }),
}));
