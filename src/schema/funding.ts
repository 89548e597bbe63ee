/** Funding won by the district: awards by source level and instrument. */
import { builder } from './builder.ts';
import { FundingInstrumentEnum, FundingSourceLevelEnum } from './enums.ts';
import { DatePrecisionEnum } from './scalars.ts';

export const FundingAwardRef = builder.prismaNode('FundingAward', {
  description: '资金 / Money won: a single award, or a district-wide total as the report gave it.',
  id: { field: 'id' },
  fields: (t) => ({
    code: t.exposeString('code', { description: '代码 / Stable code.' }),
    sourceLevel: t.expose('sourceLevel', { type: FundingSourceLevelEnum, description: '来源层级 / Central, provincial, policy bank...' }),
    instrument: t.expose('instrument', { type: FundingInstrumentEnum, description: '资金形式 / Grant, loan...' }),
    programme: t.exposeString('programme', { nullable: true, description: '项目/专项 / Programme, in Chinese.' }),
    programmeEn: t.exposeString('programmeEn', { nullable: true, description: '专项英文 / Programme, in English.' }),
    amount: t.expose('amount', { type: 'Decimal', description: '金额 / Amount, CNY.' }),
    year: t.exposeInt('year', { description: '年度 / Year the award counts for.' }),
    awardedOn: t.expose('awardedOn', { type: 'Date', nullable: true, description: '获批日期 / When it was awarded.' }),
    asOf: t.expose('asOf', { type: 'Date', nullable: true, description: '截至 / As-of date of a reported total.' }),
    asOfPrecision: t.expose('asOfPrecision', { type: DatePrecisionEnum, description: '日期精度 / How exact the as-of date is.' }),
    reportedTotal: t.exposeBoolean('reportedTotal', {
      description: '报告汇总数 / A district-wide total as the report gave it, not a single award.',
    }),
    overlapNote: t.exposeString('overlapNote', {
      nullable: true,
      description: '重叠说明 / Why this amount must not be added to others (it may include them).',
    }),
    project: t.relation('project', { nullable: true, description: '项目 / The project funded, when known.' }),
    note: t.exposeString('note', { nullable: true, description: '备注 / Note.' }),
    source: t.relation('source', { nullable: true, description: '来源 / Source document.' }),
    recordedAt: t.expose('recordedAt', { type: 'DateTime', description: '记录时间 / When it was recorded.' }),
    recordedBy: t.exposeString('recordedBy', { description: '记录人 / Who recorded it.' }),
  }),
});
