/**
 * The fan-out floor: what delivering a stage event to N graphql-ws subscribers costs when the
 * work per event is done once. It speaks just enough of the graphql-transport-ws protocol
 * (connection_init → connection_ack, subscribe, complete, ping → pong), hears the hub's
 * `stageChanged` notifications on Redis (the hub's own channel and JSON), reads the event and its
 * project with one SQL statement, serialises the `projectStageChanged` payload once (the hub's
 * exact JSON for the wall display's selection) and sends it to every subscriber, adding only the
 * subscription id. No GraphQL execution, no per-subscriber query.
 *
 * Used by tests/bench/fanout.ts with the hub taking the changes on a second server.
 * Run: `node --import tsx tests/bench/fanout-floor-server.ts` with PORT, DATABASE_URL, REDIS_URL.
 */
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import pg from 'pg';
import { type WebSocket, WebSocketServer } from 'ws';

pg.types.setTypeParser(1082, (value) => value);

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
// No ready check: after a reconnect in subscriber mode ioredis's INFO check is refused.
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  enableReadyCheck: false,
});
redis.on('error', (error: Error) =>
  console.error(new Date().toISOString(), 'redis error', error.message),
);
redis.on('close', () => console.error(new Date().toISOString(), 'redis connection closed'));
const channel = `${process.env.HUB_CHANNEL_PREFIX ?? 'lzhub:'}stageChanged`;

/** Open subscriptions: socket → subscription ids. */
const subscriptions = new Map<WebSocket, Set<string>>();

const server = createServer((req, res) => {
  // The benchmark's ready check: answers like a GraphQL server would to `{ __typename }`.
  if (req.url === '/graphql') {
    req.resume();
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end('{"data":{"__typename":"Query"}}');
    return;
  }
  res.writeHead(404).end();
});
const wss = new WebSocketServer({
  server,
  path: '/graphql',
  perMessageDeflate: false,
  handleProtocols: (protocols) =>
    protocols.has('graphql-transport-ws') ? 'graphql-transport-ws' : false,
});

wss.on('connection', (socket) => {
  subscriptions.set(socket, new Set());
  socket.on('message', (data) => {
    let message: { type?: string; id?: string };
    try {
      message = JSON.parse(String(data));
    } catch {
      socket.close(4400, 'Invalid message');
      return;
    }
    switch (message.type) {
      case 'connection_init':
        socket.send('{"type":"connection_ack"}');
        break;
      case 'ping':
        socket.send('{"type":"pong"}');
        break;
      case 'subscribe':
        subscriptions.get(socket)?.add(message.id!);
        break;
      case 'complete':
        subscriptions.get(socket)?.delete(message.id!);
        break;
      default:
        break;
    }
  });
  socket.on('close', () => subscriptions.delete(socket));
});

/** Events are read in sequence order once each, whatever order notifications arrive in. */
let position = 0n;
let reading: Promise<void> = Promise.resolve();

async function deliverUpTo(head: bigint): Promise<void> {
  if (head <= position) return;
  const { rows } = await pool.query(
    `SELECT e.sequence, e.kind::text AS kind, e."fromStage"::text AS "fromStage", e."toStage"::text AS "toStage", e."occurredOn",
            e."recordedAt", e.actor, e.note, p.code, p.name, p.stage::text AS stage
       FROM "ProjectStageEvent" e JOIN "Project" p ON p.id = e."projectId"
      WHERE e.sequence > $1 AND e.sequence <= $2 ORDER BY e.sequence`,
    [position.toString(), head.toString()],
  );
  for (const e of rows) {
    const payload = JSON.stringify({
      data: {
        projectStageChanged: {
          sequence: e.sequence,
          kind: e.kind,
          fromStage: e.fromStage,
          toStage: e.toStage,
          occurredOn: e.occurredOn,
          recordedAt: (e.recordedAt as Date).toISOString(),
          actor: e.actor,
          note: e.note,
          project: { code: e.code, name: e.name, stage: e.stage },
        },
      },
    });
    for (const [socket, ids] of subscriptions) {
      for (const id of ids)
        socket.send(`{"id":${JSON.stringify(id)},"type":"next","payload":${payload}}`);
    }
  }
  position = head;
}

redis.on('message', (_channel: string, message: string) => {
  // The hub's envelope (src/realtime/event-bus.ts): the publishing server and the event.
  const head = BigInt((JSON.parse(message) as { payload: { sequence: string } }).payload.sequence);
  reading = reading.then(() => deliverUpTo(head)).catch((error: unknown) => console.error(error));
});

const start = async () => {
  const { rows } = await pool.query<{ head: string | null }>(
    'SELECT max(sequence)::text AS head FROM "ProjectStageEvent"',
  );
  position = BigInt(rows[0]!.head ?? 0);
  await redis.subscribe(channel);
  server.listen(Number(process.env.PORT ?? 4703), process.env.HOST ?? '127.0.0.1', () =>
    console.log('fan-out floor ready'),
  );
};

void start();

const stop = () => {
  for (const socket of subscriptions.keys()) socket.terminate();
  server.close();
  redis.disconnect();
  void pool.end().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
