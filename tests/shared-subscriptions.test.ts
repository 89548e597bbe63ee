/**
 * Shared subscription execution (src/realtime/shared-subscriptions.ts) over a schema of its own:
 * subscribers asking the same thing share one execution per event, and that execution runs with
 * the hub's role-only context (src/context.ts `sharedContext`), so a field reading who the viewer
 * is fails rather than answering every subscriber with another's data.
 */
import { GraphQLString, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { type HubContext, type ServerContext, sharedContext } from '../src/context.ts';
import { createMemoryPubSub } from '../src/realtime/event-bus.ts';
import {
  type SubscribeFn,
  sharedSubscribe,
  subscriptionSchema,
} from './helpers/shared-subscribe.ts';

const bus = createMemoryPubSub();
let executions = 0;

const schema = subscriptionSchema({
  /** Reads only the role: shared. */
  roleSeen: {
    type: GraphQLString,
    subscribe: () => bus.subscribe('stageChanged'),
    resolve: (_event, _args, ctx: HubContext) => {
      executions += 1;
      return ctx.viewer.role;
    },
  },
  /** Reads who the viewer is: must not be shared. */
  actorSeen: {
    type: GraphQLString,
    subscribe: () => bus.subscribe('stageChanged'),
    resolve: (_event, _args, ctx: HubContext) => ctx.viewer.actor,
  },
});

function sharedSubscriber(): SubscribeFn {
  return sharedSubscribe({
    scope: (context) => (context as HubContext).viewer.role,
    contextOf: (role) => sharedContext({} as ServerContext, role),
  });
}

const subscriber = (actor: string) =>
  ({ viewer: { actor, role: 'viewer' }, clientAddress: actor }) as unknown as HubContext;

describe('shared subscription execution', () => {
  it('should execute once per event for subscribers of one role, with the role only', async () => {
    const subscribe = sharedSubscriber();
    const document = parse('subscription { roleSeen }');
    const alice = await subscribe({ schema, document, contextValue: subscriber('key:alice') });
    const bob = await subscribe({ schema, document, contextValue: subscriber('key:bob') });
    const results = Promise.all([alice.next(), bob.next()]);
    bus.publish('stageChanged', { sequence: '1', projectId: 1 });
    const [a, b] = await results;
    expect(a.value).toEqual({ data: { roleSeen: 'viewer' } });
    expect(b.value).toEqual({ data: { roleSeen: 'viewer' } });
    expect(executions).toBe(1);
    await Promise.all([alice.return?.(), bob.return?.()]);
  });

  it("should give a field that reads the viewer's identity an error, never another subscriber's data", async () => {
    const subscribe = sharedSubscriber();
    const document = parse('subscription { actorSeen }');
    const alice = await subscribe({ schema, document, contextValue: subscriber('key:alice') });
    const bob = await subscribe({ schema, document, contextValue: subscriber('key:bob') });
    const results = Promise.all([alice.next(), bob.next()]);
    bus.publish('stageChanged', { sequence: '2', projectId: 1 });
    for (const { value } of await results) {
      expect(value.data).toEqual({ actorSeen: null });
      expect(value.errors?.[0]?.message).toMatch(
        /viewer\.actor is not known to an execution shared/,
      );
      expect(JSON.stringify(value)).not.toMatch(/alice|bob/);
    }
    await Promise.all([alice.return?.(), bob.return?.()]);
  });
});
