/**
 * Prepared statements on PostgreSQL: every connection of the pool keeps the statements Prisma
 * sent it most recently parsed on the server, under names of its own, and sends a statement it
 * has seen before as Bind/Execute alone. PostgreSQL then skips parsing it, and after five runs
 * plans it once for all (a generic plan) where that plan is as good: for the hub's reads that was
 * most of their database CPU (a project with its park, last events and awards: about 0.25 ms to
 * plan, 0.006 ms with the plan kept). PostGraphile does the same with the same bound.
 *
 * Bounded: at most `capacity` statements per connection, least recently used dropped first
 * (`DEALLOCATE`, queued behind every query that may still use it), so clients sending ever new
 * query shapes cost a round trip now and then, never the server's memory. Names are never given
 * twice on a connection, so a statement dropped and sent again is parsed under a new name.
 *
 * Only statements with parameters are named: the extended protocol they go through already, where
 * one statement is all a message may hold. Plain text (migrations, `BEGIN`, the SQL runner's
 * scripts) goes through unchanged.
 *
 * Behind a pooler in transaction mode (PgBouncer before 1.21, or without
 * `max_prepared_statements`), a connection's statements are not its own: set
 * HUB_PREPARED_STATEMENTS=0 there (src/config.ts).
 */
import type pg from 'pg';

/** Statements each connection keeps parsed, unless configured (HUB_PREPARED_STATEMENTS); PostGraphile's default too. */
export const STATEMENTS_PER_CONNECTION = 100;

interface StatementConfig {
  text: string;
  values: unknown[];
  name?: string;
  submit?: unknown;
}

function isParameterised(config: unknown): config is StatementConfig {
  if (typeof config !== 'object' || config === null) return false;
  const c = config as Partial<StatementConfig>;
  return (
    typeof c.text === 'string' &&
    c.name === undefined &&
    c.submit === undefined &&
    Array.isArray(c.values)
  );
}

/** What pg keeps of a connection's parsed statements (internal; only read to forget a dropped one). */
type ParsedStatements = { connection?: { parsedStatements?: Record<string, string> } };

/** Names the parameterised statements of `client` from now on, keeping at most `capacity` parsed. */
export function nameStatements(client: pg.ClientBase, capacity: number): void {
  /** Statement text → its name on this connection, least recently used first. */
  const names = new Map<string, string>();
  let issued = 0;
  const query = client.query.bind(client) as (config: unknown, ...rest: unknown[]) => unknown;
  const drop = (name: string) => {
    // Behind every query already queued on this connection: those still run under the name.
    (query(`DEALLOCATE ${name}`) as Promise<unknown>).then(
      () => {
        delete (client as ParsedStatements).connection?.parsedStatements?.[name];
      },
      // In an aborted transaction it fails; the statement then stays until the connection closes.
      () => {},
    );
  };
  const nameOf = (text: string): string => {
    const known = names.get(text);
    if (known !== undefined) {
      names.delete(text);
      names.set(text, known);
      return known;
    }
    const name = `lz_${(issued++).toString(36)}`;
    names.set(text, name);
    if (names.size > capacity) {
      const [oldest, oldName] = names.entries().next().value as [string, string];
      names.delete(oldest);
      drop(oldName);
    }
    return name;
  };
  client.query = ((config: unknown, ...rest: unknown[]) =>
    query(
      isParameterised(config) ? { ...config, name: nameOf(config.text) } : config,
      ...rest,
    )) as typeof client.query;
}

/** Every connection `pool` opens names its statements (see the module). */
export function prepareStatements(pool: pg.Pool, capacity: number): void {
  pool.on('connect', (client) => nameStatements(client, capacity));
}
