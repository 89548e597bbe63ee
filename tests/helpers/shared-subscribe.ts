/**
 * The subscribe function of the shared-subscription plugin (src/realtime/shared-subscriptions.ts),
 * taken from the plugin itself, so a test can subscribe over a schema of its own without Yoga.
 */
import type { ExecutionArgs, ExecutionResult } from 'graphql';
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
