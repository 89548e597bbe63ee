/** The Pothos schema builder: plugins, scalars' TypeScript shapes and the context. No types here. */
import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import type { Prisma } from '../generated/prisma/client.ts';
import type PrismaTypes from '../generated/prisma/pothos-types.ts';
import { getDatamodel } from '../generated/prisma/pothos-types.ts';
import type { HubContext } from '../context.ts';

export const builder = new SchemaBuilder<{
  PrismaTypes: PrismaTypes;
  Context: HubContext;
  DefaultFieldNullability: false;
  Scalars: {
    ID: { Input: string; Output: string | number | bigint };
    Decimal: { Input: Prisma.Decimal; Output: Prisma.Decimal | string | number };
    Date: { Input: Date; Output: Date };
    DateTime: { Input: Date; Output: Date };
  };
  Connection: { totalCount: number | (() => number | Promise<number>) };
}>({
  plugins: [ErrorsPlugin, PrismaPlugin, RelayPlugin],
  defaultFieldNullability: false,
  prisma: {
    // The client comes from the context, so one schema serves any database the app opens.
    client: (ctx) => ctx.prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    onUnusedQuery: null,
  },
  relay: {
    cursorType: 'String',
    clientMutationId: 'omit',
    nodeQueryOptions: { description: '按全局ID取任意对象 / Fetch any object by its global id.' },
    nodesQueryOptions: { description: '按全局ID批量取对象 / Fetch several objects by their global ids.' },
  },
  errors: { defaultTypes: [] },
});
