/**
 * Loaded columns: a small Pothos plugin that answers, straight from the parent object, two kinds
 * of field whose value the object already holds.
 *
 * A column of a Prisma row. In select mode (Project, Park, FundingAward, ProjectStageEvent) an
 * operation reads only the columns it asks for, which keeps Prisma's per-query compile small.
 * But @pothos/plugin-prisma wraps the resolver of every field that has a `select`, and select
 * mode gives every exposed column one (`t.exposeString('name')` selects `{ name: true }`): for
 * each field of each row it builds the field's response-path key and looks up the plan's
 * mapping, to tell a row the plan loaded from one handed over by other code, which it then loads
 * again for the selection. A leaf field (a scalar or an enum) whose `select` is one scalar or
 * enum column of its model needs none of that when the row has the column's key: a Prisma row
 * carries a column's key exactly when the query that loaded it selected the column, and the key
 * holds the value plugin-prisma would hand the resolver. So such a field runs its own resolver at
 * once on a row with the key; a row without it takes plugin-prisma's path and is loaded again.
 * Fields that select more than one column, relations, counts and selects through a relation are
 * left to plugin-prisma: their mappings scope what is beneath them.
 *
 * A node's global id. The relay plugin resolves every node's `id` through an `async` function: a
 * promise per row for a value the row already holds. For an object type that implements the
 * Node interface, the field named by `relay.idFieldName` calls the type's own id resolver (kept
 * by the relay plugin in the type's options) and encodes its answer with the builder's encoder at
 * once, as the relay plugin would; only an id resolver that returns a promise is awaited.
 *
 * tests/loaded-columns.test.ts compares both with the paths they skip. The plugin sits just
 * outside plugin-prisma in the builder's plugin list, so auth and error handling still wrap it.
 */
import SchemaBuilder, {
  BasePlugin,
  isThenable,
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

/** The relay options this plugin reads (present when the relay plugin is in the builder). */
interface RelayOptions {
  idFieldName?: string;
  encodeGlobalID?: (typename: string, id: string, context: object) => string;
}

/** The Prisma datamodel the builder was given: each model's fields, by model name. */
interface Datamodel {
  datamodel: { models: Record<string, { fields: { name: string; kind: string }[] }> };
}

/** A scalar or enum, or a list of them: a column's value, with nothing beneath it to plan. */
function isLeaf<Types extends SchemaTypes>(type: PothosOutputFieldType<Types>): boolean {
  if (type.kind === 'List') return isLeaf(type.type as PothosOutputFieldType<Types>);
  return type.kind === 'Scalar' || type.kind === 'Enum';
}

export class LoadedColumnsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  /** Scalar and enum columns per model, read once from the builder's datamodel. */
  private columns?: Map<string, Set<string>>;

  private columnsOf(model: string): Set<string> {
    if (!this.columns) {
      this.columns = new Map();
      const dmmf = (this.builder.options as { prisma?: { dmmf?: Datamodel } }).prisma?.dmmf;
      for (const [name, { fields }] of Object.entries(dmmf?.datamodel.models ?? {}))
        this.columns.set(
          name,
          new Set(
            fields.filter((f) => f.kind === 'scalar' || f.kind === 'enum').map((f) => f.name),
          ),
        );
    }
    return this.columns.get(model) ?? new Set();
  }

  private get relay(): RelayOptions | undefined {
    return (this.builder.options as { relay?: RelayOptions }).relay;
  }

  /**
   * For the global-id field of a node type: the type's name and its own id resolver; else null.
   */
  private nodeId(
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): { typename: string; resolveId: Resolver<Types> } | null {
    if (fieldConfig.kind !== 'Object' || fieldConfig.name !== (this.relay?.idFieldName ?? 'id'))
      return null;
    const parent = this.buildCache.getTypeConfig(fieldConfig.parentType);
    if (parent.kind !== 'Object' || parent.interfaces.length === 0) return null;
    const builder = this.builder as { nodeInterfaceRef?: () => unknown };
    if (typeof builder.nodeInterfaceRef !== 'function') return null;
    const node = this.buildCache.getTypeConfig(
      builder.nodeInterfaceRef() as Parameters<typeof this.buildCache.getTypeConfig>[0],
    ).name;
    if (!parent.interfaces.some((ref) => this.buildCache.getTypeConfig(ref).name === node))
      return null;
    const resolveId = (parent.pothosOptions as { id?: { resolve?: unknown } }).id?.resolve;
    return typeof resolveId === 'function'
      ? { typename: parent.name, resolveId: resolveId as Resolver<Types> }
      : null;
  }

  /** The one scalar or enum column a leaf field of a Prisma type selects; else null. */
  private column(fieldConfig: PothosOutputFieldConfig<Types>): string | null {
    if (fieldConfig.kind !== 'PrismaObject' || !isLeaf(fieldConfig.type)) return null;
    const model = this.buildCache.getTypeConfig(fieldConfig.parentType).extensions
      ?.pothosPrismaModel;
    const select = fieldConfig.extensions?.pothosPrismaSelect;
    if (typeof model !== 'string' || typeof select !== 'object' || select === null) return null;
    const keys = Object.keys(select);
    if (keys.length !== 1) return null;
    const key = keys[0]!;
    return (select as Record<string, unknown>)[key] === true && this.columnsOf(model).has(key)
      ? key
      : null;
  }

  override wrapResolve(
    resolver: Resolver<Types>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): Resolver<Types> {
    const node = this.nodeId(fieldConfig);
    if (node) {
      const { typename, resolveId } = node;
      const custom = this.relay?.encodeGlobalID;
      // As the relay plugin's globalID field does with what the type's id resolver answers.
      const encode = (id: unknown, context: object) =>
        custom ? custom(typename, String(id), context) : encodeGlobalID(typename, String(id));
      return (parent, args, context, info) => {
        const id = resolveId(parent, args, context, info);
        return isThenable(id)
          ? id.then((settled) => encode(settled, context as object))
          : encode(id, context as object);
      };
    }
    const column = this.column(fieldConfig);
    const own = fieldConfig.resolve as Resolver<Types> | undefined;
    if (column === null || !own) return resolver;
    return (parent, args, context, info) =>
      typeof parent === 'object' && parent !== null && Object.hasOwn(parent, column)
        ? own(parent, args, context, info)
        : resolver(parent, args, context, info);
  }
}

SchemaBuilder.registerPlugin('loadedColumns', LoadedColumnsPlugin);
