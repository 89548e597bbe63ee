/**
 * Page sizes for every connection: 20 by default, at most 100. Pothos would silently clamp a
 * larger `first`/`last`; a dashboard asking for 500 rows should hear that it got fewer, so the
 * limit is a clear error instead.
 */
import { GraphQLError } from 'graphql';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export function maxPageSize(args: { first?: number | null; last?: number | null }): number {
  for (const key of ['first', 'last'] as const) {
    const n = args[key];
    if (n != null && n > MAX_PAGE_SIZE) {
      throw new GraphQLError(`\`${key}\` is ${n}, above the maximum page size of ${MAX_PAGE_SIZE}; page with \`after\`/\`before\` instead`, {
        extensions: { code: 'PAGE_SIZE_EXCEEDED', maxPageSize: MAX_PAGE_SIZE },
      });
    }
  }
  return MAX_PAGE_SIZE;
}

/** Spread into every `prismaConnection` / `relatedConnection`. */
export const paging = { defaultSize: DEFAULT_PAGE_SIZE, maxSize: maxPageSize } as const;
