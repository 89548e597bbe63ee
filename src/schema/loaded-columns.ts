/**
 * Loaded columns: a small Pothos plugin that answers an exposed column of a Prisma row straight
 * from the row when the row carries it.
 *
 * Why: the types in select mode (Project, Park, FundingAward, ProjectStageEvent) read only the
 * columns an operation asks for, which keeps Prisma's per-query compile small (it grows with
 * every column and relation selected). In select mode @pothos/plugin-prisma wraps the resolver
 * of every exposed column, not only of relations: for each field of each row it builds the
 * field's response-path key and looks up the plan's mapping, to tell a row the plan loaded from
 * one handed over by other code, which it then loads again for the selection. That bookkeeping
 * was about a tenth of the hub's CPU on a page of projects (profile in tests/bench/RESULTS.md).
 *
 * A column needs none of it: a Prisma row carries a column's key exactly when the query that
 * loaded it selected that column, and then the key holds the value plugin-prisma would resolve.
 * So when the row has the key, the field's own resolver (`parent[column]`) runs at once; only a
 * row without it takes plugin-prisma's path and is loaded again. Relations, counts and computed
 * fields are left to plugin-prisma: their mappings scope what is beneath them.
 *
 * It sits just outside plugin-prisma in the builder's plugin list, so auth and error handling
 * still wrap it.
 */
import SchemaBuilder, {
  BasePlugin,
  type PothosOutputFieldConfig,
  type PothosOutputFieldType,
  type SchemaTypes,
} from '@pothos/core';
import type { GraphQLFieldResolver } from 'graphql';

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      loadedColumns: LoadedColumnsPlugin<Types>;
    }
  }
}

type Resolver<Types extends SchemaTypes> = GraphQLFieldResolver<unknown, Types['Context'], object>;

/** A scalar or enum, or a list of them: a column's value, with nothing beneath it to plan. */
function isLeaf<Types extends SchemaTypes>(type: PothosOutputFieldType<Types>): boolean {
  if (type.kind === 'List') return isLeaf(type.type as PothosOutputFieldType<Types>);
  return type.kind === 'Scalar' || type.kind === 'Enum';
}

/**
 * The column a field exposes as it is (`t.exposeString('name')`, `t.expose('stage', ...)`), when
 * plugin-prisma selects exactly that column for it; otherwise null.
 */
function exposedColumn<Types extends SchemaTypes>(
  fieldConfig: PothosOutputFieldConfig<Types>,
): string | null {
  if (fieldConfig.kind !== 'PrismaObject' || !isLeaf(fieldConfig.type)) return null;
  const extensions = fieldConfig.extensions ?? {};
  const column = extensions.pothosExposedField;
  const select = extensions.pothosPrismaSelect as Record<string, unknown> | undefined;
  if (typeof column !== 'string' || typeof select !== 'object' || select === null) return null;
  const keys = Object.keys(select);
  return keys.length === 1 && keys[0] === column && select[column] === true ? column : null;
}

export class LoadedColumnsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: Resolver<Types>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): Resolver<Types> {
    const column = exposedColumn(fieldConfig);
    const own = fieldConfig.resolve as Resolver<Types> | undefined;
    if (column === null || !own) return resolver;
    return (parent, args, context, info) =>
      typeof parent === 'object' && parent !== null && Object.hasOwn(parent, column)
        ? own(parent, args, context, info)
        : resolver(parent, args, context, info);
  }
}

SchemaBuilder.registerPlugin('loadedColumns', LoadedColumnsPlugin);
