/** The domain's enums, each value with its Chinese term and English meaning (the stages' from src/services/stages.ts). */
import {
  ChannelKind,
  FacilityStatus,
  FigureQualifier,
  FundingInstrument,
  FundingSourceLevel,
  ParkKind,
  ProjectStage,
  StageEventKind,
} from '../generated/prisma/client.ts';
import { STAGE_TERMS } from '../services/stages.ts';
import { builder } from './builder.ts';

export const ProjectStageEnum = builder.enumType(ProjectStage, {
  name: 'ProjectStage',
  description: "项目阶段 / The district's project pipeline, in the order the district reports it.",
  values: Object.fromEntries(
    Object.entries(STAGE_TERMS).map(([stage, term]) => [
      stage,
      { description: `${term.zh} / ${term.meaning}` },
    ]),
  ),
});

export const StageEventKindEnum = builder.enumType(StageEventKind, {
  name: 'StageEventKind',
  description: '阶段变更类型 / What kind of stage change an event records.',
  values: {
    INITIAL: { description: '初始 / The stage a project was first recorded at.' },
    ADVANCE: { description: '推进 / A forward move (stages may be skipped).' },
    SUSPEND: { description: '暂停 / Suspended.' },
    RESUME: { description: '恢复 / Resumed at the stage it left.' },
    CANCEL: { description: '取消 / Cancelled.' },
    CORRECTION: {
      description: '更正 / A backward move correcting an earlier record; carries a note.',
    },
  },
});

export const ParkKindEnum = builder.enumType(ParkKind, {
  name: 'ParkKind',
  description: '园区类型 / Kind of zone or park.',
  values: {
    BONDED_ZONE: { description: '综合保税区 / Comprehensive bonded zone.' },
    PARK: { description: '产业园 / Industrial park.' },
  },
});

export const FacilityStatusEnum = builder.enumType(FacilityStatus, {
  name: 'FacilityStatus',
  description: '设施状态 / State of a park or facility at a snapshot.',
  values: {
    PLANNED: { description: '规划 / Planned.' },
    UNDER_CONSTRUCTION: { description: '在建 / Under construction.' },
    FITTING_OUT: { description: '装修 / Interior fit-out under way.' },
    COMPLETED: { description: '完工 / Completed.' },
    IN_OPERATION: { description: '运营 / In operation.' },
  },
});

export const FundingSourceLevelEnum = builder.enumType(FundingSourceLevel, {
  name: 'FundingSourceLevel',
  description: '资金来源层级 / Where the money comes from.',
  values: {
    CENTRAL: { description: '中央 / Central government funds.' },
    PROVINCIAL: { description: '省级 / Provincial funds.' },
    PROVINCIAL_AND_ABOVE: {
      description: '省级及以上 / Provincial-level-and-above funds, as reported together.',
    },
    MUNICIPAL: { description: '市级 / Municipal funds.' },
    DISTRICT: { description: '区级 / District funds.' },
    POLICY_BANK: { description: '政策性银行 / Policy-bank financing.' },
    SPECIAL_BOND: { description: '专项债 / Local government special bonds.' },
    COMMERCIAL_BANK: { description: '商业银行 / Commercial-bank loans.' },
    OTHER: { description: '其他 / Other sources.' },
  },
});

export const FundingInstrumentEnum = builder.enumType(FundingInstrument, {
  name: 'FundingInstrument',
  description: '资金形式 / The form the money takes.',
  values: {
    GRANT: { description: '补助 / Grant.' },
    LOAN: { description: '贷款 / Loan.' },
    BOND: { description: '债券 / Bond.' },
    SUBSIDY: { description: '补贴 / Subsidy.' },
    EQUITY: { description: '股权 / Equity.' },
    UNSPECIFIED: { description: '未说明 / The source does not say.' },
  },
});

export const ChannelKindEnum = builder.enumType(ChannelKind, {
  name: 'ChannelKind',
  description: '物流通道类型 / Kind of logistics channel.',
  values: {
    RAIL_FREIGHT: { description: '国际班列 / International rail freight.' },
    ROAD_TIR: { description: 'TIR国际道路运输 / TIR international road transport.' },
  },
});

export const FigureQualifierEnum = builder.enumType(FigureQualifier, {
  name: 'FigureQualifier',
  description: '数字限定 / How a reported number relates to the truth.',
  values: {
    EXACT: { description: '精确 / As stated.' },
    AT_LEAST: { description: '以上 / At least this much.' },
    AT_MOST: { description: '以内 / At most this much ("within").' },
    APPROXIMATE: { description: '约/预计 / Approximate or expected.' },
  },
});

export const SortDirectionEnum = builder.enumType('SortDirection', {
  description: '排序方向 / Sort direction.',
  values: {
    ASC: { description: '升序 / Ascending.' },
    DESC: { description: '降序 / Descending.' },
  } as const,
});
