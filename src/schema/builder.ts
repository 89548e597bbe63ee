/** The Pothos schema builder: plugins, scalars' TypeScript shapes and the context. No types here. */
import SchemaBuilder from '@pothos/core';
import ComplexityPlugin, { ComplexityErrorKind } from '@pothos/plugin-complexity';
import ErrorsPlugin from '@pothos/plugin-errors';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { GraphQLError } from 'graphql';
import { roleAtLeast } from '../auth.ts';
import type { HubContext } from '../context.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import type PrismaTypes from '../generated/prisma/pothos-types.ts';
import { getDatamodel } from '../generated/prisma/pothos-types.ts';
import { parseGlobalId, quoteInput } from '../services/errors.ts';
import './argument-guard.ts';
import './loaded-columns.ts';

/** Depth, breadth and cost limits of one operation; configurable (HUB_MAX_DEPTH, HUB_MAX_COMPLEXITY). */
export const DEFAULT_QUERY_LIMITS = { depth: 12, breadth: 300, complexity: 5_000 };

/**
 * Marks a root field that aggregates the whole district (the dashboard, the pipeline analytics):
 * its calls share the larger of the rate limit's two budgets (src/security.ts), as writes share
 * the smaller one.
 */
export const AGGREGATE_READ = { rateLimit: 'aggregate' } as const;

export const builder = new SchemaBuilder<{
  PrismaTypes: PrismaTypes;
  Context: HubContext;
  DefaultFieldNullability: false;
  Scalars: {
    ID: { Input: string; Output: string | number | bigint };
    Decimal: { Input: Prisma.Decimal; Output: Prisma.Decimal | string | number };
    Date: { Input: Date; Output: Date };
    DateTime: { Input: Date; Output: Date };
  };
  Connection: { totalCount: number | (() => number | Promise<number>) };
  /** Roles nest: an admin has every scope, an editor `editor` and `viewer`. */
  AuthScopes: { viewer: boolean; editor: boolean; admin: boolean };
}>({
  // The argument guard (./argument-guard.ts) sits inside plugin-errors, so a mutation's bad input
  // becomes its ValidationError.
  plugins: [
    ScopeAuthPlugin,
    ComplexityPlugin,
    ErrorsPlugin,
    'argumentGuard',
    // Just outside plugin-prisma: a column the row already carries skips its per-field mapping.
    'loadedColumns',
    PrismaPlugin,
    RelayPlugin,
  ],
  complexity: {
    // Each field costs 1; a list multiplies what it selects by 10 (connections' edges too).
    defaultComplexity: 1,
    defaultListMultiplier: 10,
    limit: (ctx) => ctx.queryLimits ?? DEFAULT_QUERY_LIMITS,
    complexityError: (kind, result, info) =>
      new GraphQLError(
        kind === ComplexityErrorKind.Depth
          ? `Query is ${result.depth} levels deep; the limit is ${result.maxDepth}`
          : kind === ComplexityErrorKind.Breadth
            ? `Query selects ${result.breadth} fields; the limit is ${result.maxBreadth}`
            : `Query costs ${result.complexity}; the limit is ${result.maxComplexity}. Ask for fewer items or fewer nested lists`,
        { extensions: { code: 'QUERY_TOO_COMPLEX', kind, operation: info.operation.name?.value } },
      ),
  },
  scopeAuth: {
    // Check a subscription's scopes when it starts, not only when its first event resolves.
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      viewer: roleAtLeast(ctx.viewer.role, 'viewer'),
      editor: roleAtLeast(ctx.viewer.role, 'editor'),
      admin: roleAtLeast(ctx.viewer.role, 'admin'),
    }),
    unauthorizedError: (_parent, ctx, info) =>
      ctx.viewer.role === 'anonymous'
        ? new GraphQLError(
            `Sign in to use \`${info.fieldName}\`: send Authorization: Bearer <token>`,
            {
              extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
            },
          )
        : new GraphQLError(`Your role (${ctx.viewer.role}) may not use \`${info.fieldName}\``, {
            extensions: { code: 'FORBIDDEN' },
          }),
  },
  defaultFieldNullability: false,
  prisma: {
    // The client comes from the context, so one schema serves any database the app opens.
    client: (ctx) => ctx.prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    onUnusedQuery: null,
  },
  relay: {
    cursorType: 'String',
    // Every global id the schema reads (`node`, `nodes`, id filters) must name a row: a type and
    // a whole key from 1 to 2^31-1. `Project:1.5` must not find row 1, a 20-digit key must not
    // overflow the database's integer.
    decodeGlobalID: (globalID) => {
      const parsed = parseGlobalId(globalID);
      if (!parsed) {
        throw new GraphQLError(
          `${quoteInput(globalID)} is not an id: pass an \`id\` as the API returned it`,
          {
            extensions: { code: 'BAD_USER_INPUT' },
          },
        );
      }
      return { typename: parsed.typename, id: String(parsed.key) };
    },
    clientMutationId: 'omit',
    nodeQueryOptions: {
      description: '按全局ID取任意对象 / Fetch any object by its global id.',
      args: { id: { description: '全局ID / The global id, as any `id` field returned it.' } },
    },
    nodesQueryOptions: {
      description: '按全局ID批量取对象 / Fetch several objects by their global ids.',
      args: { ids: { description: '全局ID列表 / The global ids, as `id` fields returned them.' } },
    },
    // Descriptions of what the relay plugin generates, so every type and field explains itself.
    idFieldOptions: {
      description: '全局ID / Relay global id: opaque, stable, accepted by `node(id:)`.',
    },
    nodeTypeOptions: {
      description: '节点 / Any object with a global id; `node(id:)` fetches each of them.',
    },
    pageInfoTypeOptions: {
      description:
        '分页信息 / Where a page sits in its connection: its end cursors and whether more pages exist.',
    },
    hasNextPageFieldOptions: {
      description: '有下一页 / More items follow this page (when paging forward with `first`).',
    },
    hasPreviousPageFieldOptions: {
      description: '有上一页 / More items precede this page (when paging backward with `last`).',
    },
    startCursorFieldOptions: {
      description:
        '首游标 / Cursor of the first item of the page; pass it as `before` for the previous page.',
    },
    endCursorFieldOptions: {
      description:
        '尾游标 / Cursor of the last item of the page; pass it as `after` for the next page.',
    },
    edgesFieldOptions: { description: '边 / The items of this page, each with its cursor.' },
    pageInfoFieldOptions: {
      description: '分页信息 / Cursors of this page and whether more pages exist.',
    },
    nodeFieldOptions: { description: '节点 / The item.' },
    cursorFieldOptions: {
      description: '游标 / Position of this item; pass it as `after` or `before`.',
    },
    firstArgOptions: {
      description: '前N条 / Page forward: at most this many items (default 20, at most 100).',
    },
    afterArgOptions: { description: '之后 / Page forward: items after this cursor.' },
    lastArgOptions: {
      description:
        '后N条 / Page backward: at most this many items before `before`, or the last ones (at most 100).',
    },
    beforeArgOptions: { description: '之前 / Page backward: items before this cursor.' },
    defaultConnectionTypeOptions: { description: '分页列表 / A page of items (Relay connection).' },
    defaultEdgeTypeOptions: { description: '边 / An item with its cursor.' },
  },
  errors: { defaultTypes: [] },
});
