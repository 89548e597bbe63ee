/**
 * A loopback TCP proxy in front of PostgreSQL that counts what a server sends: statements
 * (each extended-protocol Execute, each statement of a simple Query) and round trips (each Sync
 * or simple Query, after which the client waits for the server). It reads the frontend protocol
 * only, so it counts the hub, PostGraphile and the floor the same way, whatever their driver
 * does with prepared statements, and needs nothing enabled on the PostgreSQL server
 * (pg_stat_statements is not preloaded here).
 *
 * Used only while counting, never under load.
 */
import net from 'node:net';

export interface StatementLog {
  statements: number;
  roundTrips: number;
  /** SQL of each statement, in order (first 160 characters, whitespace collapsed). */
  texts: string[];
}

export interface CountingProxy {
  port: number;
  /** What was sent since the last reset. */
  snapshot(): StatementLog;
  reset(): void;
  close(): Promise<void>;
}

/** Splits a simple-protocol query string into statements (quotes and dollar quotes respected). */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (quote) {
      current += c;
      if (sql.startsWith(quote, i)) {
        current += quote.slice(1);
        i += quote.length - 1;
        quote = null;
      }
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i));
      if (tag) {
        quote = tag[0];
        current += tag[0];
        i += tag[0].length - 1;
        continue;
      }
    }
    if (c === ';') {
      if (current.trim()) out.push(current.trim());
      current = '';
    } else current += c;
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

const shorten = (sql: string) => sql.replace(/\s+/g, ' ').trim().slice(0, 160);

function cstring(buf: Buffer, offset: number): [string, number] {
  const end = buf.indexOf(0, offset);
  return [buf.toString('utf8', offset, end), end + 1];
}

export function startCountingProxy(target: { host: string; port: number }): Promise<CountingProxy> {
  let log: StatementLog = { statements: 0, roundTrips: 0, texts: [] };
  const sockets = new Set<net.Socket>();

  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const prepared = new Map<string, string>();
    let bound = '';
    let started = false;
    let pending: Buffer = Buffer.alloc(0);

    const inspect = (type: string, body: Buffer) => {
      switch (type) {
        case 'Q': {
          const statements = splitStatements(cstring(body, 0)[0]);
          log.statements += statements.length;
          log.roundTrips += 1;
          log.texts.push(...statements.map(shorten));
          break;
        }
        case 'P': {
          const [name, next] = cstring(body, 0);
          prepared.set(name, cstring(body, next)[0]);
          break;
        }
        case 'B': {
          const [, next] = cstring(body, 0);
          bound = prepared.get(cstring(body, next)[0]) ?? '?';
          break;
        }
        case 'E':
          log.statements += 1;
          log.texts.push(shorten(bound));
          break;
        case 'S':
          log.roundTrips += 1;
          break;
        default:
          break;
      }
    };

    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      for (;;) {
        if (!started) {
          // Untyped start-up messages: SSLRequest / GSSENCRequest, then the StartupMessage.
          if (pending.length < 8) break;
          const length = pending.readInt32BE(0);
          if (pending.length < length) break;
          const code = pending.readInt32BE(4);
          if (code !== 80877103 && code !== 80877104) started = true;
          pending = pending.subarray(length);
          continue;
        }
        if (pending.length < 5) break;
        const length = pending.readInt32BE(1);
        if (pending.length < length + 1) break;
        inspect(String.fromCharCode(pending[0]!), pending.subarray(5, length + 1));
        pending = pending.subarray(length + 1);
      }
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        snapshot: () => ({ ...log, texts: [...log.texts] }),
        reset: () => {
          log = { statements: 0, roundTrips: 0, texts: [] };
        },
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
