/**
 * Operations with hostile arguments, derived from the schema itself: every root field (Query,
 * Mutation, Subscription) and every nested field that takes arguments, each argument filled by
 * fast-check from its GraphQL input type. A field, argument or input field added to the schema
 * is covered without touching this file.
 *
 * Values mix what a client should send (real calendar dates, decimals, global ids of existing
 * rows, enum values) with what it should not: strings with NUL, unpaired surrogates, LIKE
 * wildcards, 36 KB of text; ids that decode to fractions, negatives, 20-digit keys, the wrong
 * type or base64 garbage; forged cursors; ints at and beyond 32 bits; dates out of range;
 * decimals with too many digits; and, now and then, a value of the wrong shape (nested JSON
 * where a scalar goes, null where a value is required).
 */
import fc from 'fast-check';
import {
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
} from 'graphql';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const day = (date: Date) => date.toISOString().slice(0, 10);

/** Single UTF-16 units and code points that break naive code: NUL, lone surrogates, wildcards, quotes, BOM, RTL... */
const trickyChars = [
  '\u0000',
  '%',
  '_',
  '\\',
  "'",
  '"',
  '\n',
  '\r\n',
  '\t',
  '\ud800',
  '\udfff',
  '\ud83d',
  '中',
  '😀',
  '\u200b',
  '\ufeff',
  '\u202e',
  '\u0085',
  '\u2028',
  'é',
  'e\u0301',
  ':',
  '$',
];

const char = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...trickyChars) },
  { weight: 4, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }) },
  // Any UTF-16 unit, unpaired surrogates included.
  {
    weight: 2,
    arbitrary: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);

/** Text a client might send, good and bad. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: char, maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '%',
      '_',
      '\\',
      '%_\\',
      '\u0000',
      'a\u0000b',
      '\ud800',
      'x\udc00y',
      '\ud83d\ude00',
      '0',
      '-1',
      'null',
      'NaN',
      '昊明',
    ),
  },
  // Long: up to 36 KB of UTF-8, beyond what a btree index row holds (about 2,700 bytes).
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('x', '中', '😀', '\u0000', '%'), fc.integer({ min: 200, max: 12_000 }))
      .map(([c, n]) => c.repeat(n)),
  },
  // What the schema's rules accept: codes, lower_snake_case names, Chinese names.
  { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{1,20}$/) },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z][a-z0-9]{0,8}(_[a-z0-9]{1,6}){0,2}$/) },
  {
    weight: 2,
    arbitrary: fc.string({
      unit: fc.constantFrom('项', '目', '园', '区', '辽', '中', '新', '一', ' '),
      minLength: 1,
      maxLength: 12,
    }),
  },
);

/** A row key as a global id might carry it. */
const keyText = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 40 }).map(String) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '0',
      '-1',
      '1.5',
      '1.0',
      '1e3',
      '01',
      '0x1',
      '2147483647',
      '2147483648',
      '99999999999999999999',
      'NaN',
      ' 1',
      '1:2',
      '',
    ),
  },
  { weight: 1, arbitrary: hostileText },
);

/** Cursors: forged Pothos cursors (`GPC:<tag>:<payload>`) and log sequences. */
const cursorLike = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('N', 'I', 'S', 'D', 'M', 'O', 'Z', 'T', 'J', 'B', 'Q'),
      fc.oneof(
        fc.integer({ min: -5, max: 60 }).map(String),
        fc.constantFrom(
          '1.5',
          '1e30',
          'NaN',
          '',
          '-0',
          '2147483648',
          '9223372036854775808',
          '99999999999999999999',
          '["I:1"]',
          '["N:1.5"]',
          'null',
          '{"id":1}',
        ),
        hostileText,
      ),
    )
    .map(([tag, payload]) => b64(`GPC:${tag}:${payload}`)),
  fc.bigInt({ min: -10n, max: 2n ** 70n }).map(String),
  fc.constantFrom('0', '1', '9223372036854775807', '9223372036854775808', '-1', '1.5', '00'),
);

const strings = fc.oneof(
  { weight: 4, arbitrary: hostileText },
  { weight: 1, arbitrary: cursorLike },
);

function ids(nodeTypes: string[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .tuple(fc.constantFrom(...nodeTypes), keyText)
        .map(([type, key]) => b64(`${type}:${key}`)),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('Foo', '', 'project', '__Type', 'Query'), keyText)
        .map(([type, key]) => b64(`${type}:${key}`)),
    },
    { weight: 1, arbitrary: fc.base64String({ maxLength: 40 }) },
    { weight: 1, arbitrary: hostileText },
    // GraphQL takes an integer for an ID.
    { weight: 1, arbitrary: fc.integer() },
  );
}

const ints = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -3, max: 120 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(1999, 2000, 2024, 2025, 2026, 2100, 2101, 2147483647, -2147483648),
  },
  { weight: 3, arbitrary: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) },
  // Beyond 32 bits or not whole: GraphQL refuses them.
  {
    weight: 1,
    arbitrary: fc.constantFrom(2147483648, -2147483649, 1.5, 1e21, Number.MAX_SAFE_INTEGER + 2),
  },
);

const decimals = fc.oneof(
  {
    weight: 12,
    arbitrary: fc
      .tuple(
        fc.oneof(
          fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }),
          fc.bigInt({ min: 0n, max: 10n ** 12n }),
        ),
        fc.integer({ min: 0, max: 4 }),
      )
      .map(([digits, scale]) => {
        const text = (digits < 0n ? -digits : digits).toString().padStart(scale + 1, '0');
        const sign = digits < 0n ? '-' : '';
        return scale ? `${sign}${text.slice(0, -scale)}.${text.slice(-scale)}` : `${sign}${text}`;
      }),
  },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 10 ** 9 }).map(String) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '0',
      '0.00',
      '-0',
      '10000000000000000',
      '10000000000000000.00',
      '9999999999999999.9999',
      '99999999999999999.99',
      '999999999999999999.9999',
      '-0.01',
      '0.001',
      '0.0001',
    ),
  },
  // Not decimals, or beyond what the scalar takes: refused with 400.
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '1e16',
      'NaN',
      'Infinity',
      '',
      ' 1',
      '1,000',
      '0x10',
      '1.00001',
      '1234567890123456789',
      2 ** 53 + 2,
      1.5,
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, -1, 2 ** 53) },
);

const dates = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .date({
        min: new Date('2000-01-01T00:00:00Z'),
        max: new Date('2030-12-31T00:00:00Z'),
        noInvalidDate: true,
      })
      .map(day),
  },
  {
    weight: 2,
    arbitrary: fc
      .integer({ min: -5, max: 5 })
      .map((n) => day(new Date(Date.now() + n * 86_400_000))),
  },
  {
    weight: 1,
    arbitrary: fc
      .date({
        min: new Date('0100-01-01T00:00:00Z'),
        max: new Date('9999-12-31T00:00:00Z'),
        noInvalidDate: true,
      })
      .map(day),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '9999-12-31',
      '9999-12-30',
      '0100-01-01',
      '1000-01-01',
      '2024-02-29',
      '1970-01-01',
    ),
  },
  // Not calendar dates: refused with 400.
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '0000-01-01',
      '2025-02-29',
      '2025-13-01',
      '2025-00-10',
      '2025-1-1',
      '20250101',
      '2025-07-31T00:00:00Z',
      '',
      'today',
      '+010000-01-01',
      '-000001-01-01',
    ),
  },
);

const dateTimes = fc.oneof(
  fc
    .date({
      min: new Date('0100-01-01T00:00:00Z'),
      max: new Date('9999-12-31T00:00:00Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString()),
  fc.constantFrom(
    '9999-12-31T23:59:59-12:00',
    '0001-01-01T00:00:00+14:00',
    '2025-07-31T08:00:00+08:00',
    '2025-07-31',
    '',
  ),
  hostileText,
);

/** A value of the wrong shape: nested JSON where something else goes. */
const junk = fc.jsonValue({ maxDepth: 4 });

export interface InputArbitraryOptions {
  /** Names of the node types (implementations of `Node`): global ids of these decode to rows. */
  nodeTypes: string[];
}

/** Values for a GraphQL input type, mostly of its shape, sometimes not. */
export function valuesOf(
  type: GraphQLInputType,
  options: InputArbitraryOptions,
  depth = 0,
): fc.Arbitrary<unknown> {
  const typed = typedValuesOf(type, options, depth);
  return fc.oneof({ weight: 60, arbitrary: typed }, { weight: 1, arbitrary: junk });
}

function typedValuesOf(
  type: GraphQLInputType,
  options: InputArbitraryOptions,
  depth: number,
): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) {
    return fc.oneof(
      { weight: 100, arbitrary: valuesOf(type.ofType, options, depth) },
      { weight: 1, arbitrary: fc.constant(null) },
    );
  }
  if (isListType(type)) {
    const item = valuesOf(type.ofType, options, depth + 1);
    return fc.oneof(
      { weight: 4, arbitrary: fc.array(item, { maxLength: 4 }) },
      { weight: 1, arbitrary: item },
    );
  }
  if (isEnumType(type)) {
    return fc.oneof(
      { weight: 40, arbitrary: fc.constantFrom(...type.getValues().map((v) => v.name)) },
      { weight: 1, arbitrary: fc.constant('NOPE') },
    );
  }
  if (isInputObjectType(type)) {
    if (depth > 4) return fc.constant(null);
    const fields = Object.values(type.getFields());
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const field of fields) {
      const value = valuesOf(field.type, options, depth + 1);
      model[field.name] = isNonNullType(field.type)
        ? value
        : fc.oneof({ weight: 8, arbitrary: value }, { weight: 1, arbitrary: fc.constant(null) });
    }
    return fc.record(model, {
      requiredKeys: fields.filter((f) => isNonNullType(f.type)).map((f) => f.name),
    });
  }
  if (isScalarType(type)) {
    switch (type.name) {
      case 'ID':
        return ids(options.nodeTypes);
      case 'Int':
        return ints;
      case 'Float':
        return fc.oneof(fc.double(), ints);
      case 'Boolean':
        return fc.boolean();
      case 'Decimal':
        return decimals;
      case 'Date':
        return dates;
      case 'DateTime':
        return dateTimes;
      default:
        return strings;
    }
  }
  return junk;
}

/** One operation to send: its document, its variables, and how it runs. */
export interface HostileCase {
  kind: 'query' | 'mutation' | 'subscription';
  /** What it exercises, e.g. `Mutation.createProject` or `Park.projects`. */
  target: string;
  document: string;
  variables: Record<string, unknown>;
}

/** How to reach a field: the fields from the root down to it (arguments left out on the way). */
type Path = { field: GraphQLField<unknown, unknown>; on: GraphQLObjectType }[];

/** The selection under a field's result: `__typename` for anything composite (a union too). */
function leafSelection(field: GraphQLField<unknown, unknown>): string {
  return isCompositeType(getNamedType(field.type)) ? ' { __typename }' : '';
}

function caseArbitrary(
  kind: HostileCase['kind'],
  path: Path,
  options: InputArbitraryOptions,
): fc.Arbitrary<HostileCase> {
  const target = path.at(-1)!;
  const args: readonly GraphQLArgument[] = target.field.args;
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const arg of args) model[arg.name] = valuesOf(arg.type, options);
  const declarations = args.map((arg) => `$${arg.name}: ${String(arg.type)}`).join(', ');
  const call = args.length ? `(${args.map((arg) => `${arg.name}: $${arg.name}`).join(', ')})` : '';
  let body = `${target.field.name}${call}${leafSelection(target.field)}`;
  for (const step of path.slice(0, -1).reverse()) body = `${step.field.name} { ${body} }`;
  const document = `${kind} Hostile${declarations ? `(${declarations})` : ''} { ${body} }`;
  return fc
    .record(model, {
      requiredKeys: args.filter((arg) => isNonNullType(arg.type)).map((arg) => arg.name),
    })
    .map((variables) => ({
      kind,
      target: `${target.on.name}.${target.field.name}`,
      document,
      variables,
    }));
}

/**
 * Shortest paths from Query to every field of an object type that takes arguments, through
 * fields whose arguments are all optional (they are left out on the way).
 */
function nestedFieldsWithArguments(schema: GraphQLSchema): Path[] {
  const query = schema.getQueryType()!;
  const found = new Map<string, Path>();
  const seenTypes = new Set<string>([query.name]);
  let frontier: { type: GraphQLObjectType; path: Path }[] = [{ type: query, path: [] }];
  while (frontier.length) {
    const next: typeof frontier = [];
    for (const { type, path } of frontier) {
      for (const field of Object.values(type.getFields())) {
        const step = [...path, { field, on: type }];
        if (type !== query && field.args.length && !found.has(`${type.name}.${field.name}`))
          found.set(`${type.name}.${field.name}`, step);
        if (field.args.some((arg) => isNonNullType(arg.type))) continue;
        const named = getNamedType(field.type);
        // Interfaces and unions (node, results) are reached through their object types elsewhere.
        if (isObjectType(named) && !seenTypes.has(named.name)) {
          seenTypes.add(named.name);
          next.push({ type: named, path: step });
        }
      }
    }
    frontier = next;
  }
  return [...found.values()];
}

/**
 * Every root field of the schema and every nested field with arguments, as hostile cases.
 * Mutations weigh more: their inputs have the most fields.
 */
export function hostileCases(schema: GraphQLSchema): {
  arbitrary: fc.Arbitrary<HostileCase>;
  targets: string[];
} {
  const nodeInterface = schema.getType('Node');
  const nodeTypes =
    nodeInterface && isInterfaceType(nodeInterface)
      ? schema.getPossibleTypes(nodeInterface).map((t) => t.name)
      : [];
  const options: InputArbitraryOptions = { nodeTypes };
  const weighted: { weight: number; arbitrary: fc.Arbitrary<HostileCase> }[] = [];
  const targets: string[] = [];
  const roots = [
    ['query', schema.getQueryType(), 2],
    ['mutation', schema.getMutationType(), 4],
    ['subscription', schema.getSubscriptionType(), 2],
  ] as const;
  for (const [kind, root, weight] of roots) {
    if (!root) continue;
    for (const field of Object.values(root.getFields())) {
      weighted.push({ weight, arbitrary: caseArbitrary(kind, [{ field, on: root }], options) });
      targets.push(`${root.name}.${field.name}`);
    }
  }
  for (const path of nestedFieldsWithArguments(schema)) {
    weighted.push({ weight: 2, arbitrary: caseArbitrary('query', path, options) });
    const last = path.at(-1)!;
    targets.push(`${last.on.name}.${last.field.name}`);
  }
  return { arbitrary: fc.oneof(...weighted), targets };
}
