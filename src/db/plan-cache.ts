/**
 * Query plans kept per query shape. Prisma 6.19's client compiles every query it sends into a
 * plan (SQL text, argument slots, how to assemble the rows) in its WASM query compiler, and keeps
 * none: for the hub's project with its park, last events and awards that is 0.5 to 1.5 ms of CPU
 * per request, more than PostgreSQL takes to answer it. Prisma 7.4+ keeps plans; this does the
 * same for 6.19, which the hub stays on because Prisma 7's CLI downloads a native schema engine
 * for `generate` and migrations.
 *
 * How: a read's JSON query has each integer it compares in a `where` (an id, a park, a cursor's
 * `gt`) replaced by a named placeholder, the protocol's `{ $type: 'Param' }`, which Prisma's
 * compiler accepts; the query with placeholders is the key. A plan is compiled once per key and
 * kept; each request gets a copy with its own values where the placeholders stand, copying only
 * the nodes on the way to one and sharing the rest. Prisma's interpreter treats a value in a
 * placeholder's place exactly as the value the placeholder would resolve to. Prisma's own
 * placeholders in a plan (a parent query's keys, `@parent$parkId`) are left for it to fill.
 *
 * Only integers, only in `where`: their plan is the same whatever the value (an integer compared
 * is one bound parameter). `null`, lists (`in`), strings, dates, `take` and `skip` stay in the
 * key as they are, so a query differing in them gets its own plan. Writes are compiled as before.
 * A shape the compiler refuses with placeholders is compiled as before, every time.
 *
 * Bounded: at most `capacity` plans per compiler, least recently used dropped first, none for a
 * query over 16 kB.
 * `checkPlans(true)` (the test suite) compiles every query also as Prisma would and throws if the
 * kept plan differs from that one in anything but how an integer argument is typed.
 */
import { QueryCompiler } from '@prisma/client/runtime/query_compiler_bg.postgresql.mjs';

/** Plans kept per compiler unless configured (HUB_PLAN_CACHE; 0 keeps none). */
export const PLANS_KEPT = 1000;

/** Actions that only read: the ones whose plans are kept. */
const READS = new Set([
  'findUnique',
  'findUniqueOrThrow',
  'findFirst',
  'findFirstOrThrow',
  'findMany',
  'aggregate',
  'groupBy',
]);

/** Lists in a `where` whose elements are filters themselves; any other list stays in the key. */
const FILTER_LISTS = new Set(['AND', 'OR', 'NOT']);

/**
 * Longer queries are compiled as before: a query with a long string (a search text) would keep its
 * text twice, in the key and the plan, and a client sending ever new ones could fill memory with
 * them. The hub's own reads are 0.1 to 3 kB.
 */
const MAX_KEY_CHARS = 16 * 1024;

/** Names of the placeholders put in: `$hub0`, `$hub1`…, apart from Prisma's own (`@parent$…`). */
const PREFIX = '$hub';

/** The 32-bit range: within it every integer column and comparison takes the value as bound. */
const INT_MAX = 2 ** 31 - 1;

interface JsonQuery {
  modelName?: string;
  action: string;
  query: Selection;
}

interface Selection {
  arguments?: Record<string, unknown>;
  selection?: Record<string, unknown>;
}

interface Parameterized {
  /** The query with placeholders: the plan's key and what is compiled. */
  key: string;
  /** Each placeholder's value, by its name. */
  values: Map<string, number>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Replaces the integers a `where` compares with placeholders, recording their values. */
function parameterizeWhere(value: unknown, key: string, values: Map<string, number>): unknown {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || Math.abs(value) > INT_MAX) return value;
    const name = `${PREFIX}${values.size}`;
    values.set(name, value);
    return { $type: 'Param', value: name };
  }
  if (Array.isArray(value)) {
    return FILTER_LISTS.has(key) ? value.map((v) => parameterizeWhere(v, key, values)) : value;
  }
  // Tagged values (`{ $type: 'DateTime' | 'BigInt' | 'FieldRef' … }`) stay as they are.
  if (!isObject(value) || '$type' in value) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = parameterizeWhere(v, k, values);
  return out;
}

/** The same selection with every `where` in it (its own and its relations') parameterized. */
function parameterizeSelection(sel: Selection, values: Map<string, number>): Selection {
  const out: Selection = { ...sel };
  if (isObject(sel.arguments) && 'where' in sel.arguments) {
    out.arguments = {
      ...sel.arguments,
      where: parameterizeWhere(sel.arguments.where, 'where', values),
    };
  }
  if (isObject(sel.selection)) {
    const nested: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(sel.selection)) {
      nested[k] = isObject(v) ? parameterizeSelection(v as Selection, values) : v;
    }
    out.selection = nested;
  }
  return out;
}

/** A read's key and values, or undefined for what is compiled as before (writes, batches). */
export function parameterize(request: string): Parameterized | undefined {
  const query = JSON.parse(request) as JsonQuery;
  if (!isObject(query) || !READS.has(query.action) || !isObject(query.query)) return undefined;
  const values = new Map<string, number>();
  const parameterized = { ...query, query: parameterizeSelection(query.query, values) };
  return { key: values.size ? JSON.stringify(parameterized) : request, values };
}

interface Placeholder {
  prisma__type: 'param';
  prisma__value: { name: string };
}

function isPlaceholder(node: unknown): node is Placeholder {
  return isObject(node) && node.prisma__type === 'param';
}

/**
 * The nodes of `plan` that are the query's placeholders or hold one: the only ones a request
 * copies. Prisma's own placeholders (a value from a parent query's rows, `@parent$parkId`) stay:
 * its interpreter fills those as it runs the plan.
 */
function holdersOf(plan: unknown, names: Set<string>): Set<object> {
  const holders = new Set<object>();
  const visit = (node: unknown): boolean => {
    if (typeof node !== 'object' || node === null) return false;
    if (isPlaceholder(node) && names.has(node.prisma__value.name)) {
      holders.add(node);
      return true;
    }
    let holds = false;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (visit(child)) holds = true;
    }
    if (holds) holders.add(node);
    return holds;
  };
  visit(plan);
  return holders;
}

/** `plan` with each placeholder replaced by its value; nodes without one are shared. */
function fill(node: unknown, holders: Set<object>, values: Map<string, number>): unknown {
  if (typeof node !== 'object' || node === null || !holders.has(node)) return node;
  if (isPlaceholder(node)) {
    const value = values.get(node.prisma__value.name);
    if (value === undefined) throw new Error(`plan cache: no value for ${node.prisma__value.name}`);
    return value;
  }
  if (Array.isArray(node)) return node.map((child) => fill(child, holders, values));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = fill(v, holders, values);
  return out;
}

interface Kept {
  plan: unknown;
  holders: Set<object>;
}

type Compile = (this: QueryCompiler, request: string) => unknown;

/** Per compiler: key → kept plan, or null for a key the compiler refused with placeholders. */
const kept = new WeakMap<QueryCompiler, Map<string, Kept | null>>();
const compileAsPrisma: Compile = QueryCompiler.prototype.compile;
let capacity = 0;
let checking = false;
/** Plans compiled for a key, and requests given a kept plan, since the process started. */
const counts = { compiled: 0, reused: 0 };

/** How often a plan was compiled for a key, and how often one was reused. */
export function planCacheCounts(): { compiled: number; reused: number } {
  return { ...counts };
}

/**
 * Integer arguments: a literal compiles to a bigint argument held as text, a placeholder to an int
 * argument held as a number. Both reach PostgreSQL as the same parameter text.
 */
function normalised(plan: unknown): string {
  return JSON.stringify(plan, (key, value) => {
    if (key === 'args' && Array.isArray(value)) {
      return value.map((v) => (typeof v === 'number' ? String(v) : v));
    }
    if (key === 'scalarType' && (value === 'int' || value === 'bigint')) return 'integer';
    return value;
  });
}

function compileKept(this: QueryCompiler, request: string): unknown {
  // A key is never shorter than its query: a placeholder is longer than the integer it stands for.
  if (request.length > MAX_KEY_CHARS) return compileAsPrisma.call(this, request);
  const query = parameterize(request);
  if (!query || query.key.length > MAX_KEY_CHARS) return compileAsPrisma.call(this, request);
  let plans = kept.get(this);
  if (!plans) {
    plans = new Map();
    kept.set(this, plans);
  }
  let entry = plans.get(query.key);
  if (entry === null) return compileAsPrisma.call(this, request);
  if (entry) {
    plans.delete(query.key); // most recently used last
    counts.reused++;
  } else {
    try {
      const plan = compileAsPrisma.call(this, query.key);
      entry = { plan, holders: holdersOf(plan, new Set(query.values.keys())) };
      counts.compiled++;
    } catch {
      plans.set(query.key, null);
      return compileAsPrisma.call(this, request);
    }
  }
  plans.set(query.key, entry);
  while (plans.size > capacity) plans.delete(plans.keys().next().value as string);
  const plan = fill(entry.plan, entry.holders, query.values);
  if (checking) {
    const expected = normalised(compileAsPrisma.call(this, request));
    if (normalised(plan) !== expected) {
      throw new Error(`plan cache: the kept plan for ${request} differs from Prisma's own`);
    }
  }
  return plan;
}

/**
 * Keeps up to `plans` compiled plans per compiler from now on (0: compile every query, as Prisma
 * does). Process-wide: every Prisma client of the process shares the compiler's class.
 */
export function keepPlans(plans: number): void {
  capacity = plans;
  QueryCompiler.prototype.compile = plans > 0 ? compileKept : compileAsPrisma;
}

/** Tests: compare every kept plan with the one Prisma compiles itself, and throw on a difference. */
export function checkPlans(on: boolean): void {
  checking = on;
}
