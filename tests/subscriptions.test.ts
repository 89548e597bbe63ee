import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { logHead } from '../src/services/stage-log.ts';
import { bearer } from './helpers/auth.ts';
import { describeEachEngine } from './helpers/db.ts';
import {
  createTestPark,
  createTestProjects,
  sequencesAfter,
  type TestProject,
} from './helpers/fixtures.ts';
import { useLeftovers } from './helpers/leftovers.ts';
import { advance, STAGE_CHANGED, type StageEventData } from './helpers/operations.ts';
import { startTestHub, type TestHub } from './helpers/server.ts';
import { subscribeSse } from './helpers/sse-client.ts';
import { type TestSubscription, waitUntil } from './helpers/subscription.ts';
import { openRawWs, subscribeWs, wsUrl } from './helpers/ws-client.ts';

function sequencesOf(sub: TestSubscription<StageEventData>): string[] {
  return sub.recorder.data().map((d) => d.projectStageChanged.sequence);
}

function expectIncreasing(sequences: string[]): void {
  for (let i = 1; i < sequences.length; i++) {
    expect(
      BigInt(sequences[i]!) > BigInt(sequences[i - 1]!),
      `sequence ${sequences[i]} after ${sequences[i - 1]}`,
    ).toBe(true);
  }
}

describeEachEngine('projectStageChanged', (engine) => {
  let hub: TestHub;
  const leftovers = useLeftovers();
  let counter = 0;
  /** Fresh projects for one test, so tests do not see each other's events. */
  const projects = (n: number, opts: Parameters<typeof createTestProjects>[2] = {}) =>
    createTestProjects(hub.db.prisma, n, { prefix: `S${++counter}`, ...opts });
  const listeners = () => hub.app.stageTail.size;

  beforeAll(async () => {
    hub = await startTestHub({ engine, seed: false });
  });
  afterEach(async () => {
    await leftovers.flush();
    await waitUntil(() => listeners() === 0, 'every feed to close');
  });
  afterAll(async () => {
    await hub?.close();
  });

  const ws = async (variables: Record<string, unknown> = {}, label?: string) => {
    const before = listeners();
    const sub = await subscribeWs<StageEventData>(hub.url, STAGE_CHANGED, variables, { label });
    leftovers.push(sub);
    // The socket is acknowledged before the server has run `subscribe`; wait for the feed.
    await waitUntil(() => listeners() > before, 'the graphql-ws subscription to start');
    return sub;
  };
  const sse = async (variables: Record<string, unknown> = {}, label?: string) => {
    const sub = await subscribeSse<StageEventData>(hub.url, STAGE_CHANGED, variables, { label });
    leftovers.push(sub);
    return sub;
  };

  it('should deliver a stage change over graphql-ws', async () => {
    const [p] = await projects(1);
    const sub = await ws();
    const sequence = await advance(hub, p!.globalId, 'SIGNED');
    await sub.recorder.waitForResults(1);
    expect(sub.recorder.data()[0]!.projectStageChanged).toMatchObject({
      sequence,
      kind: 'ADVANCE',
      fromStage: 'PLANNED',
      toStage: 'SIGNED',
      project: { id: p!.globalId, code: p!.code, stage: 'SIGNED' },
    });
  });

  it('should deliver a stage change over SSE', async () => {
    const [p] = await projects(1);
    const sub = await sse();
    const sequence = await advance(hub, p!.globalId, 'SUSPENDED');
    await sub.recorder.waitForResults(1);
    expect(sub.recorder.data()[0]!.projectStageChanged).toMatchObject({
      sequence,
      kind: 'SUSPEND',
      toStage: 'SUSPENDED',
    });
  });

  it('should deliver the INITIAL event of a project created by createProject', async () => {
    const sub = await sse();
    const res = await hub.gql<{ createProject: { __typename: string } }>(
      `mutation { createProject(input: { code: "LIVE-NEW", name: "直播新项目" }) { __typename } }`,
    );
    expect(res.data?.createProject.__typename).toBe('CreateProjectSuccess');
    await sub.recorder.waitForResults(1);
    expect(sub.recorder.data()[0]!.projectStageChanged).toMatchObject({
      kind: 'INITIAL',
      fromStage: null,
      toStage: 'PLANNED',
      project: { code: 'LIVE-NEW' },
    });
  });

  it('should deliver only events matching the filter: stage into or out of, park', async () => {
    const park = await createTestPark(hub.db.prisma, `park-${engine}`);
    const [inPark] = await projects(1, { parkId: park.id });
    const [elsewhere] = await projects(1);
    const byStage = await ws({ filter: { stage: ['SUSPENDED'] } }, 'by stage');
    const byPark = await sse({ filter: { parkId: park.globalId } }, 'by park');
    const all = await sse({}, 'all');
    const s1 = await advance(hub, elsewhere!.globalId, 'SIGNED'); // neither
    const s2 = await advance(hub, inPark!.globalId, 'SIGNED'); // park
    const s3 = await advance(hub, elsewhere!.globalId, 'SUSPENDED'); // stage (into)
    const s4 = await advance(hub, elsewhere!.globalId, 'SIGNED'); // stage (out of)
    const s5 = await advance(hub, inPark!.globalId, 'LANDED'); // park
    await all.recorder.waitForResults(5);
    await byStage.recorder.waitForResults(2);
    await byPark.recorder.waitForResults(2);
    expect(sequencesOf(all)).toEqual([s1, s2, s3, s4, s5]);
    expect(sequencesOf(byStage)).toEqual([s3, s4]);
    expect(sequencesOf(byPark)).toEqual([s2, s5]);
  });

  it('should replay the log after `after`, then go live, without gap or duplicate', async () => {
    const [a, b] = await projects(2);
    const from = (await logHead(hub.db.prisma)).toString();
    const early = [
      await advance(hub, a!.globalId, 'SIGNED'),
      await advance(hub, b!.globalId, 'LANDED'),
    ];
    const sub = await ws({ after: from });
    await sub.recorder.waitForResults(2);
    const late = [
      await advance(hub, a!.globalId, 'SUSPENDED'),
      await advance(hub, a!.globalId, 'SIGNED'),
    ];
    await sub.recorder.waitForResults(4);
    expect(sequencesOf(sub)).toEqual([...early, ...late]);
  });

  it('should refuse an `after` past the end of the log', async () => {
    const head = await logHead(hub.db.prisma);
    const sub = await subscribeSse(hub.url, STAGE_CHANGED, { after: (head + 1000n).toString() });
    leftovers.push(sub);
    await sub.recorder.waitForResults(1);
    expect(sub.recorder.results[0]!.errors?.[0]?.message).toMatch(/past the end/);
    const bad = await subscribeSse(hub.url, STAGE_CHANGED, { after: 'yesterday' });
    leftovers.push(bad);
    await bad.recorder.waitForResults(1);
    expect(bad.recorder.results[0]!.errors?.[0]?.message).toMatch(/sequence/);
  });

  it('should deliver 200 changes from four concurrent writers exactly once, in order, across a disconnect and resume', async () => {
    const owned = await projects(20);
    const head0 = await logHead(hub.db.prisma);
    const steady = await sse({ after: head0.toString() }, 'steady SSE');
    const first = await ws({ after: head0.toString() }, 'first graphql-ws');

    let made = 0;
    // Each writer owns five projects: ADVANCE, SUSPEND, RESUME, CORRECTION, round and round.
    const cycle: [string, string | undefined][] = [
      ['NEGOTIATING', undefined],
      ['SUSPENDED', undefined],
      ['NEGOTIATING', undefined],
      ['PLANNED', 'back to the reserve list'],
    ];
    const writer = async (w: number) => {
      const mine: TestProject[] = owned.slice(w * 5, w * 5 + 5);
      for (let i = 0; i < 50; i++) {
        const [toStage, note] = cycle[Math.floor(i / 5) % 4]!;
        await advance(hub, mine[i % 5]!.globalId, toStage, note);
        made += 1;
      }
    };
    const writers = Promise.all([0, 1, 2, 3].map(writer));
    writers.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled

    // Disconnect midway, while the writers keep going.
    await first.recorder.waitForResults(40);
    await first.dispose();
    const firstPart = sequencesOf(first);
    await waitUntil(() => made >= 120, 'the writers to make 120 changes');
    const resumed = await ws({ after: firstPart.at(-1) }, 'resumed graphql-ws');

    await writers;
    const log = await sequencesAfter(hub.db.prisma, head0);
    expect(log).toHaveLength(200);
    await resumed.recorder.waitForResults(200 - firstPart.length);
    await steady.recorder.waitForResults(200);

    const received = [...firstPart, ...sequencesOf(resumed)];
    expectIncreasing(received);
    expect(received).toEqual(log);
    expect(sequencesOf(steady)).toEqual(log);
    const kinds = new Set(steady.recorder.data().map((d) => d.projectStageChanged.kind));
    expect([...kinds].sort()).toEqual(['ADVANCE', 'CORRECTION', 'RESUME', 'SUSPEND']);
  }, 240_000);

  it('should send keep-alives: SSE comment lines and WebSocket pings', async () => {
    // Yoga pings SSE every 12 s, every 300 ms under NODE_ENV=test (vitest sets it).
    const stream = await sse();
    // A hub of its own, its period from the environment as an operator sets it: a short
    // WebSocket keep-alive would cut busy test sockets elsewhere.
    const pinging = await startTestHub({ db: hub.db, env: { HUB_KEEP_ALIVE_MS: '1000' } });
    // Acknowledged, so graphql-ws does not close it after its 3 s wait for connection_init.
    const socket = await openRawWs(pinging.url);
    try {
      // Both at once: the pings come on their own clocks.
      await Promise.all([
        waitUntil(() => stream.pings >= 3, 'three SSE keep-alive comments'),
        // Turns a second apart: pinged at its second and third (10 s: room for a loaded machine,
        // not for the default period, which would mean the setting was not read).
        waitUntil(() => socket.pings >= 2, 'two WebSocket pings', 10_000),
      ]);
    } finally {
      socket.close();
      await pinging.close();
    }
  });

  it('should cut a WebSocket that stops answering pings, and not ping one that pings', async () => {
    const keepAliveMs = 600;
    const pinging = await startTestHub({ db: hub.db, app: { keepAliveMs } });
    const open = async (options: WebSocket.ClientOptions = {}) => {
      const socket = new WebSocket(wsUrl(pinging.url), 'graphql-transport-ws', options);
      const seen = { pings: 0, pongs: 0, closedAt: 0 };
      socket.on('ping', () => (seen.pings += 1));
      socket.on('message', (data) => {
        if (JSON.parse(String(data)).type === 'pong') seen.pongs += 1;
      });
      socket.on('close', () => (seen.closedAt = Date.now()));
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      // Acknowledged: graphql-ws keeps the socket past its wait for connection_init.
      socket.send(
        JSON.stringify({ type: 'connection_init', payload: { authorization: bearer('admin') } }),
      );
      await new Promise((resolve) => socket.once('message', resolve));
      return { socket, seen };
    };
    // A display whose link died: pings reach it, nothing comes back.
    const dead = await open({ autoPong: false });
    // A display that answers pings, and one that pings every 200 ms (the wall pings itself).
    const quiet = await open();
    const talking = await open();
    const talk = setInterval(() => talking.socket.send('{"type":"ping"}'), 200);
    try {
      const from = Date.now();
      await waitUntil(() => dead.seen.closedAt > 0, 'the silent socket to be cut', 10_000);
      // connection_init was heard: pinged at its second turn, cut at the third, each a round apart.
      expect(dead.seen.pings).toBe(1);
      expect(dead.seen.closedAt - from).toBeLessThan(4 * keepAliveMs);
      // Three more rounds: the others stay; the quiet one is pinged each round, the talking one never.
      await new Promise((resolve) => setTimeout(resolve, 3 * keepAliveMs));
      expect(quiet.seen.closedAt).toBe(0);
      expect(quiet.seen.pings).toBeGreaterThanOrEqual(3);
      expect(talking.seen.closedAt).toBe(0);
      expect(talking.seen.pongs).toBeGreaterThan(10);
      expect(talking.seen.pings).toBe(0);
    } finally {
      clearInterval(talk);
      for (const s of [dead, quiet, talking]) s.socket.terminate();
      await pinging.close();
    }
  });

  it('should close the feed when the client unsubscribes or disconnects', async () => {
    const a = await ws();
    const b = await sse();
    expect(listeners()).toBe(2);
    await a.dispose();
    await b.dispose();
    await waitUntil(() => listeners() === 0, 'both feeds to close');
  });
});
