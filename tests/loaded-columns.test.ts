/**
 * src/schema/loaded-columns.ts answers fields read from a row's columns straight from the row,
 * without plugin-prisma's per-row bookkeeping and without the relay plugin's promise per `id`.
 * These tests call the built schema's resolvers with rows as Prisma hands them over, and a
 * context with no database: a resolver that took plugin-prisma's path would look for the plan's
 * mapping and load the row again, which cannot happen here.
 */
import SchemaBuilder from '@pothos/core';
import RelayPlugin from '@pothos/plugin-relay';
import { type GraphQLObjectType, type GraphQLResolveInfo, graphql, isObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { getDatamodel } from '../src/generated/prisma/pothos-types.ts';
import '../src/schema/loaded-columns.ts';
import { schema } from '../src/schema/index.ts';
import { daysSince } from '../src/services/analytics.ts';

const models = getDatamodel().datamodel.models as Record<
  string,
  { fields: readonly { name: string; kind: string; type: string }[] }
>;

/** A sample value per column type, distinct per column, so a wrong column shows. */
function sampleRow(model: string): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  models[model]!.fields.forEach((field, i) => {
    if (field.kind === 'object') return;
    if (field.name === 'id') row.id = 4242;
    else if (field.type === 'Int') row[field.name] = 1000 + i;
    else if (field.type === 'BigInt') row[field.name] = BigInt(2000 + i);
    else if (field.type === 'String') row[field.name] = `text ${i}`;
    else row[field.name] = null;
  });
  return row;
}

/** The resolve info a field's resolver sees, as far as the wrappers read it. */
function infoFor(type: GraphQLObjectType, field: string): GraphQLResolveInfo {
  return {
    fieldName: field,
    fieldNodes: [],
    returnType: type.getFields()[field]!.type,
    parentType: type,
    path: { prev: undefined, key: field, typename: type.name },
    schema,
    fragments: {},
    rootValue: undefined,
    operation: undefined as never,
    variableValues: {},
  } as GraphQLResolveInfo;
}

/** The object types of the schema that are Prisma nodes, with their model. */
function prismaNodes(): { type: GraphQLObjectType; model: string }[] {
  return Object.values(schema.getTypeMap())
    .filter(isObjectType)
    .filter((type) => type.getInterfaces().some((i) => i.name === 'Node'))
    .map((type) => ({ type, model: type.extensions.pothosPrismaModel as string }))
    .filter(({ model }) => typeof model === 'string');
}

describe('loaded columns', () => {
  it('should encode every Prisma node id at once from the row, as the relay plugin does', async () => {
    const nodes = prismaNodes();
    expect(nodes.map((n) => n.type.name)).toEqual(
      expect.arrayContaining(['Project', 'Park', 'FundingAward', 'ProjectStageEvent']),
    );
    for (const { type, model } of nodes) {
      const field = type.getFields().id!;
      const row = sampleRow(model);
      const info = infoFor(type, 'id');
      const answered = field.resolve!(row, {}, {}, info);
      // Not a promise: the value itself.
      expect(typeof answered, type.name).toBe('string');
      const relays = await (
        field.extensions.pothosOriginalResolve as (...args: unknown[]) => Promise<string>
      )(row, {}, {}, info);
      expect(answered, type.name).toBe(relays);
      expect(Buffer.from(answered as string, 'base64').toString(), type.name).toBe(
        `${type.name}:4242`,
      );
    }
  });

  it("should await a node's id resolver only when it returns a promise", async () => {
    // The hub's builder options are declared for every builder (prisma, scopeAuth); this one has
    // the relay plugin and this plugin only.
    const options = { plugins: [RelayPlugin, 'loadedColumns'], relay: {} };
    const builder = new SchemaBuilder<{ Objects: { Thing: { key: string } } }>(options as never);
    builder.node('Thing', {
      id: { resolve: async (thing) => `k-${thing.key}` },
      loadOne: (id) => ({ key: id }),
      fields: (t) => ({ key: t.exposeString('key') }),
    });
    builder.queryType({
      fields: (t) => ({ thing: t.field({ type: 'Thing', resolve: () => ({ key: 'a' }) }) }),
    });
    const built = builder.toSchema();
    const thing = built.getType('Thing') as GraphQLObjectType;
    const pending = thing.getFields().id!.resolve!({ key: 'a' }, {}, {}, infoFor(thing, 'id'));
    expect(pending).toBeInstanceOf(Promise);
    expect(Buffer.from(await (pending as Promise<string>), 'base64').toString()).toBe('Thing:k-a');
    const { data, errors } = await graphql({ schema: built, source: '{ thing { id key } }' });
    expect(errors).toBeUndefined();
    const { id } = (data as { thing: { id: string } }).thing;
    expect(Buffer.from(id, 'base64').toString()).toBe('Thing:k-a');
  });

  it('should answer a field that selects one column from a row that carries it', () => {
    const event = schema.getType('ProjectStageEvent') as GraphQLObjectType;
    const sequence = event.getFields().sequence!;
    expect(sequence.resolve!({ id: 7, sequence: 123n }, {}, {}, infoFor(event, 'sequence'))).toBe(
      '123',
    );
    const project = schema.getType('Project') as GraphQLObjectType;
    const since = new Date('2020-03-15T00:00:00Z');
    const days = project.getFields().daysAtStage!;
    expect(
      days.resolve!({ id: 7, stageSince: since }, {}, {}, infoFor(project, 'daysAtStage')),
    ).toBe(daysSince(since));
    expect(
      days.resolve!({ id: 7, stageSince: null }, {}, {}, infoFor(project, 'daysAtStage')),
    ).toBe(null);
  });

  it('should leave a row without the column to plugin-prisma, which loads it again', async () => {
    // `daysAtStage`'s own resolver would answer null for a row without `stageSince`: a wrong
    // answer. plugin-prisma's path looks for the plan's mapping and then for a client to load the
    // row with; this context has neither, so that path can only end in an error.
    const project = schema.getType('Project') as GraphQLObjectType;
    const days = project.getFields().daysAtStage!;
    const answer = (async () =>
      days.resolve!({ id: 7 }, {}, {}, infoFor(project, 'daysAtStage')))();
    await expect(answer).rejects.toThrow();
  });
});
