/**
 * Data exchange over HTTP, as a Yoga plugin beside /graphql:
 *   GET /export/projects.csv       projects as CSV (filters as query params)   signed-in viewer
 *   GET /export/stage-events.csv   the stage-event log as CSV (same filters, and `after`)  viewer
 *   GET /export/stalled-projects.csv    `stalledProjects` as CSV (`minDays` and the same filters)  viewer
 *   GET /export/approval-breaches.csv   `approvalBreaches` as CSV (`limitWorkingDays`, `from`, `to`,
 *                                       `includePending`, `park`, `sector`)  viewer
 *   GET /oc4ids                    the OC4IDS project package (open data)      public
 *
 * Who may call is decided in one place, `allowed(viewer, route.access)`, from the viewer the
 * `viewer` option resolves (the hub's authentication); without it every caller is a viewer.
 */
import type { Plugin } from 'graphql-yoga';
import { AuthenticationError, roleAtLeast } from '../auth.ts';
import type { HubConfig } from '../config.ts';
import type { Viewer } from '../context.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';
import { DATABASE_RETRY_AFTER_S, isDatabaseUnavailable } from '../masked-errors.ts';
import { approvalBreachesCsv, stalledProjectsCsv } from './analytics-export.ts';
import {
  ExportFilterError,
  exportProjectsCsv,
  exportStageEventsCsv,
  filterParamsFromSearch,
  resolveExportFilter,
} from './csv-export.ts';
import { EmptyPackageError, oc4idsPackageChunks } from './oc4ids.ts';

type Access = 'public' | 'viewer';

/** The one access check of every exchange route. */
export function allowed(viewer: Viewer, access: Access): boolean {
  return access === 'public' || roleAtLeast(viewer.role, access);
}

export interface DataExchangeOptions {
  prisma: PrismaClient;
  config: Pick<HubConfig, 'oc4ids'>;
  /**
   * Who is calling, from the request (e.g. its `Authorization: Bearer` header). A thrown
   * AuthenticationError, or an error carrying `extensions.http.status` 401, answers 401.
   * @default every caller is an anonymous viewer
   */
  viewer?: (request: Request) => Viewer | Promise<Viewer>;
  logger?: Pick<Logger, 'warn' | 'error'>;
}

const everyoneViewer: Viewer = { actor: 'anonymous', role: 'viewer' };

type ResponseClass = typeof Response;
/** Cuts the response's connection after a failure mid-body (see `streamed`). */
type Cut = (error: unknown) => void;
type Handler = (url: URL, R: ResponseClass, cut: Cut) => Promise<Response>;

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/**
 * A streamed body whose source can still fail. The first chunk is read before answering, so a
 * failure there (a bad filter the database refuses, an outage) becomes an error status. A
 * failure later, after the status has gone out, cuts the connection (`cut`): a client must not
 * take a truncated file for a whole one, and an erroring body would reach Node's HTTP layer as
 * an unhandled stream error.
 */
async function streamed(
  R: ResponseClass,
  source: AsyncIterable<Uint8Array | string>,
  headers: Record<string, string>,
  cut: (error: unknown) => void,
): Promise<Response> {
  const chunks = source[Symbol.asyncIterator]();
  const first = await chunks.next();
  const bytes = (chunk: Uint8Array | string) =>
    typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first.done) controller.close();
      else controller.enqueue(bytes(first.value));
    },
    async pull(controller) {
      try {
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(bytes(next.value));
      } catch (error) {
        cut(error);
        controller.close();
      }
    },
    async cancel() {
      await chunks.return?.();
    },
  });
  return new R(body, { headers });
}

function problem(
  R: ResponseClass,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new R(JSON.stringify({ error: message }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}

function csvHeaders(name: string): Record<string, string> {
  return {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${name}-${today()}.csv"`,
    'cache-control': 'no-store',
  };
}

/** The exchange routes as a Yoga plugin; add it to createYoga's `plugins`. */
export function useDataExchange(options: DataExchangeOptions): Plugin {
  const { prisma, logger } = options;
  const routes: Record<string, { access: Access; handle: Handler }> = {
    '/export/projects.csv': {
      access: 'viewer',
      async handle(url, R, cut) {
        const filter = await resolveExportFilter(prisma, filterParamsFromSearch(url.searchParams));
        if (filter.after !== null)
          throw new ExportFilterError('after applies to /export/stage-events.csv only');
        return streamed(R, exportProjectsCsv(prisma, filter.project), csvHeaders('projects'), cut);
      },
    },
    '/export/stage-events.csv': {
      access: 'viewer',
      async handle(url, R, cut) {
        const filter = await resolveExportFilter(prisma, filterParamsFromSearch(url.searchParams));
        return streamed(R, exportStageEventsCsv(prisma, filter), csvHeaders('stage-events'), cut);
      },
    },
    '/export/stalled-projects.csv': {
      access: 'viewer',
      async handle(url, R, cut) {
        const stream = await stalledProjectsCsv(prisma, url.searchParams);
        return streamed(R, stream, csvHeaders('stalled-projects'), cut);
      },
    },
    '/export/approval-breaches.csv': {
      access: 'viewer',
      async handle(url, R, cut) {
        const stream = await approvalBreachesCsv(prisma, url.searchParams);
        return streamed(R, stream, csvHeaders('approval-breaches'), cut);
      },
    },
    '/oc4ids': {
      access: 'public',
      async handle(url, R, cut) {
        const chunks = await oc4idsPackageChunks(prisma, {
          ...options.config.oc4ids,
          uri: `${url.origin}${url.pathname}`,
        });
        return streamed(
          R,
          chunks,
          { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' },
          cut,
        );
      },
    },
  };

  return {
    async onRequest({ request, url, endResponse, fetchAPI, serverContext }) {
      const R = fetchAPI.Response as ResponseClass;
      const route = routes[url.pathname];
      if (!route) return;
      if (request.method !== 'GET') {
        endResponse(problem(R, 405, `${url.pathname} answers GET only`, { allow: 'GET' }));
        return;
      }
      try {
        const viewer = options.viewer ? await options.viewer(request) : everyoneViewer;
        if (!allowed(viewer, route.access)) {
          endResponse(
            viewer.role === 'anonymous'
              ? problem(R, 401, 'sign in to export data (Authorization: Bearer <token>)', {
                  'www-authenticate': 'Bearer',
                })
              : problem(R, 403, 'your role may not export data'),
          );
          return;
        }
        const cut: Cut = (error) => {
          logger?.warn({ err: error }, `${url.pathname} failed while streaming; connection cut`);
          (serverContext as { res?: { destroy(): void } }).res?.destroy();
        };
        endResponse(await route.handle(url, R, cut));
      } catch (error) {
        // A credential that is not valid: an AuthenticationError, or a GraphQLError carrying 401.
        const status = (error as { extensions?: { http?: { status?: unknown } } })?.extensions?.http
          ?.status;
        if (error instanceof AuthenticationError || status === 401) {
          endResponse(problem(R, 401, (error as Error).message, { 'www-authenticate': 'Bearer' }));
        } else if (error instanceof ExportFilterError) endResponse(problem(R, 400, error.message));
        else if (error instanceof EmptyPackageError) endResponse(problem(R, 404, error.message));
        else if (isDatabaseUnavailable(error)) {
          endResponse(
            problem(R, 503, 'the database is unavailable; try again in a few seconds', {
              'retry-after': String(DATABASE_RETRY_AFTER_S),
            }),
          );
        } else {
          logger?.error({ err: error }, `${url.pathname} failed`);
          endResponse(problem(R, 500, 'unexpected error'));
        }
      }
    },
  };
}
