/** Projects: the pipeline's rows, their filters and ordering, and the project lists of parks and sectors. */
import { GraphQLError } from 'graphql';
import type { Prisma, ProjectStage } from '../generated/prisma/client.ts';
import { asOfProject, projectsAsOfWhere, withPeriodOn } from '../services/as-of.ts';
import { decodeNodeId, decodeOptionalNodeId } from '../services/errors.ts';
import { projectWhere } from '../services/project-filter.ts';
import { createProject, updateProject } from '../services/projects.ts';
import { milestoneDates, PIPELINE } from '../services/stages.ts';
import { checkedAsOf } from './bad-input.ts';
import { builder } from './builder.ts';
import { ProjectStageEnum, SortDirectionEnum } from './enums.ts';
import { ConflictError, NotFoundError, ValidationError } from './errors.ts';
import { pageById, paging } from './paging.ts';
import { ParkRef } from './park.ts';
import { DatePrecisionEnum } from './scalars.ts';

export const SectorRef = builder.prismaNode('Sector', {
  description:
    "行业 / Industry or sector; four are the district's leading industries (四大主导产业).",
  id: { field: 'id' },
  nullable: true, // node(id:) of a missing row is null, not an error
  fields: (t) => ({
    code: t.exposeString('code', { description: '代码 / Stable code.' }),
    name: t.exposeString('name', { description: '名称 / Name in Chinese.' }),
    nameEn: t.exposeString('nameEn', { description: '英文名称 / Name in English.' }),
    leading: t.exposeBoolean('leading', {
      description: '主导产业 / One of the four leading industries.',
    }),
    projects: t.relatedConnection(
      'projects',
      {
        description: '项目 / Projects in this sector.',
        cursor: 'id',
        ...paging,
        totalCount: true,
        query: () => ({ orderBy: { id: 'asc' } }),
      },
      ProjectConnection,
    ),
  }),
});

interface Milestone {
  stage: ProjectStage;
  reached: boolean;
  reachedOn: Date | null;
}

export const ProjectMilestone = builder.objectRef<Milestone>('ProjectMilestone').implement({
  description:
    '里程碑 / A pipeline stage and when the project first reached it (or a later stage).',
  fields: (t) => ({
    stage: t.expose('stage', { type: ProjectStageEnum, description: '阶段 / The stage.' }),
    reached: t.exposeBoolean('reached', {
      description: '已达到 / The project has reached this stage or a later one.',
    }),
    reachedOn: t.expose('reachedOn', {
      type: 'Date',
      nullable: true,
      description:
        '达到日期 / Date of the first event into this stage or beyond; null when not reached.',
    }),
  }),
});

export const ProjectRef = builder.prismaNode('Project', {
  description: "重点项目 / A key project in the district's pipeline.",
  id: { field: 'id' },
  // Select mode: each query reads only the columns and relations the operation asks for.
  select: { id: true },
  nullable: true, // node(id:) of a missing row is null, not an error
  fields: (t) => ({
    code: t.exposeString('code', {
      description: '项目编码 / Stable external code; spreadsheets key on it.',
    }),
    name: t.exposeString('name', {
      description: '项目名称 / Name as published, in Chinese, e.g. 昊明预制菜.',
    }),
    nameEn: t.exposeString('nameEn', {
      nullable: true,
      description: '英文名称 / Name in English.',
    }),
    description: t.exposeString('description', {
      nullable: true,
      description: '简介 / Description.',
    }),
    stage: t.expose('stage', {
      type: ProjectStageEnum,
      description:
        '当前阶段 / Current pipeline stage (in `projects(asOf:)`, the stage on that day).',
    }),
    stageBeforeSuspension: t.expose('stageBeforeSuspension', {
      type: ProjectStageEnum,
      nullable: true,
      description: '暂停前阶段 / For a SUSPENDED project, the stage it left and may return to.',
    }),
    stageChangedAt: t.expose('stageChangedAt', {
      type: 'DateTime',
      description: '最近变更 / When the stage last changed (recorded time).',
    }),
    sector: t.relation('sector', { nullable: true, description: '行业 / Industry or sector.' }),
    park: t.relation('park', {
      nullable: true,
      description: '所在园区 / The park the project is in, when known.',
    }),
    investor: t.exposeString('investor', {
      nullable: true,
      description: '投资方/业主 / Investor or owner.',
    }),
    plannedInvestment: t.expose('plannedInvestment', {
      type: 'Decimal',
      nullable: true,
      description: '计划总投资 / Planned total investment, CNY.',
    }),
    completedInvestment: t.expose('completedInvestment', {
      type: 'Decimal',
      nullable: true,
      description: '已完成投资 / Investment completed so far, CNY.',
    }),
    expectedOutputValue: t.expose('expectedOutputValue', {
      type: 'Decimal',
      nullable: true,
      description: '预计产值 / Expected annual output value, CNY.',
    }),
    notes: t.exposeString('notes', { nullable: true, description: '备注 / Free notes.' }),
    createdAt: t.expose('createdAt', {
      type: 'DateTime',
      description: '创建时间 / When the project was recorded.',
    }),
    updatedAt: t.expose('updatedAt', {
      type: 'DateTime',
      description: '更新时间 / When the project was last changed.',
    }),
    createdBy: t.exposeString('createdBy', { description: '创建人 / Who recorded the project.' }),
    updatedBy: t.exposeString('updatedBy', {
      description: '更新人 / Who last changed the project.',
    }),
    milestones: t.field({
      type: [ProjectMilestone],
      description:
        '里程碑 / Each pipeline stage with the date the project first reached it or a later one.',
      select: {
        stageEvents: { select: { toStage: true, occurredOn: true }, orderBy: { sequence: 'asc' } },
      },
      resolve: (project) => {
        const reached = milestoneDates(project.stageEvents);
        return PIPELINE.map((stage) => ({
          stage,
          reached: reached.has(stage),
          reachedOn: reached.get(stage) ?? null,
        }));
      },
    }),
    fundingAwards: t.relation('fundingAwards', {
      description: '资金 / Funding awarded to this project.',
      query: { orderBy: { id: 'asc' } },
    }),
    figures: t.relation('figures', {
      description: '报告数字 / Reported figures about this project.',
      query: { orderBy: { id: 'asc' } },
    }),
    sources: t.relation('sources', {
      description: "来源 / The documents the project's facts come from.",
      query: { orderBy: { id: 'asc' } },
    }),
  }),
});

/** The one connection type of projects: `Query.projects`, `Park.projects`, `Sector.projects`. */
export const ProjectConnection = builder.connectionObject(
  {
    type: ProjectRef,
    name: 'ProjectConnection',
    description: '项目列表 / A page of projects (Relay connection) with the total count.',
  },
  { name: 'ProjectEdge', description: '项目边 / A project with its cursor.' },
);

builder.prismaObjectFields(ParkRef, (t) => ({
  projects: t.relatedConnection(
    'projects',
    {
      description: '园区项目 / Projects in this park, by id.',
      cursor: 'id',
      ...paging,
      totalCount: true,
      query: () => ({ orderBy: { id: 'asc' } }),
    },
    ProjectConnection,
  ),
}));

export const ProjectMilestoneFilter = builder.inputType('ProjectMilestoneFilter', {
  description:
    '里程碑筛选 / Projects that reached a stage (or a later one), optionally within dates.',
  fields: (t) => ({
    stage: t.field({
      type: ProjectStageEnum,
      required: true,
      description: '阶段 / The stage reached.',
    }),
    from: t.field({ type: 'Date', description: '起 / Reached on or after this day.' }),
    to: t.field({ type: 'Date', description: '止 / Reached on or before this day.' }),
  }),
});

export const ProjectFilter = builder.inputType('ProjectFilter', {
  description: '项目筛选 / Filters on projects; all given conditions must hold.',
  fields: (t) => ({
    stage: t.field({
      type: [ProjectStageEnum],
      description: '阶段 / Current stage is one of these.',
    }),
    parkId: t.globalID({ for: ParkRef, description: '园区 / In this park.' }),
    sectorId: t.globalID({ for: SectorRef, description: '行业 / In this sector.' }),
    nameContains: t.string({
      description:
        '名称包含 / Chinese name contains this, or English name contains it (any case), or the code equals it.',
    }),
    plannedInvestmentMin: t.field({
      type: 'Decimal',
      description: '最低计划投资 / Planned investment at least this (CNY).',
    }),
    plannedInvestmentMax: t.field({
      type: 'Decimal',
      description: '最高计划投资 / Planned investment at most this (CNY).',
    }),
    reached: t.field({
      type: ProjectMilestoneFilter,
      description: '里程碑 / Reached a stage, optionally within dates.',
    }),
    changedFrom: t.field({
      type: 'Date',
      description: '变更起 / Stage last changed on or after this day.',
    }),
    changedTo: t.field({
      type: 'Date',
      description: '变更止 / Stage last changed on or before this day.',
    }),
  }),
});

export const ProjectOrderField = builder.enumType('ProjectOrderField', {
  description: '项目排序字段 / What to order projects by.',
  values: {
    NAME: { description: '名称 / Chinese name.' },
    PLANNED_INVESTMENT: { description: '计划投资 / Planned investment (unknown last).' },
    STAGE: { description: '阶段 / Pipeline stage, earliest first.' },
    STAGE_CHANGED_AT: { description: '最近变更 / When the stage last changed.' },
    CREATED_AT: { description: '创建时间 / When the project was recorded.' },
  } as const,
});

export const ProjectOrder = builder.inputType('ProjectOrder', {
  description: '项目排序 / Ordering of projects; ties are broken by id.',
  fields: (t) => ({
    field: t.field({ type: ProjectOrderField, required: true, description: '字段 / Field.' }),
    direction: t.field({
      type: SortDirectionEnum,
      defaultValue: 'ASC',
      description: '方向 / Direction.',
    }),
  }),
});

type FilterArg = typeof ProjectFilter.$inferInput;

/** GraphQL filter input (global ids) → service filter values. */
export function toFilterValues(filter: FilterArg | null | undefined) {
  if (!filter) return null;
  return {
    ...filter,
    parkId: filter.parkId ? Number(filter.parkId.id) : null,
    sectorId: filter.sectorId ? Number(filter.sectorId.id) : null,
  };
}

function projectOrderBy(
  order: typeof ProjectOrder.$inferInput | null | undefined,
): Prisma.ProjectOrderByWithRelationInput[] {
  const dir = order?.direction === 'DESC' ? 'desc' : 'asc';
  const by: Prisma.ProjectOrderByWithRelationInput[] = [];
  switch (order?.field) {
    case 'NAME':
      by.push({ name: dir });
      break;
    case 'PLANNED_INVESTMENT':
      by.push({ plannedInvestment: { sort: dir, nulls: 'last' } });
      break;
    case 'STAGE':
      by.push({ stage: dir });
      break;
    case 'STAGE_CHANGED_AT':
      by.push({ stageChangedAt: dir });
      break;
    case 'CREATED_AT':
      by.push({ createdAt: dir });
      break;
    default:
      break;
  }
  by.push({ id: dir });
  return by;
}

/** The `where` of a project list, as it stands or as it stood on `asOf`. */
function listWhere(filter: FilterArg | null | undefined, asOf: Date | null | undefined) {
  return asOf
    ? projectsAsOfWhere(toFilterValues(filter), checkedAsOf(asOf))
    : projectWhere(toFilterValues(filter));
}

builder.queryFields((t) => ({
  projects: t.prismaConnection(
    {
      type: 'Project',
      cursor: 'id',
      ...paging,
      description: '项目列表 / Projects, filtered and ordered; a Relay connection with totalCount.',
      args: {
        filter: t.arg({ type: ProjectFilter, description: '筛选 / Filter.' }),
        orderBy: t.arg({ type: ProjectOrder, description: '排序 / Ordering (default: by id).' }),
        asOf: t.arg({
          type: 'Date',
          description:
            '截至日 / The projects as they stood on this day, rebuilt from the stage-event log: those that existed then, ' +
            'each with its `stage`, `stageSince` and `daysAtStage` of that day, `filter.stage` matching the stage then. ' +
            'A change dated only to a month, quarter or year counts from the last day of that period ' +
            '(`stageSinceEstimated`). Not with `orderBy: STAGE`.',
        }),
      },
      totalCount: (_parent, args, ctx) =>
        ctx.prisma.project.count({ where: listWhere(args.filter, args.asOf) }),
      resolve: async (query, _parent, args, ctx) => {
        if (!args.asOf) {
          const where = projectWhere(toFilterValues(args.filter));
          // Ordered by id (the default), a page after a cursor is one statement like the first.
          if (!args.orderBy) return ctx.prisma.project.findMany(pageById(query, where));
          return ctx.prisma.project.findMany({
            ...query,
            where,
            orderBy: projectOrderBy(args.orderBy),
          });
        }
        const asOf = checkedAsOf(args.asOf);
        if (args.orderBy?.field === 'STAGE') {
          throw new GraphQLError(
            '`orderBy: STAGE` orders by the current stage: it cannot be combined with `asOf`',
            { extensions: { code: 'BAD_USER_INPUT' } },
          );
        }
        const rows = await ctx.prisma.project.findMany({
          ...withPeriodOn(query, asOf),
          where: projectsAsOfWhere(toFilterValues(args.filter), asOf),
          orderBy: projectOrderBy(args.orderBy),
        });
        return rows.map((row) => asOfProject(row, asOf));
      },
    },
    ProjectConnection,
  ),
  sectors: t.prismaField({
    type: ['Sector'],
    description: '行业列表 / All sectors, leading industries first.',
    resolve: (query, _parent, _args, ctx) =>
      ctx.prisma.sector.findMany({ ...query, orderBy: [{ leading: 'desc' }, { id: 'asc' }] }),
  }),
}));

// ---------------------------------------------------------------------------------------------
// Writes: createProject, updateProject (rules in src/services/projects.ts). The stage is set
// at creation and changed afterwards only through advanceProjectStage.

const projectFieldInputs = {
  nameEn: { description: '英文名称 / Name in English.' },
  description: { description: '简介 / Description.' },
  investor: { description: '投资方/业主 / Investor or owner.' },
  notes: { description: '备注 / Free notes.' },
} as const;

export const CreateProjectInput = builder.inputType('CreateProjectInput', {
  description:
    '新建项目 / A new project. Names are trimmed and non-empty; amounts are CNY, 0 to 1e16, at most 2 decimals.',
  fields: (t) => ({
    code: t.string({
      required: true,
      description:
        '项目编码 / Unique code: 2–40 letters, digits, ".", "_" or "-", e.g. LZ-2025-033.',
    }),
    name: t.string({
      required: true,
      description: '项目名称 / Unique name in Chinese, at most 200 characters.',
    }),
    nameEn: t.string(projectFieldInputs.nameEn),
    description: t.string(projectFieldInputs.description),
    sectorId: t.id({ description: '行业 / Global id of the sector.' }),
    parkId: t.id({ description: '园区 / Global id of the park.' }),
    investor: t.string(projectFieldInputs.investor),
    plannedInvestment: t.field({
      type: 'Decimal',
      description: '计划总投资 / Planned total investment, CNY.',
    }),
    completedInvestment: t.field({
      type: 'Decimal',
      description: '已完成投资 / Investment completed so far, CNY.',
    }),
    expectedOutputValue: t.field({
      type: 'Decimal',
      description: '预计产值 / Expected annual output value, CNY.',
    }),
    notes: t.string(projectFieldInputs.notes),
    stage: t.field({
      type: ProjectStageEnum,
      description: '初始阶段 / The pipeline stage it is recorded at (default PLANNED).',
    }),
    stageOccurredOn: t.field({
      type: 'Date',
      description: '阶段日期 / When it reached that stage (default: today in Liaozhong).',
    }),
    stageOccurredPrecision: t.field({
      type: DatePrecisionEnum,
      description: '日期精度 / How exact `stageOccurredOn` is (default DAY).',
    }),
    stageNote: t.string({
      description: '阶段备注 / Note on the initial stage event, e.g. the report it comes from.',
    }),
  }),
});

export const UpdateProjectInput = builder.inputType('UpdateProjectInput', {
  description:
    '修改项目 / Changes to a project: an omitted field is kept, null clears it (not `code` or `name`). The stage is ' +
    'changed with advanceProjectStage, not here.',
  fields: (t) => ({
    id: t.id({ required: true, description: '项目 / Global id of the project.' }),
    code: t.string({ description: '项目编码 / New unique code.' }),
    name: t.string({ description: '项目名称 / New unique name.' }),
    nameEn: t.string(projectFieldInputs.nameEn),
    description: t.string(projectFieldInputs.description),
    sectorId: t.id({ description: '行业 / Global id of the sector; null: none.' }),
    parkId: t.id({ description: '园区 / Global id of the park; null: none.' }),
    investor: t.string(projectFieldInputs.investor),
    plannedInvestment: t.field({
      type: 'Decimal',
      description: '计划总投资 / Planned total investment, CNY.',
    }),
    completedInvestment: t.field({
      type: 'Decimal',
      description: '已完成投资 / Investment completed so far, CNY.',
    }),
    expectedOutputValue: t.field({
      type: 'Decimal',
      description: '预计产值 / Expected annual output value, CNY.',
    }),
    notes: t.string(projectFieldInputs.notes),
  }),
});

/** A written project, re-read with the client's selection. */
interface ProjectPayload {
  projectId: number;
}

const projectPayloadFields = (name: string, description: string) =>
  builder.objectRef<ProjectPayload>(name).implement({
    description,
    fields: (t) => ({
      project: t.prismaField({
        type: 'Project',
        description: '项目 / The project as stored now.',
        resolve: (query, payload, _args, ctx) =>
          ctx.prisma.project.findUniqueOrThrow({ ...query, where: { id: payload.projectId } }),
      }),
    }),
  });

const CreateProjectSuccess = projectPayloadFields(
  'CreateProjectSuccess',
  '新建成功 / The project was created with its INITIAL stage event.',
);
const UpdateProjectSuccess = projectPayloadFields(
  'UpdateProjectSuccess',
  '修改成功 / The project was changed.',
);

const projectWriteErrors = [ValidationError, NotFoundError, ConflictError];

builder.mutationFields((t) => ({
  createProject: t.field({
    type: CreateProjectSuccess,
    description:
      '新建项目 / Record a new project at its first stage; subscribers hear its INITIAL stage event.',
    args: {
      input: t.arg({
        type: CreateProjectInput,
        required: true,
        description: '项目 / The project.',
      }),
    },
    errors: {
      types: projectWriteErrors,
      directResult: true,
      union: {
        name: 'CreateProjectResult',
        description: '新建结果 / The new project, or a typed error (nothing written).',
      },
    },
    resolve: async (_root, { input }, ctx) => {
      const { project } = await createProject(
        ctx,
        {
          ...input,
          sectorId: decodeOptionalNodeId(input.sectorId, 'Sector'),
          parkId: decodeOptionalNodeId(input.parkId, 'Park'),
        },
        ctx.viewer.actor,
      );
      return { projectId: project.id };
    },
  }),
  updateProject: t.field({
    type: UpdateProjectSuccess,
    description: "修改项目 / Change a project's details (not its stage: use advanceProjectStage).",
    args: {
      input: t.arg({
        type: UpdateProjectInput,
        required: true,
        description: '修改 / The changes.',
      }),
    },
    errors: {
      types: projectWriteErrors,
      directResult: true,
      union: {
        name: 'UpdateProjectResult',
        description: '修改结果 / The changed project, or a typed error (nothing written).',
      },
    },
    resolve: async (_root, { input }, ctx) => {
      const { id, sectorId, parkId, ...fields } = input;
      const project = await updateProject(
        ctx,
        decodeNodeId(String(id), 'Project'),
        {
          ...fields,
          sectorId: decodeOptionalNodeId(sectorId, 'Sector'),
          parkId: decodeOptionalNodeId(parkId, 'Park'),
        },
        ctx.viewer.actor,
      );
      return { projectId: project.id };
    },
  }),
}));
