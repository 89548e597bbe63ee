import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryPubSub, PubSubLostError, type HubPubSub, type StageChangedEvent } from '../src/pubsub.ts';
import { killSubscribeConnection, redisNamespace, redisSkipReason, testRedisBus } from './helpers/redis.ts';
import { deferred, waitUntil } from './helpers/subscription.ts';

const namespace = redisNamespace();
const kinds = ['memory', 'redis'] as const;
const opened: HubPubSub[] = [];
afterAll(async () => {
  await Promise.all(opened.map((b) => b.close()));
});

function open(kind: (typeof kinds)[number], name: string): HubPubSub {
  const bus = kind === 'memory' ? createMemoryPubSub() : testRedisBus(namespace, name);
  opened.push(bus);
  return bus;
}

for (const kind of kinds) {
  const reason = kind === 'redis' ? redisSkipReason() : null;
  (reason ? describe.skip : describe)(`event bus [${kind}]`, () => {
    it('should deliver a published event to every listener of the topic, and only of that topic', async () => {
      const bus = open(kind, 'fanout');
      await bus.ready();
      const heard: string[] = [];
      const one = bus.listen('stageChanged', { onEvent: (e) => heard.push(`one ${e.sequence}`), onLost: () => undefined });
      bus.listen('stageChanged', { onEvent: (e) => heard.push(`two ${e.sequence}`), onLost: () => undefined });
      bus.listen('dataChanged', { onEvent: (e) => heard.push(`data ${e.domain}`), onLost: () => undefined });
      bus.publish('stageChanged', { sequence: '7', projectId: 1 });
      await waitUntil(() => heard.length >= 2, 'two deliveries');
      one();
      bus.publish('stageChanged', { sequence: '8', projectId: 1 });
      bus.publish('dataChanged', { domain: 'funding', year: 2025 });
      await waitUntil(() => heard.length >= 4, 'two more deliveries');
      expect(heard.sort()).toEqual(['data funding', 'one 7', 'two 7', 'two 8']);
    });

    it('should iterate a topic with subscribe() and end it with PubSubLostError on close', async () => {
      const bus = open(kind, 'iterate');
      await bus.ready();
      const iterator = bus.subscribe('stageChanged')[Symbol.asyncIterator]();
      const first = iterator.next();
      await waitUntil(() => bus.listenerCount('stageChanged') === 1, 'the iterator to listen');
      bus.publish('stageChanged', { sequence: '1', projectId: 2 });
      expect((await first).value).toEqual<StageChangedEvent>({ sequence: '1', projectId: 2 });
      const second = expect(iterator.next()).rejects.toBeInstanceOf(PubSubLostError);
      await bus.close();
      await second;
      // Closed: a new listener hears at once that nothing will come.
      const lost = deferred<PubSubLostError>();
      bus.listen('stageChanged', { onEvent: () => undefined, onLost: lost.resolve });
      expect(await lost.promise).toBeInstanceOf(PubSubLostError);
    });
  });
}

(redisSkipReason() ? describe.skip : describe)('event bus [redis]: connection loss', () => {
  it('should tell every listener when the subscribe connection drops, then deliver again once resubscribed', async () => {
    const a = open('redis', 'loss-a');
    const b = open('redis', 'loss-b');
    await Promise.all([a.ready(), b.ready()]);
    const lost = deferred<PubSubLostError>();
    b.listen('stageChanged', { onEvent: () => undefined, onLost: lost.resolve });
    await killSubscribeConnection(namespace, 'loss-b');
    expect(await lost.promise).toBeInstanceOf(PubSubLostError);
    expect(b.listenerCount('stageChanged')).toBe(0);

    await b.ready();
    const heard = deferred<StageChangedEvent>();
    b.listen('stageChanged', { onEvent: heard.resolve, onLost: heard.reject });
    a.publish('stageChanged', { sequence: '99', projectId: 3 });
    expect(await heard.promise).toEqual({ sequence: '99', projectId: 3 });
  });
});

