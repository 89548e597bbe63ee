import { afterAll, describe, expect, it } from 'vitest';
import {
  createMemoryPubSub,
  type HubPubSub,
  PubSubLostError,
  type StageChangedEvent,
} from '../src/realtime/event-bus.ts';
import {
  killSubscribeConnection,
  redisNamespace,
  redisSkipReason,
  testRedisBus,
} from './helpers/redis.ts';
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
      const one = bus.listen('stageChanged', {
        onEvent: (e) => heard.push(`one ${e.sequence}`),
        onLost: () => undefined,
      });
      bus.listen('stageChanged', {
        onEvent: (e) => heard.push(`two ${e.sequence}`),
        onLost: () => undefined,
      });
      bus.listen('dataChanged', {
        onEvent: (e) => heard.push(`data ${e.domain}`),
        onLost: () => undefined,
      });
      bus.publish('stageChanged', { sequence: '7', projectId: 1 });
      await waitUntil(() => heard.length >= 2, 'two deliveries');
      one();
      bus.publish('stageChanged', { sequence: '8', projectId: 1 });
      bus.publish('dataChanged', { domain: 'funding', year: 2025 });
      await waitUntil(() => heard.length >= 4, 'two more deliveries');
      expect(heard.sort()).toEqual(['data funding', 'one 7', 'two 7', 'two 8']);
    });

    it("should hand a server its own event inside publish, once, and another server's once", async () => {
      const writer = open(kind, 'own-a');
      const reader = kind === 'redis' ? open(kind, 'own-b') : writer;
      await Promise.all([writer.ready(), reader.ready()]);
      const own: string[] = [];
      const other: string[] = [];
      writer.listen('stageChanged', {
        onEvent: (e) => own.push(e.sequence),
        onLost: () => undefined,
      });
      if (reader !== writer)
        reader.listen('stageChanged', {
          onEvent: (e) => other.push(e.sequence),
          onLost: () => undefined,
        });
      writer.publish('stageChanged', { sequence: '41', projectId: 1 });
      // Heard before publish returned: the writer's caches know of its write before it answers.
      expect(own).toEqual(['41']);
      writer.publish('stageChanged', { sequence: '42', projectId: 1 });
      if (reader !== writer) {
        await waitUntil(() => other.length >= 2, "the other server's deliveries");
        // Redis brings the writer's messages back to it too, in order, before this later one.
        reader.publish('stageChanged', { sequence: '43', projectId: 1 });
        await waitUntil(() => own.includes('43'), "the other server's event");
        expect(other).toEqual(['41', '42', '43']);
      }
      // Its own messages heard once each, never again from Redis.
      expect(own).toEqual(reader === writer ? ['41', '42'] : ['41', '42', '43']);
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
