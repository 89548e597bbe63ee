/// <reference path="./query-compiler.d.ts" />
/**
 * Query plans kept per query shape. Prisma 6.19's client compiles every query it sends into a
 * plan (SQL text, argument slots, how to assemble the rows) in its WASM query compiler, and keeps
 * none: for the hub's project with its park, last events and awards that is 0.5 to 1.5 ms of CPU
 * per request, more than PostgreSQL takes to answer it. Prisma 7.4+ keeps plans; this does the
 * same for 6.19, which the hub stays on because Prisma 7's CLI downloads a native schema engine
 * for `generate` and migrations.
 *
 * How: in a read's JSON query, each integer or BigInt it compares in a `where` (an id, a park, a
 * cursor's `gt`, a log position) and each integer of a `cursor` is replaced by a named
 * placeholder, the protocol's `{ $type: 'Param' }`; the query with placeholders is the key. Each
 * request gets a copy of the key's plan with its own values where the placeholders stand,
 * copying only the nodes on the way to one and sharing the rest. Prisma's interpreter treats a
 * value in a placeholder's place exactly as the value the placeholder would resolve to. Prisma's
 * own placeholders in a plan (a parent query's keys, `@parent$parkId`) are left for it to fill.
 *
 * A new key is compiled twice: first as the request stands, exactly as Prisma would, so what
 * Prisma refuses is refused with Prisma's error (its compiler does not type-check placeholders);
 * then with placeholders. The plan is kept only if, filled with the request's values, it is the
 * plan Prisma compiled, in everything but how an integer argument is typed; otherwise the key is
 * remembered as one to compile as Prisma does. Whether a place takes a value of a type does not
 * depend on the value, so one comparison stands for the key.
 *
 * Only those values: a comparison with one of them is one bound parameter whatever its value.
 * `null`, lists (`in`), strings, dates, `take` and `skip` stay in the key as they are, so a query
 * differing in them gets its own plan. Writes and batches are compiled as before.
 *
 * Bounded: at most `capacity` plans per compiler and at most `budget` characters of keys and
 * plans (a plan held in memory is about twice its text), least recently used dropped first;
 * no query over 16 kB is kept. `checkPlans(true)` (the test suite) compares every plan handed out
 * with the one Prisma compiles for the request.
 */
import { QueryCompiler } from '@prisma/client/runtime/query_compiler_bg.postgresql.mjs';

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

/** The 32-bit range: within it every integer column and comparison takes the value as bound. */
const INT_MAX = 2 ** 31 - 1;

/**
 * Longer queries are compiled as before: a query with a long string (a search text) would keep its
 * text twice, in the key and the plan. The hub's own reads are 0.1 to 3 kB.
 */
const MAX_KEY_CHARS = 16 * 1024;

/**
 * Characters of keys and plans kept per compiler, whatever `capacity` allows: 16 M characters,
 * about 32 MB of memory. A plan is 5 to 10 times its key (a project with its relations: 2 kB of
 * query, 20 kB of plan).
 */
export const PLAN_TEXT_BUDGET = 16 * 1024 * 1024;

/** Names of the placeholders put in: `$hub0`, `$hub1`…, apart from Prisma's own (`@parent$…`). */
const PREFIX = '$hub';

/** A placeholder's value: an integer, or a BigInt's decimal text as the protocol carries it. */
type Value = number | string;

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
  values: Map<string, Value>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function placeholder(value: Value, values: Map<string, Value>) {
  const name = `${PREFIX}${values.size}`;
  values.set(name, value);
  return { $type: 'Param', value: name };
}

/** Replaces the integers and BigInts a `where` or `cursor` compares, recording their values. */
function parameterizeFilter(value: unknown, key: string, values: Map<string, Value>): unknown {
  if (typeof value === 'number') {
    return Number.isInteger(value) && Math.abs(value) <= INT_MAX
      ? placeholder(value, values)
      : value;
  }
  if (Array.isArray(value)) {
    return FILTER_LISTS.has(key) ? value.map((v) => parameterizeFilter(v, key, values)) : value;
  }
  if (!isObject(value)) return value;
  if ('$type' in value) {
    // Tagged values: a BigInt becomes a placeholder; dates, decimals, field references stay.
    return value.$type === 'BigInt' && typeof value.value === 'string'
      ? placeholder(value.value, values)
      : value;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = parameterizeFilter(v, k, values);
  return out;
}

/** The same selection with every `where` and `cursor` in it (its relations' too) parameterized. */
function parameterizeSelection(sel: Selection, values: Map<string, Value>): Selection {
  const out: Selection = { ...sel };
  if (isObject(sel.arguments)) {
    const args = { ...sel.arguments };
    for (const name of ['where', 'cursor'] as const) {
      if (name in args) args[name] = parameterizeFilter(args[name], name, values);
    }
    out.arguments = args;
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

/** A read's key and values, or undefined for what is compiled as before (writes). */
export function parameterize(request: string): Parameterized | undefined {
  const query = JSON.parse(request) as JsonQuery;
  if (!isObject(query) || !READS.has(query.action) || !isObject(query.query)) return undefined;
  const values = new Map<string, Value>();
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
function fill(node: unknown, holders: Set<object>, values: Map<string, Value>): unknown {
  if (typeof node !== 'object' || node === null || !holders.has(node)) return node;
  // A placeholder among the holders is one of the query's own: it has a value.
  if (isPlaceholder(node)) return values.get(node.prisma__value.name) as Value;
  if (Array.isArray(node)) return node.map((child) => fill(child, holders, values));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = fill(v, holders, values);
  return out;
}

/**
 * A plan as text, the same for the kept plan filled in and Prisma's own: a literal integer
 * compiles to a bigint argument held as text, a placeholder to an int argument held as a number.
 * Both reach the database as the same parameter text.
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

interface Kept {
  plan: unknown;
  holders: Set<object>;
  /** Characters of key and plan, counted against PLAN_TEXT_BUDGET. */
  chars: number;
}

/** A compiler's plans: key → kept plan, or null for a key compiled as Prisma does. */
interface Plans {
  byKey: Map<string, Kept | null>;
  chars: number;
}

type Compile = (this: QueryCompiler, request: string) => unknown;

const compileAsPrisma: Compile = QueryCompiler.prototype.compile;
let kept = new WeakMap<QueryCompiler, Plans>();
let capacity = 0;
let budget = PLAN_TEXT_BUDGET;
let checking = false;
/**
 * Since the process started: plans compiled for a new key that passed the comparison (and were
 * kept, within the bounds), and requests given a kept plan.
 */
const counts = { compiled: 0, reused: 0 };

/** How often a key's plan was compiled to be kept, and how often a kept one was reused. */
export function planCacheCounts(): { compiled: number; reused: number } {
  return { ...counts };
}

function remember(plans: Plans, key: string, entry: Kept | null): void {
  plans.byKey.set(key, entry);
  plans.chars += entry ? entry.chars : key.length;
  while (plans.byKey.size > capacity || plans.chars > budget) {
    const [oldest, dropped] = plans.byKey.entries().next().value as [string, Kept | null];
    plans.byKey.delete(oldest);
    plans.chars -= dropped ? dropped.chars : oldest.length;
  }
}

/** Compiles `request` for a new key: Prisma's plan for it, keeping the key's if it is the same. */
function compileNew(this: QueryCompiler, plans: Plans, request: string, query: Parameterized) {
  const plan = compileAsPrisma.call(this, request);
  const expected = normalised(plan);
  let entry: Kept | null = null;
  try {
    const keyPlan = compileAsPrisma.call(this, query.key);
    const holders = holdersOf(keyPlan, new Set(query.values.keys()));
    if (normalised(fill(keyPlan, holders, query.values)) === expected) {
      entry = { plan: keyPlan, holders, chars: query.key.length + expected.length };
      counts.compiled++;
    }
  } catch (error) {
    // A panic leaves the compiler unusable: Prisma must see it, as if its own compile had failed.
    if (error instanceof WebAssembly.RuntimeError) throw error;
  }
  remember(plans, query.key, entry);
  return plan;
}

function compileKept(this: QueryCompiler, request: string): unknown {
  // Prisma's request is compact JSON, and a placeholder is longer than the value it stands for.
  if (request.length > MAX_KEY_CHARS) return compileAsPrisma.call(this, request);
  const query = parameterize(request);
  if (!query || query.key.length > MAX_KEY_CHARS) return compileAsPrisma.call(this, request);
  let plans = kept.get(this);
  if (!plans) {
    plans = { byKey: new Map(), chars: 0 };
    kept.set(this, plans);
  }
  const entry = plans.byKey.get(query.key);
  if (entry === undefined) return compileNew.call(this, plans, request, query);
  // Most recently used last.
  plans.byKey.delete(query.key);
  plans.byKey.set(query.key, entry);
  if (entry === null) return compileAsPrisma.call(this, request);
  counts.reused++;
  const plan = fill(entry.plan, entry.holders, query.values);
  if (checking) check.call(this, request, plan);
  return plan;
}

/** Tests: the plan handed out for `request` must be the one Prisma compiles for it. */
function check(this: QueryCompiler, request: string, plan: unknown): void {
  let expected: string;
  try {
    expected = normalised(compileAsPrisma.call(this, request));
  } catch (error) {
    throw new Error(`plan cache: answered ${request}, which Prisma refuses: ${error}`);
  }
  if (normalised(plan) !== expected) {
    throw new Error(`plan cache: the kept plan for ${request} differs from Prisma's own`);
  }
}

/**
 * Keeps up to `plans` compiled plans per compiler from now on, within `chars` characters of keys
 * and plans; 0 drops those kept and compiles every query as Prisma does. Process-wide, as
 * Prisma's compiler class is: the last values given hold for every client of the process (a hub
 * process has one configuration).
 */
export function keepPlans(plans: number, chars = PLAN_TEXT_BUDGET): void {
  capacity = plans;
  budget = chars;
  if (plans === 0) kept = new WeakMap();
  QueryCompiler.prototype.compile = plans > 0 ? compileKept : compileAsPrisma;
}

/** Tests: compare every kept plan with the one Prisma compiles itself, and throw on a difference. */
export function checkPlans(on: boolean): void {
  checking = on;
}
