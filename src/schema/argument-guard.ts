/**
 * The argument guard: a small Pothos plugin that checks every string a client hands to an
 * operation before anything of it reaches the database, whatever the transport (HTTP, SSE,
 * graphql-ws all execute through the schema).
 *
 * It wraps the root fields only, and checks there the arguments of the whole subtree the field
 * selects: plugin-prisma builds one query from a root field's selection, so a nested field's
 * arguments (`parks { projects(after: ...) }`, `logisticsChannels { observations(metric: ...) }`)
 * reach the database while the root field resolves, before the nested field's own resolver runs.
 * Literals and variables alike are read from the document, so the check needs no knowledge of
 * types: every string anywhere in an argument must pass `textProblem`, and in queries and
 * subscriptions (filters, lookups, cursors) `filterTextProblem`, which also bounds its length.
 *
 * What a client gets:
 * - a mutation whose result union has ValidationError gets it for its own input, with a problem
 *   per bad field (`["input", "name"]`), as for any other invalid input: nothing is written;
 * - anything else gets a GraphQL error with code BAD_USER_INPUT naming the argument.
 *
 * It also gives Pothos's own input errors (a global id of the wrong type, `first: -1`, a bad
 * cursor) the code BAD_USER_INPUT, so every refusal of input carries a code clients can act on.
 *
 * Global ids are read by `parseGlobalId` (the relay plugin's `decodeGlobalID`, see builder.ts),
 * cursors by ./paging.ts, dates and decimals by ./scalars.ts.
 */
import SchemaBuilder, {
  BasePlugin,
  type PothosOutputFieldConfig,
  PothosValidationError,
  type SchemaTypes,
} from '@pothos/core';
import {
  type FieldNode,
  GraphQLError,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  Kind,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { type FieldProblem, ValidationError } from '../services/errors.ts';
import { filterTextProblem, textProblem } from '../services/input-checks.ts';

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      argumentGuard: ArgumentGuardPlugin<Types>;
    }
  }
}

/** One string that failed, where it was: the field path (names, not aliases) and the argument path. */
interface BadArgument {
  fields: string[];
  argument: string[];
  reason: string;
}

/** Reports a bad string at its argument path; `problem` is the rule strings must pass. */
interface Found {
  (path: string[], reason: string): void;
  problem: (value: string) => string | null;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Every string of a variable's value (coerced: Dates and Decimals are objects, not strings). */
function checkValue(value: unknown, path: string[], found: Found): void {
  if (typeof value === 'string') {
    const reason = found.problem(value);
    if (reason) found(path, reason);
  } else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) checkValue(item, [...path, String(i)], found);
  } else if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) checkValue(item, [...path, key], found);
  }
}

/** Every string of an argument as written in the document, following variables. */
function checkLiteral(
  node: ValueNode,
  variables: Record<string, unknown>,
  path: string[],
  found: Found,
): void {
  switch (node.kind) {
    case Kind.STRING: {
      const reason = found.problem(node.value);
      if (reason) found(path, reason);
      break;
    }
    case Kind.OBJECT:
      for (const field of node.fields)
        checkLiteral(field.value, variables, [...path, field.name.value], found);
      break;
    case Kind.LIST:
      for (const [i, item] of node.values.entries()) {
        checkLiteral(item, variables, [...path, String(i)], found);
      }
      break;
    case Kind.VARIABLE:
      checkValue(variables[node.name.value], path, found);
      break;
    default:
      break;
  }
}

/** The bad strings in the arguments of `fields` and of everything they select. */
function badArguments(
  fields: readonly FieldNode[],
  info: Pick<GraphQLResolveInfo, 'fragments' | 'variableValues'>,
  problem: (value: string) => string | null,
): BadArgument[] {
  const bad: BadArgument[] = [];
  const spread = new Set<string>();
  const visitField = (field: FieldNode, parents: string[]) => {
    const at = [...parents, field.name.value];
    for (const argument of field.arguments ?? []) {
      const found = Object.assign(
        (argumentPath: string[], reason: string) =>
          bad.push({ fields: at, argument: argumentPath, reason }),
        { problem },
      );
      checkLiteral(argument.value, info.variableValues, [argument.name.value], found);
    }
    if (field.selectionSet) visitSelections(field.selectionSet, at);
  };
  const visitSelections = (set: SelectionSetNode, parents: string[]) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) visitField(selection, parents);
      else if (selection.kind === Kind.INLINE_FRAGMENT)
        visitSelections(selection.selectionSet, parents);
      else if (!spread.has(selection.name.value)) {
        spread.add(selection.name.value);
        const fragment = info.fragments[selection.name.value];
        if (fragment) visitSelections(fragment.selectionSet, parents);
      }
    }
  };
  for (const field of fields) visitField(field, []);
  return bad;
}

function badUserInput(bad: BadArgument): GraphQLError {
  const argument = bad.argument.join('.');
  return new GraphQLError(`Argument \`${argument}\` of \`${bad.fields.join('.')}\` ${bad.reason}`, {
    extensions: { code: 'BAD_USER_INPUT', argument },
  });
}

/** A Pothos input error (global id of the wrong type, bad connection arguments) with the code BAD_USER_INPUT. */
function withCode(error: unknown): unknown {
  if (!(error instanceof PothosValidationError) || error.extensions.code) return error;
  return new GraphQLError(error.message, {
    extensions: { ...error.extensions, code: 'BAD_USER_INPUT' },
    originalError: error,
  });
}

type Resolver<Types extends SchemaTypes> = GraphQLFieldResolver<unknown, Types['Context'], object>;

const ROOT_KINDS = new Set(['Query', 'Mutation', 'Subscription']);

export class ArgumentGuardPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  /** The check, inside plugin-errors' wrapper so a ValidationError becomes the union member. */
  private guard(
    resolver: Resolver<Types>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): Resolver<Types> {
    const typedErrors = (fieldConfig.extensions?.pothosErrors as unknown[] | undefined) ?? [];
    const validationError = typedErrors.includes(ValidationError);
    // A mutation's input has the lengths of its own fields; everything read is a filter.
    const problem = fieldConfig.kind === 'Mutation' ? textProblem : filterTextProblem;
    return (parent, args, context, info) => {
      const bad = badArguments(info.fieldNodes, info, problem);
      if (bad.length) {
        const own = bad.filter((b) => b.fields.length === 1);
        if (validationError && own.length === bad.length) {
          const problems: FieldProblem[] = own.map((b) => ({
            path: b.argument,
            message: `${b.argument.at(-1)} ${b.reason}`,
          }));
          throw ValidationError.of(problems)!;
        }
        throw badUserInput(bad[0]!);
      }
      return resolver(parent, args, context, info);
    };
  }

  override wrapResolve(
    resolver: Resolver<Types>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): Resolver<Types> {
    // A subscription's arguments are checked once, when it subscribes, not for each event.
    if (fieldConfig.kind !== 'Query' && fieldConfig.kind !== 'Mutation') return resolver;
    return this.guard(resolver, fieldConfig);
  }

  override wrapSubscribe(
    subscribe: Resolver<Types> | undefined,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): Resolver<Types> | undefined {
    if (!subscribe || fieldConfig.kind !== 'Subscription') return subscribe;
    return this.guard(subscribe, fieldConfig);
  }

  /**
   * Outside the argument mappers, where the relay plugin decodes global ids (synchronously). A
   * subscription field's wrapper runs for each event too: there it only catches what is thrown
   * at once, so an event costs no extra promise; queries and mutations also validate connection
   * arguments inside async resolvers.
   */
  override wrapArgMappers(
    resolver: Resolver<Types> | undefined,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): Resolver<Types> | undefined {
    if (!resolver || !ROOT_KINDS.has(fieldConfig.kind)) return resolver;
    const catchAsync = fieldConfig.kind !== 'Subscription';
    return (parent, args, context, info) => {
      let result: unknown;
      try {
        result = resolver(parent, args, context, info);
      } catch (error) {
        throw withCode(error);
      }
      return catchAsync && result instanceof Promise
        ? result.catch((error: unknown) => Promise.reject(withCode(error)))
        : result;
    };
  }
}

SchemaBuilder.registerPlugin('argumentGuard', ArgumentGuardPlugin);
