/**
 * Loaded columns: a small Pothos plugin that answers a field read from columns of a Prisma row
 * straight from the row when the row carries them.
 *
 * Why: the types in select mode (Project, Park, FundingAward, ProjectStageEvent) read only the
 * columns an operation asks for, which keeps Prisma's per-query compile small (it grows with
 * every column and relation selected). In select mode @pothos/plugin-prisma wraps the resolver
 * of every field with a `select`, not only of relations: for each field of each row it builds the
 * field's response-path key and looks up the plan's mapping, to tell a row the plan loaded from
 * one handed over by other code, which it then loads again for the selection. That bookkeeping
 * was about a tenth of the hub's CPU on a page of projects (profile in tests/bench/RESULTS.md).
 *
 * A field that reads columns only needs none of it: a Prisma row carries a column's key exactly
 * when the query that loaded it selected that column, and then the key holds the value
 * plugin-prisma would hand the resolver. So a leaf field (a scalar or an enum) whose `select`
 * names columns only (`t.exposeString('name')`, `t.string({ select: { sequence: true }, ... })`)
 * runs its own resolver at once when the row has every one of them; only a row without them
 * takes plugin-prisma's path and is loaded again. Relations, counts and fields that select
 * through a relation are left to plugin-prisma: their mappings scope what is beneath them.
 *
 * The same holds for a node's global id: the relay plugin resolves every `id` field through an
 * `async` function, a promise per row and field for a value the row already holds. For a Prisma
 * node whose model's key is the single column `id` (every node of the hub's schema:
 * `prismaNode(..., { id: { field: 'id' } })`), the id is encoded at once from the row's `id`, with
 * the builder's encoder, as the relay plugin would; any other row takes the relay plugin's path.
 * tests/query-api.test.ts checks, for every node type, that both give the same id.
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
import { encodeGlobalID } from '@pothos/plugin-relay';
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

/** The Prisma datamodel the builder was given: each model's fields, by model name. */
interface Datamodel {
  datamodel: {
    models: Record<
      string,
      { fields: { name: string; kind: string; type: string; isId: boolean }[] }
    >;
  };
}

/**
 * The columns a leaf field reads, when plugin-prisma selects columns only for it (each key of its
 * static `select` is a scalar or enum column of the model, selected as `true`); otherwise null.
 */
function selectedColumns<Types extends SchemaTypes>(
  fieldConfig: PothosOutputFieldConfig<Types>,
  columnsOf: (model: string) => Set<string>,
  model: unknown,
): string[] | null {
  if (fieldConfig.kind !== 'PrismaObject' || !isLeaf(fieldConfig.type)) return null;
  if (typeof model !== 'string') return null;
  const select = fieldConfig.extensions?.pothosPrismaSelect as Record<string, unknown> | undefined;
  if (typeof select !== 'object' || select === null) return null;
  const keys = Object.keys(select);
  const columns = columnsOf(model);
  return keys.length > 0 && keys.every((key) => select[key] === true && columns.has(key))
    ? keys
    : null;
}

export class LoadedColumnsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  /** Scalar and enum columns per model, and whether its key is the one column `id` (Int or String). */
  private models?: Map<string, { columns: Set<string>; keyedById: boolean }>;

  private model(name: string): { columns: Set<string>; keyedById: boolean } {
    if (!this.models) {
      this.models = new Map();
      const dmmf = (this.builder.options as { prisma?: { dmmf?: Datamodel } }).prisma?.dmmf;
      for (const [model, { fields }] of Object.entries(dmmf?.datamodel.models ?? {})) {
        const ids = fields.filter((f) => f.isId);
        this.models.set(model, {
          columns: new Set(fields.filter((f) => f.kind !== 'object').map((f) => f.name)),
          keyedById:
            ids.length === 1 && ids[0]!.name === 'id' && ['Int', 'String'].includes(ids[0]!.type),
        });
      }
    }
    return this.models.get(name) ?? { columns: new Set(), keyedById: false };
  }

  /** The relay `id` field of a Prisma node keyed by `id`: the type name its ids carry; else null. */
  private nodeIdOf(fieldConfig: PothosOutputFieldConfig<Types>): string | null {
    const relay = (this.builder.options as { relay?: { idFieldName?: string } }).relay;
    if (fieldConfig.kind !== 'Object' || fieldConfig.name !== (relay?.idFieldName ?? 'id'))
      return null;
    const type = fieldConfig.type;
    if (type.kind !== 'Scalar' || (type.ref as { name?: string }).name !== 'ID') return null;
    const parent = this.buildCache.getTypeConfig(fieldConfig.parentType);
    const model = parent.extensions?.pothosPrismaModel;
    if (parent.kind !== 'Object' || typeof model !== 'string' || !this.model(model).keyedById)
      return null;
    const isNode = parent.interfaces.some(
      (ref) => this.buildCache.getTypeConfig(ref).name === 'Node',
    );
    return isNode ? parent.name : null;
  }

  override wrapResolve(
    resolver: Resolver<Types>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): Resolver<Types> {
    const typeName = this.nodeIdOf(fieldConfig);
    if (typeName !== null) {
      const custom = (
        this.builder.options as {
          relay?: { encodeGlobalID?: (type: string, id: string, context: object) => string };
        }
      ).relay?.encodeGlobalID;
      return (parent, args, context, info) => {
        const id =
          typeof parent === 'object' && parent !== null
            ? (parent as { id?: unknown }).id
            : undefined;
        if (typeof id !== 'number' && typeof id !== 'string')
          return resolver(parent, args, context, info);
        return custom
          ? custom(typeName, String(id), context as object)
          : encodeGlobalID(typeName, String(id));
      };
    }
    const model = this.buildCache.getTypeConfig(fieldConfig.parentType).extensions
      ?.pothosPrismaModel;
    const columns = selectedColumns(fieldConfig, (name) => this.model(name).columns, model);
    const own = fieldConfig.resolve as Resolver<Types> | undefined;
    if (columns === null || !own) return resolver;
    if (columns.length === 1) {
      const column = columns[0]!;
      return (parent, args, context, info) =>
        typeof parent === 'object' && parent !== null && Object.hasOwn(parent, column)
          ? own(parent, args, context, info)
          : resolver(parent, args, context, info);
    }
    return (parent, args, context, info) =>
      typeof parent === 'object' &&
      parent !== null &&
      columns.every((c) => Object.hasOwn(parent, c))
        ? own(parent, args, context, info)
        : resolver(parent, args, context, info);
  }
}

SchemaBuilder.registerPlugin('loadedColumns', LoadedColumnsPlugin);
