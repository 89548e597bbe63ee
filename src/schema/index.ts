/** The schema: each domain file registers its types and fields on the builder. */
import { LiveDirective } from '../realtime/live-queries.ts';
import { builder } from './builder.ts';
import './scalars.ts';
import './enums.ts';
import './errors.ts';
import './source.ts';
import './project.ts';
import './park.ts';
import './stage-events.ts';
import './funding.ts';
import './figures.ts';
import './logistics.ts';
import './dashboard.ts';
import './dashboard-live.ts';
import './analytics.ts';

// Who may do what, for every field of a root type: viewers read and subscribe, editors write
// (fields that change reported figures and targets ask for admin on top).
builder.mutationType({
  description: '写入 / Writes by editors: stage changes, projects, funding, observations, figures.',
  authScopes: { editor: true },
});

builder.subscriptionType({
  authScopes: { viewer: true },
  description:
    '订阅 / Live updates over graphql-ws (WebSocket) or SSE on /graphql: stage changes and dashboards.',
});

builder.queryType({
  description: "查询 / Reads: the district's projects, parks, funding, logistics and figures.",
  authScopes: { viewer: true },
});

builder.globalConnectionField('totalCount', (t) =>
  t.int({
    description: '总数 / How many items the whole connection has, across all pages.',
    resolve: (parent) =>
      typeof parent.totalCount === 'function' ? parent.totalCount() : parent.totalCount,
  }),
);

export const schema = builder.toSchema({ sortSchema: true, directives: [LiveDirective] });
