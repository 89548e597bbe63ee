import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubPubSub } from '../src/realtime/event-bus.ts';
import { logHead } from '../src/services/stage-log.ts';
import { openTestDatabase } from './helpers/db.ts';
import { createTestProjects } from './helpers/fixtures.ts';
import { useLeftovers } from './helpers/leftovers.ts';
import { advance, STAGE_CHANGED, type StageEventData } from './helpers/operations.ts';
import {
  killSubscribeConnection,
  redisNamespace,
  redisSkipReason,
  testRedisBus,
} from './helpers/redis.ts';
import { startTestHub, type TestHub } from './helpers/server.ts';
import { subscribeSse } from './helpers/sse-client.ts';
import { waitUntil } from './helpers/subscription.ts';
import { subscribeWs } from './helpers/ws-client.ts';

const reason = redisSkipReason(true);

(reason ? describe.skip : describe)(
  'two servers sharing one PostgreSQL database and one Redis',
  () => {
    const namespace = redisNamespace();
    let db: Awaited<ReturnType<typeof openTestDatabase>>;
    let busA: HubPubSub;
    let busB: HubPubSub;
    let a: TestHub;
    let b: TestHub;
    const leftovers = useLeftovers();

    beforeAll(async () => {
      db = await openTestDatabase('postgres');
      busA = testRedisBus(namespace, 'a');
      busB = testRedisBus(namespace, 'b');
      await Promise.all([busA.ready(), busB.ready()]);
      // Feeds re-read the log only on a notification here (the 10-minute safety poll never fires
      // within a test), so an event that arrives proves it came through Redis.
      const app = { feedPollMs: 600_000 };
      a = await startTestHub({ db, pubsub: busA, app });
      b = await startTestHub({ db, pubsub: busB, app });
    });
    afterAll(async () => {
      await leftovers.flush();
      await a?.close();
      await b?.close();
      await Promise.all([busA?.close(), busB?.close()]);
      await db?.close();
    });

    const subscribeOn = async (
      hub: TestHub,
      transport: 'ws' | 'sse',
      variables: Record<string, unknown> = {},
    ) => {
      const before = hub.app.stageTail.size;
      const sub =
        transport === 'ws'
          ? await subscribeWs<StageEventData>(hub.url, STAGE_CHANGED, variables, {
              label: `ws on ${hub === a ? 'A' : 'B'}`,
            })
          : await subscribeSse<StageEventData>(hub.url, STAGE_CHANGED, variables, {
              label: `sse on ${hub === a ? 'A' : 'B'}`,
            });
      leftovers.push(sub);
      await waitUntil(() => hub.app.stageTail.size > before, 'the subscription to start');
      return sub;
    };

    it('should deliver a change made on one server to subscribers on the other, over both transports', async () => {
      const [p] = await createTestProjects(db.prisma, 1, { prefix: 'MS' });
      const onB = await subscribeOn(b, 'ws');
      const sseOnB = await subscribeOn(b, 'sse');
      const onA = await subscribeOn(a, 'sse');
      const fromA = await advance(a, p!.globalId, 'SIGNED');
      const fromB = await advance(b, p!.globalId, 'LANDED');
      for (const sub of [onB, sseOnB, onA]) {
        await sub.recorder.waitForResults(2);
        expect(sub.recorder.data().map((d) => d.projectStageChanged.sequence)).toEqual([
          fromA,
          fromB,
        ]);
      }
    });

    it('should end subscriptions with an error when Redis is lost, and resume with `after` without a gap', async () => {
      const [p] = await createTestProjects(db.prisma, 1, { prefix: 'LOSS' });
      const start = (await logHead(db.prisma)).toString();
      const ws = await subscribeOn(b, 'ws', { after: start });
      const sse = await subscribeOn(b, 'sse', { after: start });
      const before = await advance(a, p!.globalId, 'SIGNED');
      await ws.recorder.waitForResults(1);
      await sse.recorder.waitForResults(1);

      await killSubscribeConnection(namespace, 'b');
      for (const sub of [ws, sse]) {
        const end = await sub.recorder.ended;
        expect(end.kind).toBe('complete');
        const last = sub.recorder.results.at(-1)!;
        expect(last.errors?.[0]?.extensions?.code).toBe('EVENT_BUS_LOST');
      }
      // Written while B is cut off from Redis (or just back): B's subscribers never heard it.
      const during = await advance(a, p!.globalId, 'LANDED');

      await busB.ready();
      const resumed = await subscribeOn(b, 'ws', { after: before });
      const after = await advance(a, p!.globalId, 'APPROVED');
      await resumed.recorder.waitForResults(2);
      expect(resumed.recorder.data().map((d) => d.projectStageChanged.sequence)).toEqual([
        during,
        after,
      ]);
    });
  },
);
