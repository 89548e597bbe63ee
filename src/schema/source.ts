/** Source documents: every reported figure and seeded project points to the report it came from. */
import { builder } from './builder.ts';
import { DatePrecisionEnum } from './scalars.ts';

builder.prismaNode('SourceDocument', {
  description: "来源文件 / A report the hub's facts were taken from.",
  id: { field: 'id' },
  nullable: true, // node(id:) of a missing row is null, not an error
  fields: (t) => ({
    code: t.exposeString('code', { description: '代码 / Stable code.' }),
    title: t.exposeString('title', { description: '标题 / Title.' }),
    titleEn: t.exposeString('titleEn', {
      nullable: true,
      description: '英文标题 / Title in English.',
    }),
    publisher: t.exposeString('publisher', {
      nullable: true,
      description: '发布单位 / Publisher.',
    }),
    publishedOn: t.expose('publishedOn', {
      type: 'Date',
      nullable: true,
      description: '发布日期 / Publication date.',
    }),
    publishedPrecision: t.expose('publishedPrecision', {
      type: DatePrecisionEnum,
      description: '日期精度 / How exact the date is.',
    }),
    url: t.exposeString('url', { nullable: true, description: '链接 / Where it was published.' }),
    note: t.exposeString('note', { nullable: true, description: '备注 / Note.' }),
  }),
});

builder.queryFields((t) => ({
  sourceDocuments: t.prismaField({
    type: ['SourceDocument'],
    description: '来源文件列表 / All source documents.',
    resolve: (query, _parent, _args, ctx) =>
      ctx.prisma.sourceDocument.findMany({ ...query, orderBy: { id: 'asc' } }),
  }),
}));
