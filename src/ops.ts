/**
 * What operators see: `/health` (Yoga's: the process is alive), `/ready` (the database answers, and
 * Redis when configured), and Prometheus metrics at `/metrics`: requests, errors and durations
 * per operation from @graphql-yoga/plugin-prometheus, plus the hub's own gauges and counters
 * for open subscriptions by transport, events published and delivered, and answers served from
 * the response cache.
 */

import { randomUUID } from 'node:crypto';
import { usePrometheus } from '@graphql-yoga/plugin-prometheus';
import type { Plugin } from 'graphql-yoga';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Database } from './db/index.ts';
import type { Logger } from './logger.ts';
import type { StreamObserver } from './realtime/shared-subscriptions.ts';

export interface HubMetrics {
  registry: Registry;
  subscriptionsOpen: Gauge<'transport'>;
  eventsPublished: Counter;
  eventsDelivered: Counter<'transport'>;
  /**
   * Results delivered and not yet added to `eventsDelivered`, which adds them when it is read: a
   * counter's `inc` costs a label hash per call, and there is one delivery per subscriber per event.
   */
  deliveredSince: Record<'ws' | 'sse', number>;
  responseCache: Counter<'result'>;
  liveQueries: { executions: Counter; open: Gauge };
}

/** One registry per app, so several apps in one process (tests) never share counters. */
export function createMetrics(): HubMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const deliveredSince = { ws: 0, sse: 0 };
  return {
    deliveredSince,
    registry,
    subscriptionsOpen: new Gauge({
      name: 'hub_subscriptions_open',
      help: 'Open GraphQL subscriptions, by transport (ws = graphql-ws, sse = server-sent events)',
      labelNames: ['transport'],
      registers: [registry],
    }),
    eventsPublished: new Counter({
      name: 'hub_events_published_total',
      help: 'Stage-change events published after commit by this server',
      registers: [registry],
    }),
    eventsDelivered: new Counter({
      name: 'hub_events_delivered_total',
      help: 'Subscription results sent to clients, by transport',
      labelNames: ['transport'],
      registers: [registry],
      collect() {
        for (const transport of ['ws', 'sse'] as const) {
          if (!deliveredSince[transport]) continue;
          this.inc({ transport }, deliveredSince[transport]);
          deliveredSince[transport] = 0;
        }
      },
    }),
    liveQueries: {
      executions: new Counter({
        name: 'hub_live_query_executions_total',
        help: 'Executions of @live queries: first answers and re-executions after a change (identical live queries share one)',
        registers: [registry],
      }),
      open: new Gauge({
        name: 'hub_live_queries_open',
        help: 'Distinct @live queries kept current now (identical ones, asked with the same role, count once)',
        registers: [registry],
      }),
    },
    responseCache: new Counter({
      name: 'hub_response_cache_total',
      help: 'Query answers served from memory (result="hit"), computed then kept (result="computed"), and requests that waited for an identical request\'s answer (result="shared")',
      labelNames: ['result'],
      registers: [registry],
    }),
  };
}

/** Prometheus metrics of every GraphQL operation, served at /metrics. */
export function useMetrics(metrics: HubMetrics): Plugin {
  return usePrometheus({
    endpoint: '/metrics',
    registry: metrics.registry,
    metrics: {
      graphql_yoga_http_duration: true,
      // Queries and mutations. Subscriptions are counted by the hub's own metrics (open streams,
      // results delivered; subscriptionObserver): the plugin's per-result hooks would wrap every
      // subscriber's stream in one more async iterator, a step per delivery.
      graphql_envelop_request: ['execute'],
      graphql_envelop_request_duration: ['execute'],
      graphql_envelop_error_result: ['parse', 'validate', 'context', 'execute'],
      graphql_envelop_phase_parse: true,
      graphql_envelop_phase_validate: true,
      graphql_envelop_phase_execute: true,
      graphql_envelop_phase_subscribe: false,
      // Per request, these walk the document with type info (deprecated fields: the schema has
      // none) or keep quantiles in-process (the summary: the duration histogram says as much).
      // Together they were about a twentieth of the CPU of a request the caches cannot answer.
      graphql_envelop_deprecated_field: false,
      graphql_envelop_request_time_summary: false,
    },
  });
}

/** Counts open subscription streams and every result delivered on them, by transport. */
export function subscriptionObserver(metrics: HubMetrics): (context: unknown) => StreamObserver {
  const open = {
    ws: metrics.subscriptionsOpen.labels({ transport: 'ws' }),
    sse: metrics.subscriptionsOpen.labels({ transport: 'sse' }),
  };
  const delivered = metrics.deliveredSince;
  return (context) => {
    const transport = (context as { transport?: string }).transport === 'ws' ? 'ws' : 'sse';
    open[transport].inc();
    return {
      next: () => {
        delivered[transport] += 1;
      },
      end: () => open[transport].dec(),
    };
  };
}

export interface Readiness {
  db: Database;
  /** Pings Redis when the hub uses it. */
  redisPing?: () => Promise<unknown>;
  /** Bound on each check, so /ready answers even when a dependency hangs. @default 2_000 */
  timeoutMs?: number;
  /** Where the reason of a failed check goes. */
  logger?: Pick<Logger, 'warn'>;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** GET /ready. (GET /health, 200 while the process serves, is Yoga's own health check.) */
export function useHealthChecks({ db, redisPing, timeoutMs = 2_000, logger }: Readiness): Plugin {
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    });
  return {
    async onRequest({ url, endResponse }) {
      if (url.pathname !== '/ready') return;
      const checks: Record<string, string> = {};
      let ready = true;
      const check = async (name: string, run: () => Promise<unknown>) => {
        try {
          await withTimeout(run(), timeoutMs, name);
          checks[name] = 'ok';
        } catch (error) {
          ready = false;
          // The reason goes to the log; anyone may call /ready, and it must not show hosts or ports.
          logger?.warn({ err: error, check: name }, 'readiness check failed');
          checks[name] = 'unavailable';
        }
      };
      await check('database', () => db.sql.query('SELECT 1'));
      if (redisPing) await check('redis', redisPing);
      endResponse(json(ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks }));
    },
  };
}

/**
 * One JSON log line per request with a request id (the caller's `x-request-id`, or a new one),
 * echoed in the response's `x-request-id` header. Only method, path, status and duration are
 * logged: never headers, bodies or credentials. Probes and metrics scrapes log at debug level.
 */
export function useRequestLogging(logger: Logger): Plugin {
  const started = new WeakMap<Request, { id: string; at: number }>();
  return {
    onRequest({ request }) {
      const given = request.headers.get('x-request-id');
      const id = given && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
      started.set(request, { id, at: performance.now() });
    },
    onResponse({ request, response }) {
      const s = started.get(request);
      if (!s) return;
      response.headers.set('x-request-id', s.id);
      // Below info nothing of this would be written (probes log at debug, which is lower): skip
      // parsing the URL and building the line on every request.
      if (!logger.isLevelEnabled('info')) return;
      const path = new URL(request.url).pathname;
      const quiet = path === '/health' || path === '/ready' || path === '/metrics';
      logger[quiet ? 'debug' : 'info'](
        {
          reqId: s.id,
          method: request.method,
          path,
          status: response.status,
          ms: Math.round(performance.now() - s.at),
        },
        'request',
      );
    },
  };
}
