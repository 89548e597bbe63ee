/**
 * `query @live`: answered at once and again after every change to what it read, over graphql-ws
 * and SSE, on every server; never re-executed by a change to something it did not read; one
 * execution per change for many identical clients; the same roles and limits as a plain query;
 * JSON patches that rebuild the answer; a clear end when the bus is lost.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { applyLiveQueryJSONPatch } from '@n1ru4l/graphql-live-query-patch-json-patch';
import { beforeAll, describe, expect, it } from 'vitest';
import { operationsDir } from '../src/explorer.ts';
import { ROOT_FIELDS_READING, touchedBy } from '../src/realtime/change-watch.ts';
import type { HubPubSub } from '../src/realtime/event-bus.ts';
import { schema } from '../src/schema/index.ts';
import { bearer } from './helpers/auth.ts';
import { openTestDatabase } from './helpers/db.ts';
import { createTestProjects, type TestProject } from './helpers/fixtures.ts';
import { useLeftovers } from './helpers/leftovers.ts';
import { advance } from './helpers/operations.ts';
import {
  killSubscribeConnection,
  redisNamespace,
  redisSkipReason,
  testRedisBus,
} from './helpers/redis.ts';
import { type GraphQLResponse, startTestHub, type TestHub } from './helpers/server.ts';
import { subscribeSse } from './helpers/sse-client.ts';
import { type TestSubscription, waitUntil } from './helpers/subscription.ts';
import { openRawWs, subscribeWs, type WsErrors } from './helpers/ws-client.ts';

const leftovers = useLeftovers();

function keep<T extends Pick<TestSubscription, 'dispose'>>(subscription: T): T {
  leftovers.push(() => subscription.dispose());
  return subscription;
}

type NodeStage = GraphQLResponse<{ node: { stage: string } }>;

/** The projects of the test's prefix that are SIGNED, kept current. */
const SIGNED_LIST = /* GraphQL */ `
  query SignedProjects($name: String) @live {
    projects(first: 50, filter: { stage: [SIGNED], nameContains: $name }) {
      totalCount
      edges { node { id code stage } }
    }
  }`;

type SignedList = {
  projects: { totalCount: number; edges: { node: { id: string; code: string; stage: string } }[] };
};

/** What /metrics says of live queries: executions so far, and distinct live queries open. */
async function liveMetrics(hub: TestHub): Promise<{ executions: number; open: number }> {
  const text = await (await fetch(hub.url.replace(/\/graphql$/, '/metrics'))).text();
  const value = (name: string) =>
    Number(
      text
        .split('\n')
        .find((l) => l.startsWith(`${name} `))
        ?.split(' ')[1] ?? NaN,
    );
  return {
    executions: value('hub_live_query_executions_total'),
    open: value('hub_live_queries_open'),
  };
}

/** A funding award for no project: a write that no project list reads. */
const RECORD_AWARD = /* GraphQL */ `
  mutation($input: RecordFundingAwardInput!) { recordFundingAward(input: $input) { __typename } }`;

describe('what a change touches', () => {
  it('should say for every root query field which writes can change its answer', () => {
    expect(Object.keys(ROOT_FIELDS_READING).sort()).toEqual(
      Object.keys(schema.getQueryType()!.getFields()).sort(),
    );
  });

  it('should name the rows a write touched and the root fields reading its domain', () => {
    const touched = touchedBy('funding', ['RnVuZGluZ0F3YXJkOjE=']);
    expect(touched).toContain('Query.fundingAwards');
    expect(touched).toContain('Query.dashboard');
    expect(touched).not.toContain('Query.projects');
    expect(touched).toContain('FundingAward:RnVuZGluZ0F3YXJkOjE=');
    expect(touched).toContain('Query.node(id:"RnVuZGluZ0F3YXJkOjE=")');
    // A write that names no rows re-runs every `node` query.
    expect(touchedBy('project', undefined)).toContain('Query.node');
  });
});

describe('live queries on one server', () => {
  let hub: TestHub;
  let projects: TestProject[];
  beforeAll(async () => {
    hub = await startTestHub({ seed: false });
    leftovers.push(() => hub.close());
    projects = await createTestProjects(hub.db.prisma, 3, { prefix: 'LQ', stage: 'NEGOTIATING' });
  });

  it('should answer at once and again after a change it read, over graphql-ws and SSE, and not after an unrelated write', async () => {
    const ws = keep(await subscribeWs<SignedList>(hub.url, SIGNED_LIST, { name: 'LQ-001' }));
    const sse = keep(await subscribeSse<SignedList>(hub.url, SIGNED_LIST, { name: 'LQ-001' }));
    for (const s of [ws, sse])
      expect((await s.recorder.waitForResults(1))[0]!.data?.projects.totalCount).toBe(0);
    const before = await liveMetrics(hub);
    // Both clients asked the same thing with the same role: one live query.
    expect(before.open).toBe(1);

    const award = await hub.gql<{ recordFundingAward: { __typename: string } }>(RECORD_AWARD, {
      input: {
        sourceLevel: 'MUNICIPAL',
        instrument: 'SUBSIDY',
        programme: '测试资金',
        amount: '1000.00',
        year: 2025,
        awardedOn: '2025-03-01',
      },
    });
    expect(award.data?.recordFundingAward.__typename).toBe('RecordFundingAwardSuccess');
    await advance(hub, projects[0]!.globalId, 'SIGNED');
    for (const s of [ws, sse]) {
      const [, second] = await s.recorder.waitForResults(2);
      expect(second!.data?.projects.edges.map((e) => e.node.code)).toEqual(['LQ-001']);
    }
    // The award re-executed nothing: one execution, for the stage change.
    expect((await liveMetrics(hub)).executions).toBe(before.executions + 1);
    expect(ws.recorder.results).toHaveLength(2);
    expect(sse.recorder.results).toHaveLength(2);
  });

  it('should not re-execute a live query of one project when another project changes', async () => {
    const NODE = 'query($id: ID!) @live { node(id: $id) { ... on Project { code stage } } }';
    const one = keep(await subscribeWs(hub.url, NODE, { id: projects[1]!.globalId }));
    await one.recorder.waitForResults(1);
    await advance(hub, projects[2]!.globalId, 'SIGNED');
    await advance(hub, projects[1]!.globalId, 'SIGNED');
    const [, second] = await one.recorder.waitForResults(2);
    expect(second!.data?.node).toEqual({ code: 'LQ-002', stage: 'SIGNED' });
    // Re-executed, it would have sent an answer again (the store does not compare answers).
    await one.dispose();
    expect(one.recorder.results).toHaveLength(2);
  });

  it('should execute 200 identical live queries once per change', async () => {
    // A hub of its own: the counters then count this test's live queries alone.
    const hub = await startTestHub({ seed: false });
    leftovers.push(() => hub.close());
    const [project] = await createTestProjects(hub.db.prisma, 1, {
      prefix: 'LQ200',
      stage: 'NEGOTIATING',
    });
    const query = `query @live { node(id: "${project!.globalId}") { id ... on Project { stage } } }`;
    // Four sockets of 50 operations, the most one socket may hold by default.
    const sockets = await Promise.all([0, 1, 2, 3].map(() => openRawWs(hub.url)));
    leftovers.push(async () => {
      for (const s of sockets) s.close();
    });
    const clients = Array.from({ length: 200 }, (_, i) => ({
      socket: sockets[i % 4]!,
      id: `c${i}`,
    }));
    const before = await liveMetrics(hub);
    for (const { socket, id } of clients) socket.subscribe(id, query);
    for (const { socket, id } of clients)
      expect((await socket.next<NodeStage>((m) => m.id === id)).payload.data?.node.stage).toBe(
        'NEGOTIATING',
      );
    const opened = await liveMetrics(hub);
    expect(opened.open).toBe(before.open + 1);
    expect(opened.executions).toBe(before.executions + 1);
    await advance(hub, project!.globalId, 'SIGNED');
    for (const { socket, id } of clients)
      expect((await socket.next<NodeStage>((m) => m.id === id)).payload.data?.node.stage).toBe(
        'SIGNED',
      );
    expect((await liveMetrics(hub)).executions).toBe(before.executions + 2);
    for (const socket of sockets) socket.close();
    await waitUntil(
      async () => (await liveMetrics(hub)).open === before.open,
      'the shared live query to close with its last client',
    );
  });

  it('should send JSON patches that turn the previous answer into the new one', async () => {
    const [project] = await createTestProjects(hub.db.prisma, 1, {
      prefix: 'LQP',
      stage: 'NEGOTIATING',
    });
    const query =
      'query($name: String) @live { projects(first: 10, filter: { nameContains: $name }) { totalCount edges { node { id code stage } } } }';
    const live = keep(
      await subscribeWs(
        hub.url,
        query,
        { name: 'LQP' },
        { extensions: { livePatch: 'json-patch' } },
      ),
    );
    const [first] = await live.recorder.waitForResults(1);
    expect((first as { revision?: number }).revision).toBe(1);
    await advance(hub, project!.globalId, 'SIGNED');
    const [, second] = await live.recorder.waitForResults(2);
    expect(second).toMatchObject({
      revision: 2,
      patch: [{ op: 'replace', path: '/projects/edges/0/node/stage', value: 'SIGNED' }],
    });
    expect(second!.data).toBeUndefined();
    // Applied as a client would, the patches give what a plain query answers now.
    async function* replay() {
      yield* live.recorder.results as never[];
    }
    const applied: unknown[] = [];
    for await (const r of applyLiveQueryJSONPatch(replay()))
      applied.push((r as { data: unknown }).data);
    const now = await hub.gql(query.replace(' @live', ''), { name: 'LQP' });
    expect(applied.at(-1)).toEqual(now.data);
    expect(applied[0]).not.toEqual(now.data);
  });

  it('should coalesce a burst into one update per throttle interval, the last one current', async () => {
    const made = await createTestProjects(hub.db.prisma, 4, {
      prefix: 'LQT',
      stage: 'NEGOTIATING',
    });
    const query =
      'query @live(throttle: 4000) { projects(first: 10, filter: { nameContains: "LQT", stage: [SIGNED] }) { totalCount } }';
    const live = keep(await subscribeWs<{ projects: { totalCount: number } }>(hub.url, query));
    await live.recorder.waitForResults(1);
    for (const p of made) await advance(hub, p.globalId, 'SIGNED');
    const [, second] = await live.recorder.waitForResults(2);
    expect(second!.data?.projects.totalCount).toBe(4);
    expect(live.recorder.results).toHaveLength(2);

    const refused = await hub.gql('query @live(throttle: 1) { parks { id } }');
    expect(refused.errors?.[0]?.message).toMatch(/throttle/);
  });

  it('should apply the same roles and limits as a plain query', async () => {
    // Only its configuration differs: it shares the suite's database.
    const closed = await startTestHub({
      db: hub.db,
      env: { HUB_ANONYMOUS_ROLE: 'none', HUB_MAX_ALIASES: '2', HUB_MAX_COMPLEXITY: '20' },
    });
    leftovers.push(() => closed.close());
    const anonymous = await fetch(closed.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'query @live { parks { id } }' }),
    });
    expect(await anonymous.text()).toMatch(/UNAUTHENTICATED/);
    const ws = await openRawWs(closed.url, {});
    ws.subscribe('anon', 'query @live { parks { id } }');
    expect(JSON.stringify((await ws.next((m) => m.id === 'anon')).payload)).toMatch(
      /UNAUTHENTICATED/,
    );
    ws.close();
    const signedIn = await openRawWs(closed.url, { authorization: bearer('viewer') });
    signedIn.subscribe(
      'aliases',
      'query @live { a: parks { id } b: parks { id } c: parks { id } }',
    );
    expect(
      (await signedIn.next<WsErrors>((m) => m.id === 'aliases')).payload[0]?.extensions?.code,
    ).toBe('TOO_MANY_ALIASES');
    signedIn.subscribe(
      'cost',
      'query @live { projects(first: 100) { edges { node { id name stage park { id name } } } } }',
    );
    expect(JSON.stringify((await signedIn.next((m) => m.id === 'cost')).payload)).toMatch(
      /QUERY_TOO_COMPLEX/,
    );
    signedIn.close();
  });
});

describe('live queries in trusted-documents mode', () => {
  it('should accept a saved live operation and refuse any other', async () => {
    const hub = await startTestHub({ env: { HUB_TRUSTED_DOCUMENTS: 'true' } });
    leftovers.push(() => hub.close());
    const ws = await openRawWs(hub.url);
    // graphql-ws sends saved operations by their text (ids are an HTTP extension).
    ws.subscribe(
      'saved',
      readFileSync(path.join(operationsDir, '55-live-project-list.graphql'), 'utf8'),
      { filter: {} },
    );
    const saved = await ws.next<GraphQLResponse<{ projects: { totalCount: number } }>>(
      (m) => m.id === 'saved',
    );
    expect(saved.type, JSON.stringify(saved.payload)).toBe('next');
    expect(saved.payload.data?.projects.totalCount).toBeGreaterThan(0);
    ws.subscribe('other', 'query @live { parks { id } }');
    expect(JSON.stringify((await ws.next((m) => m.id === 'other')).payload)).toMatch(
      /PERSISTED_QUERY_ONLY/,
    );
    ws.close();
  });
});

const reason = redisSkipReason(true);
(reason ? describe.skip : describe)(
  'live queries on two servers sharing PostgreSQL and Redis',
  () => {
    const namespace = redisNamespace();
    let busA: HubPubSub;
    let busB: HubPubSub;
    let a: TestHub;
    let b: TestHub;
    let projects: TestProject[];
    beforeAll(async () => {
      const db = await openTestDatabase('postgres');
      leftovers.push(() => db.close());
      busA = testRedisBus(namespace, 'a');
      busB = testRedisBus(namespace, 'b');
      await Promise.all([busA.ready(), busB.ready()]);
      leftovers.push(
        () => busA.close(),
        () => busB.close(),
      );
      // The feed's safety poll never fires within a test: what arrives came through Redis.
      a = await startTestHub({ db, pubsub: busA, app: { feedPollMs: 600_000 } });
      b = await startTestHub({ db, pubsub: busB, app: { feedPollMs: 600_000 } });
      leftovers.push(
        () => a.close(),
        () => b.close(),
      );
      projects = await createTestProjects(db.prisma, 2, { prefix: 'LQR', stage: 'NEGOTIATING' });
    });

    it('should update a live list on server B after a change made on server A, over graphql-ws and SSE', async () => {
      const ws = keep(await subscribeWs<SignedList>(b.url, SIGNED_LIST, { name: 'LQR' }));
      const sse = keep(await subscribeSse<SignedList>(b.url, SIGNED_LIST, { name: 'LQR' }));
      for (const s of [ws, sse]) await s.recorder.waitForResults(1);
      await advance(a, projects[0]!.globalId, 'SIGNED');
      for (const s of [ws, sse]) {
        const [, second] = await s.recorder.waitForResults(2);
        expect(second!.data?.projects.edges.map((e) => e.node.code)).toEqual(['LQR-001']);
      }
    });

    it('should end live queries with EVENT_BUS_LOST when the bus is lost, and answer a client that asks again currently', async () => {
      const live = keep(await subscribeWs<SignedList>(b.url, SIGNED_LIST, { name: 'LQR-002' }));
      await live.recorder.waitForResults(1);
      await killSubscribeConnection(namespace, 'b');
      const end = await live.recorder.ended;
      expect(end.kind).toBe('complete');
      expect(JSON.stringify(live.recorder.results.at(-1))).toMatch(/EVENT_BUS_LOST/);
      await busB.ready();
      // A change made while B was deaf: a client that asks again sees it.
      await advance(a, projects[1]!.globalId, 'SIGNED');
      let again: TestSubscription<SignedList> | undefined;
      await waitUntil(async () => {
        again = keep(await subscribeWs<SignedList>(b.url, SIGNED_LIST, { name: 'LQR-002' }));
        const [first] = await again.recorder.waitForResults(1);
        if (first!.errors) return false;
        return first!.data?.projects.totalCount === 1;
      }, 'a current answer after the bus is back');
      expect(again!.recorder.results[0]!.data!.projects.edges[0]!.node.code).toBe('LQR-002');
    });
  },
);
