/** Reported figures and targets: district-wide counts and amounts, with progress. */
import { builder } from './builder.ts';
import { FigureQualifierEnum } from './enums.ts';
import { DatePrecisionEnum } from './scalars.ts';

export const ReportedFigureRef = builder.prismaNode('ReportedFigure', {
  description: '报告数字 / A district-wide count or amount as a report gave it (176 approvals, 17亿 invested...).',
  id: { field: 'id' },
  fields: (t) => ({
    code: t.exposeString('code', { description: '代码 / Stable code.' }),
    label: t.exposeString('label', { description: '名称 / What is counted, in Chinese.' }),
    labelEn: t.exposeString('labelEn', { description: '英文名称 / What is counted, in English.' }),
    category: t.exposeString('category', { description: '类别 / Category (approval, construction, funding...).' }),
    value: t.expose('value', { type: 'Decimal', nullable: true, description: '数值 / The number; null for a textual figure.' }),
    textValue: t.exposeString('textValue', { nullable: true, description: '文字值 / A textual figure (e.g. the working rhythm).' }),
    unit: t.exposeString('unit', { description: '单位 / Unit: projects, CNY, percent, working_days...' }),
    qualifier: t.expose('qualifier', { type: FigureQualifierEnum, description: '限定 / Exact, at least, at most, approximate.' }),
    asOf: t.expose('asOf', { type: 'Date', description: '截至 / As-of date.' }),
    asOfPrecision: t.expose('asOfPrecision', { type: DatePrecisionEnum, description: '日期精度 / How exact the as-of date is.' }),
    approximate: t.exposeBoolean('approximate', { description: '日期近似 / The as-of date is approximate ("so far").' }),
    year: t.exposeInt('year', { description: '年度 / Year.' }),
    project: t.relation('project', { nullable: true, description: '项目 / The project the figure is about, if one.' }),
    note: t.exposeString('note', { nullable: true, description: '备注 / Note.' }),
    source: t.relation('source', { nullable: true, description: '来源 / Source document.' }),
    recordedAt: t.expose('recordedAt', { type: 'DateTime', description: '记录时间 / When it was recorded.' }),
    recordedBy: t.exposeString('recordedBy', { description: '记录人 / Who recorded it.' }),
  }),
});

export const TargetRef = builder.prismaNode('Target', {
  description: '目标 / A target, with the reported figure that measures progress against it.',
  id: { field: 'id' },
  fields: (t) => ({
    code: t.exposeString('code', { description: '代码 / Stable code.' }),
    label: t.exposeString('label', { description: '名称 / The target, in Chinese.' }),
    labelEn: t.exposeString('labelEn', { description: '英文名称 / The target, in English.' }),
    year: t.exposeInt('year', { description: '年度 / Year.' }),
    value: t.expose('value', { type: 'Decimal', description: '目标值 / Target value.' }),
    unit: t.exposeString('unit', { description: '单位 / Unit.' }),
    dueBy: t.expose('dueBy', { type: 'Date', nullable: true, description: '期限 / Due by.' }),
    actual: t.relation('actual', { nullable: true, description: '实际 / The reported figure measuring progress.' }),
    reportedRate: t.expose('reportedRate', {
      type: 'Decimal',
      nullable: true,
      description: '报告完成率 / The completion rate the report itself gave, in percent (e.g. 43.3).',
    }),
    note: t.exposeString('note', { nullable: true, description: '备注 / Note.' }),
    source: t.relation('source', { nullable: true, description: '来源 / Source document.' }),
  }),
});
