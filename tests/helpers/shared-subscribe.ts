/**
 * The subscribe function of the shared-subscription plugin (src/realtime/shared-subscriptions.ts),
 * taken from the plugin itself, so a test can subscribe over a schema of its own without Yoga.
 */
import {
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFieldConfigMap,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
} from 'graphql';
import {
  type SharedResultsOptions,
  useSharedSubscriptionResults,
} from '../../src/realtime/shared-subscriptions.ts';

export type SubscribeFn = (args: ExecutionArgs) => Promise<AsyncIterableIterator<ExecutionResult>>;

export function sharedSubscribe<Scope extends string>(
  options: SharedResultsOptions<Scope>,
): SubscribeFn {
  let subscribe: SubscribeFn | undefined;
  useSharedSubscriptionResults(options).onSubscribe?.({
    setSubscribeFn: (fn: SubscribeFn) => {
      subscribe = fn;
    },
  } as never);
  return subscribe!;
}

/** A schema of a test's own: these subscription fields, and a query that is never asked. */
// biome-ignore lint/suspicious/noExplicitAny: each test types its own events and context
export function subscriptionSchema(fields: GraphQLFieldConfigMap<any, any>): GraphQLSchema {
  return new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString } } }),
    subscription: new GraphQLObjectType({ name: 'Subscription', fields }),
  });
}
