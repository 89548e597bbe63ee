/**
 * The response cache (src/response-cache.ts): a query's answer is kept per role and served from
 * memory until a change is heard. A write through the hub shows in the writer's next read and,
 * through the bus, in another server's; a write past the hub shows after the maximum age; a bad
 * credential is never answered from memory; mutations and graphql-ws operations never are;
 * while the bus is lost nothing is kept; by default an answer is kept from its second request.
 */
import { defaultBuildResponseCacheKey } from '@envelop/response-cache';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChangeWatch } from '../src/realtime/change-watch.ts';
import { createMemoryPubSub, type HubPubSub, PubSubLostError } from '../src/realtime/event-bus.ts';
import { ChangeScopedCache, requestHash } from '../src/response-cache.ts';
import { bearer } from './helpers/auth.ts';
import { heldBusPair } from './helpers/bus.ts';
import { testClock } from './helpers/clock.ts';
import { createTestProjects, type TestProject } from './helpers/fixtures.ts';
import { ADVANCE, type AdvanceData, advance } from './helpers/operations.ts';
import { openLoggedDatabase, type QueryLog } from './helpers/query-log.ts';
import { startTestHub, type TestHub } from './helpers/server.ts';
import { deferred, waitUntil } from './helpers/subscription.ts';
import { subscribeWs } from './helpers/ws-client.ts';

/** Long enough never to pass by itself during the suite: tests move `clock` past it. */
const MAX_AGE_MS = 60_000;
/**
 * Every answer kept from its first request, so that each test's second request shows what is
 * kept; the default (kept from the second) has a test of its own at the end.
 */
const FROM_FIRST = { HUB_CACHE_MIN_USES: '1' };
const clock = testClock();

const PROJECT = /* GraphQL */ `
  query P($id: ID!) {
    node(id: $id) { ... on Project { id code name stage stageHistory(last: 3) { edges { node { sequence toStage } } } } }
  }`;

const PAGE = /* GraphQL */ `
  query Page($first: Int!) {
    projects(first: $first) { totalCount edges { node { code stage park { name } } } }
  }`;

type ProjectData = {
  node: { name: string; stage: string; stageHistory: { edges: { node: { sequence: string } }[] } };
};

describe('response cache', () => {
  let db: Awaited<ReturnType<typeof openLoggedDatabase>>['db'];
  let log: QueryLog;
  let hub: TestHub;
  let other: TestHub;
  let lostBusHub: TestHub;
  let projects: TestProject[];
  // Two servers' buses, as on one Redis: each server hears its own writes at once, the other
  // only when the test releases what is held, so what the other sees cannot be early.
  const {
    buses: [bus, otherBus],
    release,
  } = heldBusPair();
  // A bus that is down: every listener hears at once that it is lost.
  const lostHeard = deferred();
  const lostBus: HubPubSub = {
    ...createMemoryPubSub(),
    listen: (_topic, listener) => {
      queueMicrotask(() => {
        listener.onLost(new PubSubLostError('Redis is unreachable'));
        lostHeard.resolve();
      });
      return () => {};
    },
  };

  beforeAll(async () => {
    ({ db, log } = await openLoggedDatabase('pglite'));
    projects = await createTestProjects(db.prisma, 3, { prefix: 'RC' });
    hub = await startTestHub({
      db,
      pubsub: bus,
      env: { ...FROM_FIRST, HUB_CACHE_MS: String(MAX_AGE_MS) },
      app: { now: clock.now },
    });
    // A second server on the same database and bus, keeping answers for up to ten minutes.
    other = await startTestHub({
      db,
      pubsub: otherBus,
      env: { ...FROM_FIRST, HUB_CACHE_MS: '600000' },
    });
    lostBusHub = await startTestHub({
      db,
      pubsub: lostBus,
      env: { ...FROM_FIRST, HUB_CACHE_MS: '600000' },
    });
  });
  afterAll(async () => {
    await lostBusHub?.close();
    await other?.close();
    await hub?.close();
    await Promise.all([bus.close(), otherBus.close()]);
    await db?.close();
  });

  /** Requests that waited for an identical request's answer, by the hub's metrics. */
  const shared = async (target: TestHub) => {
    const metrics = await (await fetch(target.url.replace('/graphql', '/metrics'))).text();
    return Number(/^hub_response_cache_total\{result="shared"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
  };

  const read = async (target: TestHub, id: string, headers?: Record<string, string>) => {
    const res = await target.gql<ProjectData>(PROJECT, { id }, headers);
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return res.data!.node;
  };

  it('should answer a repeated query from memory, without a statement', async () => {
    const first = await log.measure(() => hub.gql(PAGE, { first: 3 }));
    const again = await log.measure(() => hub.gql(PAGE, { first: 3 }));
    expect(first.result.errors).toBeUndefined();
    expect(first.statements.length).toBeGreaterThan(0);
    expect(again.statements).toEqual([]);
    expect(again.result).toEqual(first.result);
    // Other variables are another answer.
    const other3 = await log.measure(() =>
      hub.gql<{ projects: { edges: unknown[] } }>(PAGE, { first: 2 }),
    );
    expect(other3.statements.length).toBeGreaterThan(0);
    expect(other3.result.data!.projects.edges.length).toBe(2);
    const metrics = await (await fetch(hub.url.replace('/graphql', '/metrics'))).text();
    expect(metrics).toMatch(/hub_response_cache_total\{result="hit"\} [1-9]/);
  });

  it('should show a stage change to the writer at once, and to another server through the bus', async () => {
    const p = projects[0]!;
    expect((await read(hub, p.globalId)).stage).toBe('PLANNED');
    expect((await read(other, p.globalId)).stage).toBe('PLANNED');
    const sequence = await advance(hub, p.globalId, 'SIGNED');
    // The writer's next read has it although the bus has not delivered yet.
    const after = await read(hub, p.globalId);
    expect(after.stage).toBe('SIGNED');
    expect(after.stageHistory.edges.at(-1)!.node.sequence).toBe(sequence);
    // The other server has not heard yet and answers from memory: the cache is on there.
    expect((await read(other, p.globalId)).stage).toBe('PLANNED');
    release();
    expect((await read(other, p.globalId)).stage).toBe('SIGNED');
  });

  it('should show a write made past the hub after the maximum age', async () => {
    const p = projects[1]!;
    expect((await read(hub, p.globalId)).name).toBe(`测试项目 ${p.code}`);
    await db.prisma.project.update({ where: { id: p.id }, data: { name: 'renamed by SQL' } });
    expect((await read(hub, p.globalId)).name).toBe(`测试项目 ${p.code}`);
    clock.advance(MAX_AGE_MS + 1);
    expect((await read(hub, p.globalId)).name).toBe('renamed by SQL');
  });

  it('should keep answers apart by role and never answer a bad credential from memory', async () => {
    const p = projects[2]!;
    const asViewer = await read(hub, p.globalId, { authorization: bearer('viewer') });
    const { statements } = await log.measure(() =>
      read(hub, p.globalId, { authorization: bearer('editor') }),
    );
    expect(statements.length).toBeGreaterThan(0);
    expect(
      (await log.measure(() => read(hub, p.globalId, { authorization: bearer('viewer') })))
        .statements,
    ).toEqual([]);
    const bad = await fetch(hub.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer not-a-key' },
      body: JSON.stringify({ query: PROJECT, variables: { id: p.globalId } }),
    });
    expect(bad.status).toBe(401);
    const body = (await bad.json()) as {
      data?: unknown;
      errors: { extensions: { code: string } }[];
    };
    expect(body.data ?? null).toBeNull();
    expect(body.errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
    expect(asViewer.stage).toBe('PLANNED');
  });

  it('should refuse an anonymous caller when anonymous reads are off, whatever is kept', async () => {
    const closed = await startTestHub({
      db,
      pubsub: bus,
      env: { ...FROM_FIRST, HUB_CACHE_MS: '600000', HUB_ANONYMOUS_ROLE: 'none' },
    });
    try {
      const id = projects[2]!.globalId;
      expect((await closed.gql(PROJECT, { id })).errors).toBeUndefined();
      expect((await closed.gql(PROJECT, { id })).errors).toBeUndefined();
      const anonymous = await closed.gql(PROJECT, { id }, { authorization: '' });
      expect(anonymous.data?.node ?? null).toBeNull();
      expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    } finally {
      await closed.close();
    }
  });

  it('should answer If-None-Match with 304 while the answer stands, and in full after a change', async () => {
    const p = projects[0]!;
    const post = (headers: Record<string, string> = {}) =>
      fetch(hub.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: bearer('viewer'),
          ...headers,
        },
        body: JSON.stringify({ query: PROJECT, variables: { id: p.globalId } }),
      });
    await (await post()).arrayBuffer();
    const kept = await post();
    const etag = kept.headers.get('etag');
    expect(etag).toBeTruthy();
    await kept.arrayBuffer();
    const unchanged = await post({ 'if-none-match': etag! });
    expect(unchanged.status).toBe(304);
    await advance(hub, p.globalId, 'LANDED');
    const changed = await post({ 'if-none-match': etag! });
    expect(changed.status).toBe(200);
    expect(((await changed.json()) as { data: ProjectData }).data.node.stage).toBe('LANDED');
    release();
  });

  it('should run every mutation, even one sent twice alike', async () => {
    const p = projects[1]!;
    const input = { input: { projectId: p.globalId, toStage: 'NEGOTIATING' } };
    const first = await hub.gql<AdvanceData>(ADVANCE, input);
    expect(first.data!.advanceProjectStage.__typename).toBe('AdvanceProjectStageSuccess');
    const second = await hub.gql<AdvanceData>(ADVANCE, input);
    // Executed again: the project is already there, so this time it is a typed error.
    expect(second.data!.advanceProjectStage.__typename).not.toBe('AdvanceProjectStageSuccess');
    expect(second.data!.advanceProjectStage.message).toBeTruthy();
    release();
  });

  it('should answer queries over graphql-ws by executing them', async () => {
    const p = projects[0]!;
    for (let i = 0; i < 2; i++) {
      const sub = await subscribeWs<ProjectData>(hub.url, PROJECT, { id: p.globalId });
      await sub.recorder.waitForResults(1);
      expect(sub.recorder.data()[0]!.node.stage).toBe('LANDED');
      await sub.dispose();
    }
  });

  it('should keep nothing while the bus is lost', async () => {
    const id = projects[0]!.globalId;
    await read(lostBusHub, id);
    // The hub has heard that its bus is lost.
    await lostHeard.promise;
    for (let i = 0; i < 2; i++) {
      const { statements } = await log.measure(() => read(lostBusHub, id));
      expect(statements.length).toBeGreaterThan(0);
    }
  });

  it('should not keep an answer computed from reads that began before a change', async () => {
    const watch = new ChangeWatch(createMemoryPubSub());
    expect(watch.watching()).toBe(true);
    const cache = new ChangeScopedCache(watch);
    const before = `${watch.generation}:key`;
    watch.changed(null);
    await cache.set(before, { data: { stale: true } }, [], 60_000);
    expect((await cache.get(before)) ?? null).toBeNull();
    const now = `${watch.generation}:key`;
    await cache.set(now, { data: { fresh: true } }, [], 60_000);
    expect(await cache.get(now)).toEqual({ data: { fresh: true } });
    // A change drops what is kept.
    watch.changed(2025);
    expect((await cache.get(now)) ?? null).toBeNull();
    watch.close();
  });

  it('should answer identical requests that miss together with one execution', async () => {
    // A change empties the cache, as when every wall display asks again after a stage change.
    await advance(hub, projects[2]!.globalId, 'NEGOTIATING');
    release();
    const reads = (statements: string[]) =>
      statements.filter((sql) => /FROM "public"\."Project"/.test(sql));
    const one = await log.measure(() => hub.gql(PAGE, { first: 1 }));
    expect(reads(one.statements).length).toBeGreaterThan(0);
    // The database held by a transaction (PGlite runs one at a time), so that all five requests
    // have arrived and missed before the first can be answered.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const holding = db.prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT 1`;
      await gate;
    });
    const sharedBefore = await shared(hub);
    const asked = log.measure(() =>
      Promise.all(Array.from({ length: 5 }, () => hub.gql(PAGE, { first: 2 }))),
    );
    // The other four are waiting for the first one's answer.
    await waitUntil(async () => (await shared(hub)) === sharedBefore + 4, 'four requests waiting');
    open();
    await holding;
    const five = await asked;
    expect(reads(five.statements).length).toBe(reads(one.statements).length);
    for (const answer of five.result) expect(answer).toEqual(five.result[0]);
    expect(five.result[0]!.errors).toBeUndefined();
  });

  it('should keep an answer from its second request by default', async () => {
    const byDefault = await startTestHub({ db, pubsub: bus, env: { HUB_CACHE_MS: '600000' } });
    try {
      const ask = () => log.measure(() => byDefault.gql(PAGE, { first: 4 }));
      const first = await ask();
      expect(first.result.errors).toBeUndefined();
      expect(first.statements.length).toBeGreaterThan(0);
      // Asked once, not kept: the second request is computed too, and its answer kept.
      expect((await ask()).statements.length).toBe(first.statements.length);
      const third = await ask();
      expect(third.statements).toEqual([]);
      expect(third.result).toEqual(first.result);
    } finally {
      await byDefault.close();
    }
  });

  it("should hash a request as the plugin's default key does, whatever the order of its variables", async () => {
    const params = {
      documentString: PAGE,
      operationName: 'Page',
      variableValues: { first: 3, filter: { stage: ['SIGNED'], parkId: 'UGFyazox' } },
      sessionId: 'viewer',
      context: {},
    };
    expect(requestHash(params)).toBe(await defaultBuildResponseCacheKey(params));
    const reordered = { filter: { parkId: 'UGFyazox', stage: ['SIGNED'] }, first: 3 };
    expect(requestHash({ ...params, variableValues: reordered })).toBe(requestHash(params));
    expect(requestHash({ ...params, variableValues: { first: 4 } })).not.toBe(requestHash(params));
    expect(requestHash({ ...params, sessionId: 'editor' })).not.toBe(requestHash(params));
    const bare = {
      documentString: '{ __typename }',
      variableValues: undefined,
      sessionId: null,
      context: {},
    };
    expect(requestHash(bare)).toBe(await defaultBuildResponseCacheKey(bare));
  });

  it('should count towards keeping only the requests of late, the least recently asked forgotten first', async () => {
    const watch = new ChangeWatch(createMemoryPubSub());
    // One entry at most: the last 8 requests are counted.
    const cache = new ChangeScopedCache(watch, 1);
    const others = (from: number, to: number) => {
      for (let i = from; i <= to; i++) expect(cache.admits('viewer', `other${i}`)).toBe(false);
    };
    expect(cache.admits('viewer', 'k')).toBe(false);
    others(1, 7);
    expect(cache.admits('viewer', 'k')).toBe(true);
    // Asked again, `k` is the most recent: seven others later it is still counted.
    others(8, 14);
    expect(cache.admits('viewer', 'k')).toBe(true);
    // Eight others later it is forgotten, and counts from one again.
    others(15, 22);
    expect(cache.admits('viewer', 'k')).toBe(false);
    // Counted per role.
    expect(cache.admits('editor', 'other22')).toBe(false);
    expect(cache.admits('viewer', 'other22')).toBe(true);
    // An answer kept is served even once its count is forgotten.
    expect(cache.admits('viewer', 'kept')).toBe(false);
    expect(cache.admits('viewer', 'kept')).toBe(true);
    const request = new Request('http://hub.test/graphql');
    const key = await cache.claim(request, 'viewer', 'kept');
    await cache.set(key, { data: { kept: true } }, [], 60_000);
    cache.release(request);
    others(23, 31);
    expect(cache.admits('viewer', 'kept')).toBe(true);
    expect(await cache.get(key)).toEqual({ data: { kept: true } });
    // From the first request when so configured.
    expect(new ChangeScopedCache(watch, 1, undefined, Date.now, 1).admits('viewer', 'new')).toBe(
      true,
    );
    watch.close();
  });
});
