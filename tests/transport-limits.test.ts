/**
 * The same limits on every transport, and every refusal a clear error or a 4xx: request bodies
 * counted as read (chunked too) and WebSocket messages held to the same limit; JSON nested too
 * deep; introspection and field suggestions off over HTTP, SSE and graphql-ws; rate limits per
 * client address (X-Forwarded-For only from trusted proxies) and shared by servers through
 * Redis; kept answers never confirmed (304) to a caller who may not read them; a limit hit over
 * graphql-ws failing that operation only, and a cap on operations per socket; a database outage
 * answered 503 DATABASE_UNAVAILABLE with Retry-After.
 */
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { openDatabase } from '../src/db/index.ts';
import { createLogger } from '../src/logger.ts';
import { clientAddressResolver } from '../src/security.ts';
import { heldForSending } from '../src/server/graphql-ws.ts';
import { type HeldReport, OpenStreams } from '../src/server/streams.ts';
import { bearer } from './helpers/auth.ts';
import { createPostgresDatabase, postgresTestUrl } from './helpers/db.ts';
import { createTestProjects } from './helpers/fixtures.ts';
import { useLeftovers } from './helpers/leftovers.ts';
import {
  ADVANCE,
  type AdvanceData,
  STAGE_CHANGED,
  type StageEventData,
} from './helpers/operations.ts';
import { redisNamespace, redisSkipReason, testRedisBus } from './helpers/redis.ts';
import { type GraphQLResponse, hubsOnSharedDatabase, type TestHub } from './helpers/server.ts';
import { subscribeSse } from './helpers/sse-client.ts';
import { waitUntil } from './helpers/subscription.ts';
import { startTcpProxy } from './helpers/tcp-proxy.ts';
import {
  openRawWs,
  type RawWs,
  subscribeWs,
  type WsErrors,
  type WsMessage,
} from './helpers/ws-client.ts';

const leftovers = useLeftovers();
/** A hub with `env` (and `opts`) on the suite's one seeded database. */
const hubWith = hubsOnSharedDatabase(leftovers);

const READ = '{ projects(first: 1) { totalCount } }';
interface ReadData {
  projects: { totalCount: number };
}
const json = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };
const codeOf = (body: { errors?: { extensions?: Record<string, unknown> }[] }) =>
  body.errors?.[0]?.extensions?.code;
/** JSON text of `depth` arrays nested in one another (JSON.stringify itself would overflow the stack). */
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
/**
 * One raw HTTP/1.1 POST on its own socket: resolves with the head of the first answer (status
 * line and headers). With `hangUp`, the socket is destroyed right after sending, and it resolves
 * with '' once closed.
 */
function rawPost(url: string, head: string, body: string, opts: { hangUp?: boolean } = {}) {
  const { host, hostname, port, pathname } = new URL(url);
  return new Promise<string>((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(`POST ${pathname} HTTP/1.1\r\nHost: ${host}\r\n${head}\r\n${body}`);
      if (opts.hangUp) setTimeout(() => socket.destroy(), 50);
    });
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk;
      if (text.includes('\r\n\r\n')) {
        resolve(text.slice(0, text.indexOf('\r\n\r\n') + 2));
        socket.destroy();
      }
    });
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}
const isFor = (id: string) => (m: WsMessage) =>
  m.id === id && ['next', 'error', 'complete'].includes(m.type);

describe('request size', () => {
  it('should refuse a chunked body past the limit with 413 however it is sent, and accept one under it', async () => {
    const hub = await hubWith({ HUB_MAX_BODY_BYTES: '20000' });
    // A stream body has no Content-Length: fetch sends it chunked, so only counting the bytes read can refuse it.
    const chunked = (text: string) =>
      fetch(hub.url, {
        method: 'POST',
        headers: { ...json, authorization: bearer('viewer') },
        body: new Blob([text]).stream(),
        duplex: 'half',
      } as RequestInit);
    const big = await chunked(
      JSON.stringify({ query: READ, variables: { pad: 'x'.repeat(200_000) } }),
    );
    expect(big.status).toBe(413);
    expect(big.headers.get('content-length')).not.toBeNull();
    const small = await chunked(
      JSON.stringify({ query: READ, variables: { pad: 'x'.repeat(1_000) } }),
    );
    expect(small.status).toBe(200);
    expect(((await small.json()) as { data: unknown }).data).toBeTruthy();
  });

  it('should refuse a declared Content-Length past the limit with 413 before the body arrives, and a malformed or doubled length with 400', async () => {
    const hub = await hubWith({ HUB_MAX_BODY_BYTES: '20000' });
    const headers = `Content-Type: application/json\r\nAuthorization: ${bearer('editor')}\r\n`;
    // A mutation that would change something: refused before any of its body is read.
    const [project] = await createTestProjects(hub.db.prisma, 1, { prefix: 'CL' });
    const mutation = JSON.stringify({
      query: ADVANCE,
      variables: {
        input: { projectId: project!.globalId, toStage: 'SIGNED' },
        pad: 'x'.repeat(30_000),
      },
    });
    const events = () =>
      hub.db.prisma.projectStageEvent.count({ where: { projectId: project!.id } });
    const before = await events();
    const declared = `${headers}Content-Length: ${Buffer.byteLength(mutation)}\r\n`;
    // Only the headers and a first slice are sent: the answer comes without waiting for the
    // rest, and closes the connection rather than read the rest.
    const refused = await rawPost(hub.url, declared, mutation.slice(0, 100));
    expect(refused).toMatch(/^HTTP\/1\.1 413 /);
    expect(refused).toMatch(/\r\nconnection: close\r\n/i);
    expect(await events()).toBe(before);
    // What a client sends through fetch: the same 413, as JSON.
    const big = await fetch(hub.url, {
      method: 'POST',
      headers: { ...json, authorization: bearer('viewer') },
      body: JSON.stringify({ query: READ, variables: { pad: 'x'.repeat(30_000) } }),
    });
    expect(big.status).toBe(413);
    expect(codeOf(await big.json())).toBe('REQUEST_ENTITY_TOO_LARGE');
    // The declared length is the whole body only because Node's parser holds it to that: a
    // length that is not one number, or one beside chunked encoding, never reaches the hub.
    const small = JSON.stringify({ query: READ });
    const chunks = `${small.length.toString(16)}\r\n${small}\r\n0\r\n\r\n`;
    expect(await rawPost(hub.url, `${headers}Content-Length: ${small.length}x\r\n`, small)).toMatch(
      /^HTTP\/1\.1 400 /,
    );
    expect(
      await rawPost(
        hub.url,
        `${headers}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n`,
        chunks,
      ),
    ).toMatch(/^HTTP\/1\.1 400 /);
    expect(await rawPost(hub.url, `${headers}Content-Length: ${small.length}\r\n`, small)).toMatch(
      /^HTTP\/1\.1 200 /,
    );
    // A parser lenient enough to let both through frames the body as chunked: then a small
    // declared length does not spare a large body from being counted.
    const lenient = await hub.app.yoga.fetch(
      new Request(hub.url, {
        method: 'POST',
        headers: {
          ...json,
          authorization: bearer('viewer'),
          'content-length': '20',
          'transfer-encoding': 'chunked',
        },
        body: JSON.stringify({ query: READ, variables: { pad: 'x'.repeat(30_000) } }),
      }),
    );
    expect(lenient.status).toBe(413);
  });

  it('should answer a chunked body cut off midway with a 400 for that request, logging no error of its own', async () => {
    const lines: { level: number; msg?: string }[] = [];
    const logger = createLogger('info', {
      write: (line: string) => void lines.push(JSON.parse(line) as { level: number }),
    });
    const hub = await hubWith({ HUB_MAX_BODY_BYTES: '20000' }, { logger });
    const head = `Content-Type: application/json\r\nAuthorization: ${bearer('viewer')}\r\nTransfer-Encoding: chunked\r\n`;
    const part = `{"query":"{ __typename }","variables":{"pad":"${'x'.repeat(8_000)}`;
    // The client goes away in the middle of a chunk; then one sends a chunk size that is not hex.
    await rawPost(hub.url, head, `${(part.length + 100).toString(16)}\r\n${part}`, {
      hangUp: true,
    });
    const broken = await rawPost(hub.url, head, `${part.length.toString(16)}\r\n${part}\r\nzz\r\n`);
    expect(broken).toMatch(/^HTTP\/1\.1 400 /);
    // A whole chunked body under the limit is answered.
    const whole = JSON.stringify({ query: READ });
    expect(
      await rawPost(hub.url, head, `${whole.length.toString(16)}\r\n${whole}\r\n0\r\n\r\n`),
    ).toMatch(/^HTTP\/1\.1 200 /);
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
  });

  it('should close a graphql-ws socket with 1009 for a message past the body limit, and run one under it', async () => {
    const hub = await hubWith({ HUB_MAX_BODY_BYTES: '20000' });
    const ok = await openRawWs(hub.url);
    ok.sendRaw(
      JSON.stringify({
        id: '1',
        type: 'subscribe',
        payload: { query: READ, variables: { pad: 'x'.repeat(1_000) } },
      }),
    );
    expect((await ok.next(isFor('1'))).type).toBe('next');
    ok.close();
    const big = await openRawWs(hub.url);
    big.sendRaw(
      JSON.stringify({
        id: '1',
        type: 'subscribe',
        payload: { query: READ, variables: { pad: 'x'.repeat(200_000) } },
      }),
    );
    expect(await big.closed).toBe(1009);
  });

  it('should refuse variables or extensions nested too deep with 400 over HTTP and an error for the operation over graphql-ws', async () => {
    const hub = await hubWith();
    const query =
      'query($s: [ProjectStage!]) { projects(first: 1, filter: { stage: $s }) { totalCount } }';
    const q = JSON.stringify(query);
    for (const body of [
      `{"query":${q},"variables":{"s":${nested(10_000)}}}`,
      `{"query":${q},"variables":{"s":null,"other":{"a":${nested(100)}}}}`,
      `{"query":${q},"extensions":{"deep":${nested(10_000)}}}`,
    ]) {
      const res = await fetch(hub.url, {
        method: 'POST',
        headers: { ...json, authorization: bearer('viewer') },
        body,
      });
      expect(res.status).toBe(400);
      expect(codeOf(await res.json())).toBe('BAD_REQUEST');
    }
    const get = await fetch(
      `${hub.url}?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(`{"s":${nested(1_000)}}`)}`,
      {
        headers: { 'x-graphql-yoga-csrf': '1', authorization: bearer('viewer') },
      },
    );
    expect(get.status).toBe(400);
    // Nested as deep as a real input may be: answered.
    const fine = await fetch(hub.url, {
      method: 'POST',
      headers: { ...json, authorization: bearer('viewer') },
      body: JSON.stringify({ query, variables: { s: ['SIGNED'] } }),
    });
    expect(fine.status).toBe(200);

    const ws = await openRawWs(hub.url);
    ws.sendRaw(
      `{"id":"deep","type":"subscribe","payload":{"query":${q},"variables":{"s":${nested(10_000)}}}}`,
    );
    const refused = await ws.next<WsErrors>(isFor('deep'));
    expect(refused.type).toBe('error');
    expect(refused.payload[0]?.extensions?.code).toBe('BAD_REQUEST');
    ws.subscribe('after', READ);
    expect((await ws.next(isFor('after'))).type).toBe('next');
    expect(ws.closeCode).toBeUndefined();
    ws.close();
  });
});

describe('documents nested too deep', () => {
  it('should refuse a document nested thousands of levels deep with 400, over HTTP and graphql-ws', async () => {
    const hub = await hubWith();
    for (const query of [
      `${'{a'.repeat(3_000)}${'}'.repeat(3_000)}`,
      `{ projects(filter: { stage: ${'['.repeat(3_000)}${']'.repeat(3_000)} }) { totalCount } }`,
    ]) {
      const res = await fetch(hub.url, {
        method: 'POST',
        headers: { ...json, authorization: bearer('viewer') },
        body: JSON.stringify({ query }),
      });
      expect(res.status).toBe(400);
      expect(codeOf(await res.json())).toBe('QUERY_TOO_COMPLEX');
    }
    const ws = await openRawWs(hub.url);
    ws.subscribe('deep', `${'{a'.repeat(3_000)}${'}'.repeat(3_000)}`);
    expect((await ws.next<WsErrors>(isFor('deep'))).payload[0]?.extensions?.code).toBe(
      'QUERY_TOO_COMPLEX',
    );
    ws.close();
  });
});

interface UnsentWarning {
  msg: string;
  clientAddress?: string;
  heldBytes: number;
  addressHeldBytes: number;
}
/** A logger that keeps the hub's warnings, and the first one about a socket cut for not reading. */
function unsentWarnings() {
  const warnings: UnsentWarning[] = [];
  const logger = createLogger('warn', {
    write: (line: string) => void warnings.push(JSON.parse(line) as UnsentWarning),
  });
  return { logger, cut: () => warnings.find((w) => /does not read/.test(w.msg)) };
}

/**
 * Asks for pongs on `sockets` in turn (paused: their replies are not read) until `cut()` tells
 * that the hub cut one, at most 32 MB a socket: several times what the loopback buffers of these
 * machines take. Fails if a socket closes before the hub has said why.
 */
async function askUnreadPongs(sockets: RawWs[], cut: () => UnsentWarning | undefined) {
  const ping = JSON.stringify({ type: 'ping', payload: { pad: 'x'.repeat(900) } });
  const closed = () => sockets.find((ws) => ws.closeCode !== undefined)?.closeCode;
  for (let sent = 0; sent < 32 * 2 ** 20 && !cut() && closed() === undefined; ) {
    for (const ws of sockets) for (let i = 0; i < 25; i++) ws.sendRaw(ping);
    sent += 25 * ping.length;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await waitUntil(
    () => {
      if (!cut() && closed() !== undefined)
        throw new Error(`closed with ${closed()} before the hub's warning`);
      return cut() !== undefined;
    },
    'the hub to close a socket that does not read',
    10_000,
  );
}

describe('what a client address holds for sending (OpenStreams)', () => {
  /**
   * OpenStreams with a budget of 256 kB (holders under 1 kB are not counted), and holders whose
   * bytes held are set by a test: `report` as a write does, `drain` without one.
   */
  const streamsWithCuts = () => {
    const streams = new OpenStreams(10, 256 * 1024);
    const cuts: { name: string; report: HeldReport }[] = [];
    const now = new Map<string, number>();
    const hold = (address: string, name: string) => {
      const holding = streams.hold(address, {
        measure: () => now.get(name) ?? 0,
        cut: (report) => cuts.push({ name, report }),
      });
      return {
        report(bytes: number) {
          now.set(name, bytes);
          holding.report(bytes);
        },
        drain: () => now.set(name, 0),
        release: () => holding.release(),
      };
    };
    return { streams, cuts, hold, cutNames: () => cuts.map((cut) => cut.name) };
  };

  it('should count the sockets of an address together, cut the one that holds the most, and cut refills while cut ones close', () => {
    const { cuts, hold, cutNames } = streamsWithCuts();
    const [a, b, c] = ['a', 'b', 'c'].map((name) => hold('10.0.0.1', name));
    const reader = hold('10.0.0.1', 'reader');
    const elsewhere = hold('10.0.0.2', 'elsewhere');
    a!.report(100 * 1024);
    b!.report(120 * 1024);
    elsewhere.report(200 * 1024);
    reader.report(1000);
    expect(cuts).toEqual([]);
    // 100 + 120 + 60 kB: past 256 kB. b holds the most; without it the others fit.
    c!.report(60 * 1024);
    expect(cutNames()).toEqual(['b']);
    expect(cuts[0]!.report).toEqual({
      clientAddress: '10.0.0.1',
      heldBytes: 120 * 1024,
      addressHeldBytes: 280 * 1024,
    });
    // Reports of a cut holder change nothing; a reader under 1 kB is never counted nor cut.
    b!.report(0);
    reader.report(1000);
    // b's bytes count until its socket is gone: a grows past the budget and is cut (160 + 300 kB).
    a!.report(300 * 1024);
    expect(cutNames()).toEqual(['b', 'a']);
    // c within the budget by itself, but with the two closing past twice the budget: cut.
    c!.report(100 * 1024);
    expect(cutNames()).toEqual(['b', 'a', 'c']);
    expect(cuts[2]!.report.addressHeldBytes).toBe(520 * 1024);
  });

  it('should measure again before cutting: a socket that drained since its last write is not cut', () => {
    const { hold, cutNames } = streamsWithCuts();
    const a = hold('10.0.0.1', 'a');
    const b = hold('10.0.0.1', 'b');
    a.report(200 * 1024);
    // Its client read everything; no write has reported it since.
    a.drain();
    b.report(100 * 1024);
    expect(cutNames()).toEqual([]);
    b.report(300 * 1024);
    expect(cutNames()).toEqual(['b']);
  });

  it('should give back slots and bytes on release, once, and forget the address with its last holder', () => {
    const { streams, hold, cutNames } = streamsWithCuts();
    const small = new OpenStreams(2, 256 * 1024);
    const first = small.hold('10.0.0.3');
    small.hold('10.0.0.3');
    expect(small.allows('10.0.0.3')).toBe(false);
    first.release();
    first.release();
    expect(small.allows('10.0.0.3')).toBe(true);

    // A cut holder, once released, no longer counts: another may then hold up to the budget.
    const keeper = hold('10.0.0.1', 'keeper');
    const a = hold('10.0.0.1', 'a');
    a.report(300 * 1024);
    expect(cutNames()).toEqual(['a']);
    a.release();
    a.report(300 * 1024);
    const b = hold('10.0.0.1', 'b');
    b.report(250 * 1024);
    expect(cutNames()).toEqual(['a']);
    b.report(300 * 1024);
    expect(cutNames()).toEqual(['a', 'b']);
    b.release();
    keeper.release();
    expect(streams.allows('10.0.0.1')).toBe(true);
  });
});

describe('graphql-ws connections', () => {
  it('should refuse a credential that is not a string as it refuses a wrong one (4403)', async () => {
    const hub = await hubWith();
    for (const authorization of [['Bearer x'], 42, { token: 'x' }]) {
      await expect(openRawWs(hub.url, { authorization })).rejects.toThrow(/closed \(4403\)/);
    }
  });

  it('should cap the streams and sockets one client address holds open, and answer a bad Host with 400', async () => {
    const hub = await hubWith({ HUB_MAX_STREAMS_PER_CLIENT: '2' });
    const first = await openRawWs(hub.url);
    const sse = await subscribeSse(hub.url, 'subscription { projectStageChanged { sequence } }');
    await expect(openRawWs(hub.url)).rejects.toThrow(/429/);
    const refused = await fetch(hub.url, {
      method: 'POST',
      headers: { ...json, accept: 'text/event-stream', authorization: bearer('viewer') },
      body: JSON.stringify({ query: 'subscription { projectStageChanged { sequence } }' }),
    });
    expect(refused.status).toBe(429);
    expect(codeOf(await refused.json())).toBe('TOO_MANY_STREAMS');
    // Plain requests are not streams.
    expect((await hub.gql<ReadData>(READ)).data?.projects.totalCount).toBeGreaterThan(0);
    first.close();
    await first.closed;
    await waitUntil(async () => {
      const again = await openRawWs(hub.url).catch(() => null);
      again?.close();
      return again !== null;
    }, 'a socket to be accepted once one closed');
    await sse.dispose();

    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(hub.url, { method: 'GET', headers: { host: 'a b' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(400);
  });

  it('should count what a socket holds for sending with the cost of each queued write, not its bytes alone', async () => {
    const server = new WebSocketServer({ port: 0 });
    await once(server, 'listening');
    const accepted = once(server, 'connection');
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    await once(client, 'open');
    const [socket] = (await accepted) as [WebSocket];
    (client as unknown as { _socket: Socket })._socket.pause();
    // 17-byte messages, as pongs are, until the kernel's buffers are full and ws queues them.
    for (let sent = 0; socket.bufferedAmount < 100_000 && sent < 2_000_000; sent += 10_000)
      for (let i = 0; i < 10_000; i++) socket.send('{"type":"pong"}');
    expect(socket.bufferedAmount).toBeGreaterThanOrEqual(100_000);
    // Each queued write holds far more memory than its 17 bytes (Node's record of it, ws's header).
    expect(heldForSending(socket)).toBeGreaterThan(10 * socket.bufferedAmount);
    client.terminate();
    socket.terminate();
    server.close();
  });

  it('should close a socket whose client sends but does not read (1008)', async () => {
    const { logger, cut } = unsentWarnings();
    const hub = await hubWith({ HUB_MAX_HELD_BYTES_PER_CLIENT: '16384' }, { logger });
    const ws = await openRawWs(hub.url);
    // Stop reading, then ask for pongs until what the server cannot send passes the limit. The
    // kernel's buffers take megabytes first, and the client must not read again before the server
    // has decided (or it would catch up and be right to stay open): the hub's warning says when.
    ws.pauseReading();
    await askUnreadPongs([ws], cut);
    expect(cut()?.clientAddress).toBe('127.0.0.1');
    expect(cut()!.addressHeldBytes).toBeLessThan(16_384 + 64 * 1024);
    // The socket is closing: what it still sends is not run.
    ws.subscribe(
      'late',
      'mutation { createProject(input: { code: "CUT-1", name: "断开后", stage: PLANNED }) { __typename } }',
    );
    ws.resumeReading();
    const stillOpen = new Promise((resolve) => {
      setTimeout(resolve, 20_000, 'still open after 20 s').unref();
    });
    expect(await Promise.race([ws.closed, stillOpen])).toBe(1008);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await hub.db.prisma.project.count({ where: { code: 'CUT-1' } })).toBe(0);
  });

  it("should hold an address's sockets to one budget of replies not read, spare the one that reads, and free a cut socket's slot within seconds", async () => {
    const { logger, cut } = unsentWarnings();
    // graphql-ws's own binding wrote a console error for every reply still queued on a socket
    // that went: hundreds for these cut sockets.
    const consoleErrors = vi.spyOn(console, 'error');
    try {
      const budget = 2 ** 20;
      const hub = await hubWith(
        { HUB_MAX_HELD_BYTES_PER_CLIENT: String(budget), HUB_MAX_STREAMS_PER_CLIENT: '5' },
        { logger },
      );
      const flooding = await Promise.all([1, 2, 3, 4].map(() => openRawWs(hub.url)));
      const reading = await openRawWs(hub.url);
      for (const ws of flooding) ws.pauseReading();
      await askUnreadPongs(flooding, cut);
      const warning = cut()!;
      expect(warning.addressHeldBytes).toBeGreaterThan(budget);
      // Cut as the pong that took it past was queued, not at the 5 s sweep.
      expect(warning.addressHeldBytes).toBeLessThan(budget + 64 * 1024);
      // The socket cut held less than the budget by itself: its address's sockets count together.
      expect(warning.heldBytes).toBeLessThan(budget);
      // A socket of the same address that reads is not held to its neighbours' backlog.
      reading.sendRaw(JSON.stringify({ type: 'ping' }));
      expect((await reading.next((m) => m.type === 'pong')).type).toBe('pong');
      expect(reading.closeCode).toBeUndefined();
      // The address holds all five slots: a sixth is refused until a cut socket is let go. Its
      // client reads no close frame either: that is ws's close timeout (5 s here, 30 s by default).
      await expect(openRawWs(hub.url)).rejects.toThrow(/429/);
      await waitUntil(
        async () => {
          const again = await openRawWs(hub.url).catch(() => null);
          again?.close();
          return again !== null;
        },
        'a slot to be given back by a cut socket',
        15_000,
      );
      expect(consoleErrors).not.toHaveBeenCalled();
      reading.close();
      for (const ws of flooding) ws.resumeReading();
    } finally {
      consoleErrors.mockRestore();
    }
  });
});

describe('introspection switched off', () => {
  it('should refuse introspection and hide field suggestions over HTTP, SSE and graphql-ws', async () => {
    const hub = await hubWith({ HUB_INTROSPECTION: 'false' });
    const introspect = '{ __schema { queryType { name } } }';
    const http = await hub.gql(introspect, undefined, { authorization: '' });
    expect(http.errors?.[0]?.message).toMatch(/introspection/i);

    const sse = await subscribeSse(
      hub.url,
      'subscription { __typename projectStageChanged { __type(name: "Project") { name } } }',
      {},
      { headers: { authorization: '' } },
    );
    await sse.recorder.ended;
    expect(JSON.stringify(sse.recorder.results)).toMatch(/Cannot query field|introspection/i);
    expect(JSON.stringify(sse.recorder.results)).not.toMatch(/"name":"Project"/);

    const ws = await openRawWs(hub.url, {});
    ws.subscribe('schema', introspect);
    const refused = await ws.next(isFor('schema'));
    expect(refused.type).toBe('error');
    expect(JSON.stringify(refused.payload)).toMatch(/introspection/i);
    ws.subscribe('type', '{ __type(name: "Project") { fields { name } } }');
    expect((await ws.next(isFor('type'))).type).toBe('error');

    // A misspelt field, argument and enum value: the errors say what is wrong, never what exists.
    const misspelt = [
      ['{ projectz { totalCount } }', undefined],
      ['{ projects(firs: 1) { totalCount } }', undefined],
      [
        'query($s: [ProjectStage!]) { projects(filter: { stage: $s }) { totalCount } }',
        { s: ['SIGNDE'] },
      ],
      [
        'query($f: ProjectFilter) { projects(filter: $f) { totalCount } }',
        { f: { stages: ['SIGNED'] } },
      ],
    ] as const;
    for (const [query, variables] of misspelt) {
      const res = await hub.gql(query, variables as Record<string, unknown> | undefined);
      expect(res.errors?.length, query).toBeGreaterThan(0);
      expect(JSON.stringify(res.errors), query).not.toMatch(/did you mean/i);
      ws.subscribe(query, query, variables as Record<string, unknown> | undefined);
      const overWs = await ws.next(isFor(query));
      expect(JSON.stringify(overWs.payload), query).not.toMatch(/did you mean/i);
    }
    ws.close();

    // Switched on (the default), suggestions help.
    const open = await hubWith();
    expect(JSON.stringify((await open.gql('{ projectz { totalCount } }')).errors)).toMatch(
      /did you mean/i,
    );
  });
});

describe('rate limits', () => {
  const DASHBOARD = '{ dashboard(year: 2025) { year } }';
  /** Fetches the dashboard as an anonymous client, optionally behind a proxy that names the client. */
  const anonymousDashboard = (hub: TestHub, forwardedFor?: string) =>
    fetch(hub.url, {
      method: 'POST',
      headers: { ...json, ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
      body: JSON.stringify({ query: DASHBOARD }),
    });

  it('should take an IPv6 client for its /64 network, however the address is written, and leave IPv4 alone', () => {
    const addressOf = clientAddressResolver([]);
    const peer = (remoteAddress: string) =>
      addressOf({ socket: { remoteAddress }, headers: {} } as unknown as IncomingMessage);
    for (const address of [
      '2001:db8:1:2::a',
      '2001:DB8:0001:0002:0:0:0:b',
      '2001:db8:1:2:3:4:5:6',
      '2001:db8:1:2::1%eth0',
    ])
      expect(peer(address)).toBe('2001:db8:1:2::/64');
    expect(peer('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(peer('::1')).toBe('0:0:0:0::/64');
    expect(peer('192.0.2.1')).toBe('192.0.2.1');
    expect(peer('::ffff:192.0.2.1')).toBe('::ffff:192.0.2.1');
  });

  it('should count anonymous callers per client address, believing X-Forwarded-For only from a trusted proxy', async () => {
    // 1 write per window allows 5 dashboards; caches off, so every request executes.
    const env = { HUB_RATE_LIMIT_WRITES: '1', HUB_CACHE_MS: '0' };
    const direct = await hubWith(env);
    // Without trusted proxies the header is anyone's to write: it does not make a new client.
    for (let i = 0; i < 5; i++)
      expect((await anonymousDashboard(direct, `10.0.0.${i}`)).status).toBe(200);
    const refused = await anonymousDashboard(direct, '10.0.0.99');
    expect(refused.status).toBe(429);
    // The seconds until the budget refills (the window began with the first request).
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const body = (await refused.json()) as {
      errors: { message: string; extensions: { code: string } }[];
    };
    expect(body.errors[0]!.extensions.code).toBe('RATE_LIMITED');
    expect(body.errors[0]!.message).toBe(
      `Too many requests: at most 5 calls of \`dashboard\` per 60 s; try again in ${retryAfter} s`,
    );
    // A signed-in caller has a budget of its own.
    const signedIn = await direct.gql<{ dashboard: { year: number } }>(DASHBOARD, undefined, {
      authorization: bearer('viewer'),
    });
    expect(signedIn.data?.dashboard.year).toBe(2025);

    // Behind a trusted proxy (the tests connect from loopback), each forwarded address counts alone.
    const proxied = await hubWith({ ...env, HUB_TRUSTED_PROXIES: 'loopback' });
    for (let i = 0; i < 5; i++)
      expect((await anonymousDashboard(proxied, '203.0.113.7')).status).toBe(200);
    expect((await anonymousDashboard(proxied, '203.0.113.7')).status).toBe(429);
    // Another wall behind the same proxy is not held back by the first one's requests.
    expect((await anonymousDashboard(proxied, '203.0.113.8')).status).toBe(200);
    // An IPv6 host is commonly given a whole /64: its addresses share one budget, another /64
    // is another client.
    for (let i = 1; i <= 5; i++)
      expect((await anonymousDashboard(proxied, `2001:db8:1:2::${i}`)).status).toBe(200);
    expect((await anonymousDashboard(proxied, '2001:db8:1:2:ffff::99')).status).toBe(429);
    expect((await anonymousDashboard(proxied, '2001:db8:1:3::1')).status).toBe(200);
    // A client cannot pose as another by prepending an address: the nearest untrusted one counts.
    expect((await anonymousDashboard(proxied, '198.51.100.1, 203.0.113.7')).status).toBe(429);
  });

  it('should count every aliased call, and never let parallel requests overdraw a budget', async () => {
    const hub = await hubWith({ HUB_RATE_LIMIT_WRITES: '2', HUB_CACHE_MS: '0' });
    const create = (code: string) =>
      `${code.replace(/-/g, '_')}: createProject(input: { code: "${code}", name: "限速${code}", stage: PLANNED }) { __typename }`;
    const three = await hub.gql(
      `mutation { ${['AL-1', 'AL-2', 'AL-3'].map(create).join(' ')} }`,
      undefined,
      { authorization: bearer('editor') },
    );
    expect(codeOf(three)).toBe('RATE_LIMITED');
    expect(await hub.db.prisma.project.count({ where: { code: { startsWith: 'AL-' } } })).toBe(0);
    // Ten dashboards allowed (2 × 5): eleven aliases are refused, ten are not.
    const dashboards = (n: number) =>
      `{ ${Array.from({ length: n }, (_, i) => `d${i}: dashboard(year: 2025) { year }`).join(' ')} }`;
    expect(
      codeOf(await hub.gql(dashboards(11), undefined, { authorization: bearer('viewer') })),
    ).toBe('RATE_LIMITED');
    const parallel = await Promise.all(
      Array.from({ length: 12 }, () =>
        hub.gql('{ dashboard(year: 2025) { year } }', undefined, {
          authorization: bearer('admin'),
        }),
      ),
    );
    expect(parallel.filter((r) => r.data?.dashboard).length).toBe(10);
    expect(parallel.filter((r) => codeOf(r) === 'RATE_LIMITED').length).toBe(2);
  });

  it('should limit the analytics reads like the dashboard, each field its own budget, and leave plain lists alone', async () => {
    const hub = await hubWith({ HUB_RATE_LIMIT_WRITES: '1', HUB_CACHE_MS: '0' });
    const viewer = { authorization: bearer('viewer') };
    // 1 write per window allows 5 calls of each aggregate read.
    const reads = {
      stageChangeTrend: 'stageChangeTrend(interval: MONTH, to: "2025-12-31") { estimatedCount }',
      stalledProjects: 'stalledProjects(minDays: 30, first: 1) { totalCount }',
      stageDurations: 'stageDurations(from: "2025-01-01", to: "2025-12-31") { count }',
      approvalBreaches: 'approvalBreaches(first: 1) { totalCount }',
    };
    for (const [field, selection] of Object.entries(reads)) {
      const many = (n: number) =>
        `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${selection}`).join(' ')} }`;
      const five = await hub.gql(many(5), undefined, viewer);
      expect(five.errors, field).toBeUndefined();
      const sixth = await hub.gql(many(1), undefined, viewer);
      expect(codeOf(sixth), field).toBe('RATE_LIMITED');
      expect(sixth.errors![0]!.message, field).toContain(`calls of \`${field}\``);
    }
    // A list of projects is not an aggregate: no budget.
    const pages = `{ ${Array.from({ length: 8 }, (_, i) => `p${i}: projects(first: 1) { totalCount }`).join(' ')} }`;
    expect((await hub.gql(pages, undefined, viewer)).errors).toBeUndefined();
  });

  it('should refuse a rate-limited mutation over graphql-ws as an error of that operation, keeping the socket', async () => {
    const hub = await hubWith({ HUB_RATE_LIMIT_WRITES: '1' });
    const [project] = await createTestProjects(hub.db.prisma, 1, { prefix: 'RLW' });
    const ws = await openRawWs(hub.url, { authorization: bearer('editor') });
    ws.subscribe('w1', ADVANCE, { input: { projectId: project!.globalId, toStage: 'SIGNED' } });
    expect(
      (await ws.next<GraphQLResponse<AdvanceData>>(isFor('w1'))).payload.data?.advanceProjectStage
        .__typename,
    ).toBe('AdvanceProjectStageSuccess');
    ws.subscribe('w2', ADVANCE, { input: { projectId: project!.globalId, toStage: 'LANDED' } });
    const second = await ws.next(isFor('w2'));
    expect(JSON.stringify(second.payload)).toMatch(/RATE_LIMITED/);
    // HTTP's status and headers stay on HTTP.
    expect(JSON.stringify(second.payload)).not.toMatch(/"http"/);
    ws.subscribe('r', READ);
    expect((await ws.next(isFor('r'))).type).toBe('next');
    expect(ws.closeCode).toBeUndefined();
    ws.close();
    expect(await hub.db.prisma.projectStageEvent.count({ where: { projectId: project!.id } })).toBe(
      2,
    );
  });

  const redisReason = redisSkipReason(true);
  it.skipIf(redisReason)(
    'should hold the limit across servers sharing Redis, not allow it once per server',
    async () => {
      const namespace = redisNamespace();
      const a = await hubWith(
        { HUB_RATE_LIMIT_WRITES: '1', HUB_CACHE_MS: '0' },
        { engine: 'postgres', pubsub: testRedisBus(namespace, 'a') },
      );
      const b = await hubWith(
        { HUB_RATE_LIMIT_WRITES: '1', HUB_CACHE_MS: '0' },
        { db: a.db, pubsub: testRedisBus(namespace, 'b') },
      );
      await Promise.all([a.app.pubsub.ready(), b.app.pubsub.ready()]);
      leftovers.push(
        () => a.app.pubsub.close(),
        () => b.app.pubsub.close(),
      );
      for (let i = 0; i < 3; i++) expect((await anonymousDashboard(a)).status).toBe(200);
      for (let i = 0; i < 2; i++) expect((await anonymousDashboard(b)).status).toBe(200);
      expect((await anonymousDashboard(b)).status).toBe(429);
      expect((await anonymousDashboard(a)).status).toBe(429);
    },
  );
});

describe('answers kept in memory', () => {
  it('should confirm a kept answer (304) only to a caller who may read it', async () => {
    const viewer = { ...json, authorization: bearer('viewer') };
    const ask = (hub: TestHub, headers: Record<string, string>) =>
      fetch(hub.url, { method: 'POST', headers, body: JSON.stringify({ query: READ }) });
    const hub = await hubWith();
    // An answer is kept, and tagged, from its second request.
    expect((await ask(hub, viewer)).headers.get('etag')).toBeNull();
    const tag = (await ask(hub, viewer)).headers.get('etag');
    expect(tag).toBeTruthy();
    expect((await ask(hub, { ...viewer, 'if-none-match': tag! })).status).toBe(304);
    const forged = await ask(hub, {
      ...json,
      authorization: 'Bearer not-a-key-at-all-0000',
      'if-none-match': tag!,
    });
    expect(forged.status).toBe(401);
    expect(codeOf(await forged.json())).toBe('UNAUTHENTICATED');

    // Reads closed to anonymous callers: the tag of a viewer's answer does not open them.
    const closed = await hubWith({ HUB_ANONYMOUS_ROLE: 'none' });
    await ask(closed, viewer);
    const kept = (await ask(closed, viewer)).headers.get('etag');
    expect((await ask(closed, { ...viewer, 'if-none-match': kept! })).status).toBe(304);
    const anonymous = await ask(closed, { ...json, 'if-none-match': kept! });
    expect(anonymous.status).toBe(401);
    expect(codeOf(await anonymous.json())).toBe('UNAUTHENTICATED');
  });
});

describe('limits over graphql-ws', () => {
  it('should fail only the operation that breaks an alias or token limit, and keep the socket and its subscriptions', async () => {
    const hub = await hubWith({ HUB_MAX_ALIASES: '5' });
    const [project] = await createTestProjects(hub.db.prisma, 1, { prefix: 'LWS' });
    const ws = await openRawWs(hub.url);
    ws.subscribe('live', STAGE_CHANGED);
    await waitUntil(() => hub.app.stageTail.size === 1, 'the subscription to join the log tail');
    const aliases = Array.from(
      { length: 6 },
      (_, i) => `a${i}: projects(first: 1) { totalCount }`,
    ).join(' ');
    const overHttp = await fetch(hub.url, {
      method: 'POST',
      headers: { ...json, authorization: bearer('viewer') },
      body: JSON.stringify({ query: `{ ${aliases} }` }),
    });
    expect(overHttp.status).toBe(400);
    expect(codeOf(await overHttp.json())).toBe('TOO_MANY_ALIASES');
    ws.subscribe('aliases', `{ ${aliases} }`);
    const a = await ws.next<WsErrors>(isFor('aliases'));
    expect(a.type).toBe('error');
    expect(a.payload[0]?.extensions?.code).toBe('TOO_MANY_ALIASES');
    ws.subscribe('tokens', `{ ${Array.from({ length: 6_000 }, () => '__typename').join(' ')} }`);
    const t = await ws.next<WsErrors>(isFor('tokens'));
    expect(t.type).toBe('error');
    expect(t.payload[0]?.extensions?.code).toBe('TOO_MANY_TOKENS');
    ws.subscribe('syntax', '{ projects {');
    expect((await ws.next(isFor('syntax'))).type).toBe('error');
    // The subscription opened first still delivers.
    const change = await hub.gql<AdvanceData>(ADVANCE, {
      input: { projectId: project!.globalId, toStage: 'SIGNED' },
    });
    expect(change.data?.advanceProjectStage.__typename).toBe('AdvanceProjectStageSuccess');
    const event = await ws.next<GraphQLResponse<StageEventData>>(isFor('live'));
    expect(event.payload.data?.projectStageChanged.toStage).toBe('SIGNED');
    expect(ws.closeCode).toBeUndefined();
    ws.close();
  });

  it('should cap the operations one socket holds, refusing the one past the cap and accepting again once one completes', async () => {
    const hub = await hubWith({ HUB_MAX_SUBSCRIPTIONS_PER_SOCKET: '2' });
    const ws = await openRawWs(hub.url);
    ws.subscribe('s1', STAGE_CHANGED);
    ws.subscribe('s2', STAGE_CHANGED);
    ws.subscribe('s3', STAGE_CHANGED);
    const third = await ws.next<WsErrors>(isFor('s3'));
    expect(third.type).toBe('error');
    expect(third.payload[0]?.extensions?.code).toBe('TOO_MANY_SUBSCRIPTIONS');
    ws.sendRaw(JSON.stringify({ id: 's1', type: 'complete' }));
    // Once s1 is gone, a new operation fits (retried: the server handles `complete` asynchronously).
    let accepted: WsMessage<GraphQLResponse<ReadData>> | undefined;
    for (let attempt = 0; !accepted; attempt++) {
      ws.subscribe(`r${attempt}`, READ);
      const answer = await ws.next<GraphQLResponse<ReadData> | WsErrors>(isFor(`r${attempt}`));
      if (answer.type === 'next') accepted = answer as WsMessage<GraphQLResponse<ReadData>>;
      else expect((answer.payload as WsErrors)[0]?.extensions?.code).toBe('TOO_MANY_SUBSCRIPTIONS');
      expect(attempt).toBeLessThan(50);
    }
    expect(accepted.payload.data?.projects.totalCount).toBeGreaterThan(0);
    expect(ws.closeCode).toBeUndefined();
    ws.close();
  });
});

describe.skipIf(!postgresTestUrl)('a database outage', () => {
  it('should answer 503 DATABASE_UNAVAILABLE with Retry-After over HTTP, SSE and graphql-ws, write nothing, and recover alone', async () => {
    const created = await createPostgresDatabase();
    leftovers.push(() => created.drop());
    const target = new URL(created.url);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    leftovers.push(() => proxy.close());
    const viaProxy = new URL(created.url);
    viaProxy.port = String(proxy.port);
    const db = await openDatabase({ dataDir: '', databaseUrl: viaProxy.toString(), poolSize: 2 });
    leftovers.push(() => db.close());
    const hub = await hubWith({ HUB_CACHE_MS: '0' }, { db, seed: false });
    const [project] = await createTestProjects(db.prisma, 1);
    const ws = await openRawWs(hub.url);
    expect((await hub.gql<ReadData>(READ)).data?.projects.totalCount).toBe(1);

    proxy.cut();
    const res = await fetch(hub.url, {
      method: 'POST',
      headers: { ...json, authorization: bearer('viewer') },
      body: JSON.stringify({ query: READ }),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    const body = (await res.json()) as {
      errors: { message: string; extensions: { code: string } }[];
    };
    expect(body.errors[0]!.extensions.code).toBe('DATABASE_UNAVAILABLE');
    expect(body.errors[0]!.message).toMatch(/database is unavailable/i);

    const write = await fetch(hub.url, {
      method: 'POST',
      headers: { ...json, authorization: bearer('editor') },
      body: JSON.stringify({
        query: ADVANCE,
        variables: { input: { projectId: project!.globalId, toStage: 'SIGNED' } },
      }),
    });
    expect(write.status).toBe(503);
    expect(codeOf(await write.json())).toBe('DATABASE_UNAVAILABLE');

    // SSE: a subscription that must read the log first is refused before its stream starts.
    const sse = await fetch(hub.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        authorization: bearer('viewer'),
      },
      body: JSON.stringify({ query: STAGE_CHANGED, variables: { after: '0' } }),
    });
    expect(sse.status).toBe(503);
    expect(sse.headers.get('retry-after')).toBe('5');
    expect(await sse.text()).toMatch(
      /event: next\ndata: .*DATABASE_UNAVAILABLE[\s\S]*event: complete/,
    );

    // The exchange routes too, and the process survives them.
    const base = hub.url.replace(/\/graphql$/, '');
    for (const route of ['/export/projects.csv', '/export/stage-events.csv', '/oc4ids']) {
      const answer = await fetch(`${base}${route}`, {
        headers: { authorization: bearer('viewer') },
      });
      expect(answer.status, route).toBe(503);
      expect(answer.headers.get('retry-after'), route).toBe('5');
      expect(await answer.text(), route).not.toMatch(/at |Prisma|Error:/);
    }
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(503);
    // Anyone may ask /ready: it names no host or port.
    expect(await ready.text()).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|\d{4,5}/);

    ws.subscribe('q', READ);
    const overWs = await ws.next(isFor('q'));
    expect(JSON.stringify(overWs.payload)).toMatch(/DATABASE_UNAVAILABLE/);
    ws.subscribe('s', STAGE_CHANGED, { after: '0' });
    expect(JSON.stringify((await ws.next(isFor('s'))).payload)).toMatch(/DATABASE_UNAVAILABLE/);
    expect(ws.closeCode).toBeUndefined();

    proxy.restore();
    await waitUntil(
      async () => (await hub.gql<ReadData>(READ)).data?.projects.totalCount === 1,
      'the hub to answer again',
    );
    ws.subscribe('q2', READ);
    expect(
      (await ws.next<GraphQLResponse<ReadData>>(isFor('q2'))).payload.data?.projects.totalCount,
    ).toBe(1);
    ws.close();
    expect(await db.prisma.projectStageEvent.count({ where: { projectId: project!.id } })).toBe(1);
  });
});

describe('graphql-ws sockets', () => {
  it('should keep a socket open through every kind of refused operation', async () => {
    const hub = await hubWith();
    const sub = await subscribeWs(hub.url, STAGE_CHANGED);
    leftovers.push(() => sub.dispose());
    const ws = await openRawWs(hub.url);
    for (const [id, query] of [
      ['unknown', '{ nope }'],
      ['empty', ''],
      ['two-ops', 'query A { __typename } query B { __typename }'],
    ] as const) {
      ws.subscribe(id, query);
      expect((await ws.next(isFor(id))).type).toBe('error');
    }
    ws.subscribe('ok', READ);
    expect((await ws.next(isFor('ok'))).type).toBe('next');
    ws.close();
  });
});
