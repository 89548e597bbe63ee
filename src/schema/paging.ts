/**
 * Page sizes and cursors for every connection: 20 items by default, at most 100. Pothos would
 * silently clamp a larger `first`/`last`; a dashboard asking for 500 rows should hear that it
 * got fewer, so the limit is a clear error instead.
 *
 * Cursors are checked here too, before Pothos turns them into a query: a cursor is opaque, but a
 * client can forge one (`GPC:N:1.5`, `GPC:N:1e30`, `GPC:S:x`), and what it decodes to would
 * otherwise reach the database as the key of a row. A cursor must decode to a key the list is
 * ordered by, in the range of its column; anything else is BAD_USER_INPUT.
 */
import { parsePrismaCursor } from '@pothos/plugin-prisma';
import { GraphQLError } from 'graphql';
import { MAX_ROW_KEY, MAX_SEQUENCE } from '../services/errors.ts';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

interface PageArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

export function maxPageSize(args: PageArgs): number {
  for (const key of ['first', 'last'] as const) {
    const n = args[key];
    if (n != null && n > MAX_PAGE_SIZE) {
      throw new GraphQLError(
        `\`${key}\` is ${n}, above the maximum page size of ${MAX_PAGE_SIZE}; page with \`after\`/\`before\` instead`,
        {
          extensions: { code: 'PAGE_SIZE_EXCEEDED', maxPageSize: MAX_PAGE_SIZE },
        },
      );
    }
  }
  return MAX_PAGE_SIZE;
}

/** What a connection's cursors hold: a row's integer `id`, or a stage event's bigint `sequence`. */
export type CursorKey = 'id' | 'sequence';

function isCursorOf(value: unknown, key: CursorKey): boolean {
  return key === 'id'
    ? typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_ROW_KEY
    : typeof value === 'bigint' && value >= 1n && value <= MAX_SEQUENCE;
}

/** Throws BAD_USER_INPUT unless `after` and `before` are cursors of a list ordered by `key`. */
export function checkCursors(args: PageArgs, key: CursorKey): void {
  for (const name of ['after', 'before'] as const) {
    const cursor = args[name];
    if (cursor == null) continue;
    let value: unknown;
    try {
      value = parsePrismaCursor(cursor);
    } catch {
      value = undefined;
    }
    if (!isCursorOf(value, key)) {
      throw new GraphQLError(
        `\`${name}\` is not a cursor of this list: pass an edge's \`cursor\` or a \`pageInfo\` cursor as returned`,
        {
          extensions: { code: 'BAD_USER_INPUT' },
        },
      );
    }
  }
}

/**
 * Spread into a `prismaConnection` / `relatedConnection` whose cursor is `key`. Pothos calls
 * `maxSize` with the arguments before it reads them, so the checks run first.
 */
export function pagingBy(key: CursorKey) {
  return {
    defaultSize: DEFAULT_PAGE_SIZE,
    maxSize: (args: PageArgs) => {
      checkCursors(args, key);
      return maxPageSize(args);
    },
  } as const;
}

/** Spread into every connection whose cursor is the row's `id`. */
export const paging = pagingBy('id');

/** What Pothos hands a connection's resolver to page with: Prisma's `cursor`, `skip`, `take`. */
interface PrismaPage {
  cursor?: unknown;
  skip?: number;
  take?: number;
}

/**
 * A page of a list ordered by `id` alone, with the cursor as a condition (`id > cursor` forward,
 * `id < cursor` backward) instead of Prisma's `cursor`. Prisma answers a query with a `cursor`
 * by fetching each relation in a query of its own (relationJoins does not apply), so a page after
 * the first would cost more statements than the first; as a condition, every page is one
 * statement with its relations joined. The rows are the same: those after (or before) the
 * cursor's id in the list's order, whether or not the cursor's row still matches the filter.
 */
export function pageById<Q extends PrismaPage, W extends object>(
  query: Q,
  where: W,
  direction: 'asc' | 'desc' = 'asc',
) {
  const { cursor, ...rest } = query;
  const orderBy = { id: direction };
  const id = (cursor as { id?: unknown } | undefined)?.id;
  if (typeof id !== 'number') return { ...rest, where, orderBy };
  const ahead = (query.take ?? 1) >= 0 === (direction === 'asc');
  // Prisma's `skip: 1` stepped over the cursor's own row; the condition already leaves it out.
  return {
    ...rest,
    skip: 0,
    where: { AND: [where, { id: ahead ? { gt: id } : { lt: id } }] },
    orderBy,
  };
}
