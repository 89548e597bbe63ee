import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PrismaClient } from '../src/generated/prisma/client.ts';
import { openDashboardFeed } from '../src/realtime/dashboard-feed.ts';
import { createMemoryPubSub } from '../src/realtime/event-bus.ts';
import type { DashboardData } from '../src/services/dashboard.ts';
import { createTestProjects } from './helpers/fixtures.ts';
import { useLeftovers } from './helpers/leftovers.ts';
import { advance } from './helpers/operations.ts';
import { startTestHub, type TestHub } from './helpers/server.ts';
import { subscribeSse } from './helpers/sse-client.ts';
import { waitUntil } from './helpers/subscription.ts';
import { subscribeWs } from './helpers/ws-client.ts';

/** A stand-in dashboard whose content is a counter the test controls. */
function fakeCompute(state: { value: number; calls: number }) {
  return async (_prisma: PrismaClient, year: number) => {
    state.calls += 1;
    return {
      year,
      generatedAt: new Date(),
      projects: { count: state.value },
    } as unknown as DashboardData;
  };
}

describe('dashboard feed', () => {
  const prisma = {} as PrismaClient;

  it('should send the dashboard at once, then one recompute for a burst of changes', async () => {
    const bus = createMemoryPubSub();
    const state = { value: 1, calls: 0 };
    const feed = await openDashboardFeed({
      prisma,
      pubsub: bus,
      year: 2025,
      compute: fakeCompute(state),
    });
    const first = await feed.next();
    expect(first.value.projects.count).toBe(1);
    state.value = 100;
    for (let i = 0; i < 100; i++)
      bus.publish('stageChanged', { sequence: String(i + 1), projectId: 1 });
    const second = await feed.next();
    expect(second.value.projects.count).toBe(100);
    expect(state.calls).toBe(2);
    await feed.return!();
    expect(bus.listenerCount('stageChanged')).toBe(0);
  });

  it('should ignore changes of other years and not resend an unchanged dashboard', async () => {
    const bus = createMemoryPubSub();
    const state = { value: 1, calls: 0 };
    const feed = await openDashboardFeed({
      prisma,
      pubsub: bus,
      year: 2025,
      compute: fakeCompute(state),
      coalesceMs: 0,
    });
    await feed.next();
    const next = feed.next(); // the feed works while a next() is pending
    bus.publish('dataChanged', { domain: 'funding', year: 2024 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(state.calls).toBe(1);
    bus.publish('dataChanged', { domain: 'funding', year: 2025 }); // recomputed, but nothing changed: not sent
    await waitUntil(() => state.calls === 2, 'the recompute');
    state.value = 2;
    bus.publish('dataChanged', { domain: 'figure', year: null });
    expect((await next).value.projects.count).toBe(2);
    expect(state.calls).toBe(3);
    await feed.return!();
  });

  it('should end with the bus error when the bus is lost', async () => {
    const bus = createMemoryPubSub();
    const feed = await openDashboardFeed({
      prisma,
      pubsub: bus,
      year: 2025,
      compute: fakeCompute({ value: 1, calls: 0 }),
    });
    await feed.next();
    const pending = expect(feed.next()).rejects.toMatchObject({ name: 'PubSubLostError' });
    await bus.close();
    await pending;
  });
});

describe('dashboardUpdated', () => {
  let hub: TestHub;
  const leftovers = useLeftovers();
  const DASHBOARD = /* GraphQL */ `
    subscription Dashboard($year: Int) {
      dashboardUpdated(year: $year) { year projects { count } stageFunnel { stage current { count } } }
    }`;
  type Data = {
    dashboardUpdated: {
      year: number;
      projects: { count: number };
      stageFunnel: { stage: string; current: { count: number } }[];
    };
  };
  const countAt = (d: Data, stage: string) =>
    d.dashboardUpdated.stageFunnel.find((s) => s.stage === stage)!.current.count;

  beforeAll(async () => {
    hub = await startTestHub({ seed: false });
  });
  afterEach(async () => {
    await leftovers.flush();
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('should send the dashboard at once and again after a stage change, over graphql-ws and SSE', async () => {
    const [p] = await createTestProjects(hub.db.prisma, 1, { prefix: 'DASH' });
    const ws = await subscribeWs<Data>(hub.url, DASHBOARD, { year: 2025 });
    const sse = await subscribeSse<Data>(hub.url, DASHBOARD, { year: 2025 });
    leftovers.push(ws, sse);
    for (const sub of [ws, sse]) {
      await sub.recorder.waitForResults(1);
      expect(sub.recorder.data()[0]!.dashboardUpdated).toMatchObject({
        year: 2025,
        projects: { count: 1 },
      });
      expect(countAt(sub.recorder.data()[0]!, 'PLANNED')).toBe(1);
    }
    // Both feeds, and the dashboard cache they share.
    await waitUntil(
      () => hub.app.pubsub.listenerCount('stageChanged') === 3,
      'both feeds to listen',
    );
    await advance(hub, p!.globalId, 'UNDER_CONSTRUCTION');
    for (const sub of [ws, sse]) {
      await waitUntil(() => {
        const last = sub.recorder.data().at(-1)!;
        return countAt(last, 'UNDER_CONSTRUCTION') === 1;
      }, 'a dashboard showing the change');
      expect(countAt(sub.recorder.data().at(-1)!, 'PLANNED')).toBe(0);
    }
  });

  it('should refuse a year out of range', async () => {
    const sub = await subscribeSse(hub.url, DASHBOARD, { year: 1900 });
    leftovers.push(sub);
    await sub.recorder.waitForResults(1);
    expect(sub.recorder.results[0]!.errors?.[0]?.message).toMatch(/year/);
  });
});
