/**
 * `dashboardUpdated(year)`: the dashboard of `dashboard(year)`, live (src/realtime/dashboard-feed.ts).
 * Kept beside dashboard.ts, which defines the Dashboard type and the query.
 */

import { openDashboardFeed } from '../realtime/dashboard-feed.ts';
import {
  endWithErrorPayload,
  isLiveError,
  type LivePayload,
  liveError,
} from '../realtime/feed-errors.ts';
import type { DashboardData } from '../services/dashboard.ts';
import { builder } from './builder.ts';
import { DashboardRef, dashboardYear } from './dashboard.ts';

builder.subscriptionFields((t) => ({
  dashboardUpdated: t.field({
    type: DashboardRef,
    description:
      '看板推送 / The dashboard now, then again whenever a committed change alters it (bursts are coalesced: at most ' +
      'about four updates a second). If the server loses its event bus the subscription ends with an error (code ' +
      'EVENT_BUS_LOST): subscribe again.',
    args: {
      year: t.arg.int({
        description:
          '年度 / The year; default: the current calendar year in the district (Asia/Shanghai).',
      }),
    },
    subscribe: async (_root, args, ctx) =>
      endWithErrorPayload(
        await openDashboardFeed({
          prisma: ctx.prisma,
          pubsub: ctx.pubsub,
          year: dashboardYear(args.year),
          // Every display of a year shares one computation per change.
          compute: (_prisma, year) => ctx.dashboards.get(year),
        }),
      ),
    resolve: (payload: LivePayload<DashboardData>) => {
      if (isLiveError(payload)) throw liveError(payload.liveError, 'Subscribe again.');
      return payload;
    },
  }),
}));
