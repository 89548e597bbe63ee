/**
 * Who may do what, on every transport; credentials refused; each limit refusing with a clear
 * error (never a 500) and writing nothing; operator switches; health, readiness and metrics;
 * and the graphql-http audit suite.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type OperationDefinitionNode, parse } from 'graphql';
import { auditServer } from 'graphql-http';
import { createClient } from 'graphql-ws';
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { operationsDir } from '../src/explorer.ts';
import { createLogger } from '../src/logger.ts';
import { schema } from '../src/schema/index.ts';
import { bearer, testKeys } from './helpers/auth.ts';
import { createTestProjects } from './helpers/fixtures.ts';
import { useLeftovers } from './helpers/leftovers.ts';
import { advance, STAGE_CHANGED } from './helpers/operations.ts';
import {
  type GraphQLResponse,
  hubsOnSharedDatabase,
  startTestHub,
  type TestHub,
} from './helpers/server.ts';
import { subscribeSse } from './helpers/sse-client.ts';
import { waitUntil } from './helpers/subscription.ts';
import { subscribeWs, wsUrl } from './helpers/ws-client.ts';

const leftovers = useLeftovers();
/** A hub with `env` (and `opts`) on the suite's one seeded database. */
const hubWith = hubsOnSharedDatabase(leftovers);

const READ = '{ projects(first: 1) { totalCount } }';

interface CreateData {
  createProject: { __typename: string } | null;
}
const SUBSCRIBE = 'subscription { projectStageChanged { sequence } }';

/** Every mutation field with the saved example operation (schema/operations) that calls it. */
function mutationExamples(): {
  field: string;
  query: string;
  variables: Record<string, unknown>;
}[] {
  const files = readdirSync(operationsDir).filter((f) => f.endsWith('.graphql'));
  const byField = new Map<string, { query: string; variables: Record<string, unknown> }>();
  for (const file of files) {
    const query = readFileSync(path.join(operationsDir, file), 'utf8');
    const op = parse(query).definitions.find(
      (d): d is OperationDefinitionNode => d.kind === 'OperationDefinition',
    );
    if (op?.operation !== 'mutation') continue;
    const varsFile = path.join(operationsDir, file.replace(/\.graphql$/, '.variables.json'));
    const variables = readdirSync(operationsDir).includes(path.basename(varsFile))
      ? JSON.parse(readFileSync(varsFile, 'utf8'))
      : {};
    for (const sel of op.selectionSet.selections)
      if (sel.kind === 'Field') byField.set(sel.name.value, { query, variables });
  }
  return Object.keys(schema.getMutationType()!.getFields()).map((field) => {
    const example = byField.get(field);
    if (!example)
      throw new Error(`no example operation in schema/operations for mutation ${field}`);
    return { field, ...example };
  });
}

function codeOf(res: { errors?: { extensions?: Record<string, unknown> }[] }): unknown {
  return res.errors?.[0]?.extensions?.code;
}

/**
 * Opens a graphql-ws connection with these params and runs one subscription until the first
 * event, an error, or the hub's stage feed holding it (subscribed, waiting for events).
 */
async function wsSubscribe(
  hub: TestHub,
  connectionParams: Record<string, unknown>,
): Promise<{ closeCode?: number; errorCode?: unknown; subscribed: boolean }> {
  // The previous caller's subscriptions end asynchronously: start from a stage feed without them.
  await waitUntil(() => hub.app.stageTail.size === 0, 'earlier subscriptions on this hub to end');
  return new Promise((resolve) => {
    const client = createClient({
      url: wsUrl(hub.url),
      webSocketImpl: WebSocket,
      connectionParams,
      retryAttempts: 0,
      lazy: true,
    });
    let settled = false;
    const done = (r: { closeCode?: number; errorCode?: unknown; subscribed: boolean }) => {
      if (settled) return;
      settled = true;
      // dispose() rejects when the connection itself was refused; that refusal is what we record.
      Promise.resolve(client.dispose()).catch(() => undefined);
      resolve(r);
    };
    client.on('closed', (event) =>
      done({ closeCode: (event as { code?: number }).code, subscribed: false }),
    );
    client.subscribe(
      { query: SUBSCRIBE },
      {
        // A refused subscription arrives as one result carrying errors, then completes.
        next: (result) => {
          const code = (result as { errors?: { extensions?: { code?: unknown } }[] }).errors?.[0]
            ?.extensions?.code;
          done(code ? { errorCode: code, subscribed: false } : { subscribed: true });
        },
        error: (errors) => {
          const list = Array.isArray(errors) ? errors : [errors];
          done({
            errorCode: (list[0] as { extensions?: { code?: unknown } })?.extensions?.code,
            subscribed: false,
          });
        },
        complete: () => undefined,
      },
    );
    // A subscription that got through and is waiting for events counts as allowed.
    client.on('connected', () =>
      waitUntil(
        () => settled || hub.app.stageTail.size > 0,
        'the subscription to be refused or to join the stage feed',
      ).then(() => done({ subscribed: true })),
    );
  });
}

async function sseStatus(
  url: string,
  authorization?: string,
): Promise<{ status: number; body: string }> {
  const abort = new AbortController();
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      ...(authorization ? { authorization } : {}),
    },
    body: JSON.stringify({ query: SUBSCRIBE }),
    signal: abort.signal,
  });
  // Read the first chunk: a refusal comes as an error event, an accepted stream as a ping.
  const reader = res.body!.getReader();
  const first = await reader.read();
  abort.abort();
  return { status: res.status, body: new TextDecoder().decode(first.value) };
}

describe('role matrix (anonymous access off)', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await hubWith({ HUB_ANONYMOUS_ROLE: 'none' });
  });

  const callers: [string, string | undefined][] = [
    ['anonymous', undefined],
    ['viewer', bearer('viewer')],
    ['editor', bearer('editor')],
    ['admin', bearer('admin')],
  ];

  it.each(callers)('%s: read over HTTP', async (who, authorization) => {
    const res = await hub.gql<{ projects: { totalCount: number } }>(
      READ,
      {},
      { authorization: authorization ?? '' },
    );
    if (who === 'anonymous') expect(codeOf(res)).toBe('UNAUTHENTICATED');
    else expect(res.data?.projects.totalCount).toBeGreaterThan(0);
  });

  it.each(callers)('%s: subscribe over graphql-ws and SSE', async (who, authorization) => {
    const ws = await wsSubscribe(hub, authorization ? { authorization } : {});
    const sse = await sseStatus(hub.url, authorization);
    if (who === 'anonymous') {
      expect(ws.subscribed).toBe(false);
      expect(ws.errorCode).toBe('UNAUTHENTICATED');
      expect(sse.body).toMatch(/UNAUTHENTICATED/);
    } else {
      expect(ws.subscribed).toBe(true);
      expect(sse.status).toBe(200);
      expect(sse.body).not.toMatch(/errors/);
    }
  });

  it('should name a saved example operation for every mutation', () => {
    expect(mutationExamples().length).toBe(
      Object.keys(schema.getMutationType()!.getFields()).length,
    );
  });

  it.each(callers)(
    '%s: every mutation, refused with nothing written or let through to its own checks',
    async (who, authorization) => {
      const adminOnly = new Set(
        Object.values(schema.getMutationType()!.getFields())
          .filter((f) =>
            JSON.stringify(
              (f.extensions as { pothosOptions?: { authScopes?: unknown } }).pothosOptions
                ?.authScopes ?? {},
            ).includes('admin'),
          )
          .map((f) => f.name),
      );
      for (const { field, query, variables } of mutationExamples()) {
        const before = await hub.db.prisma.projectStageEvent.count();
        const res = await hub.gql(query, variables, { authorization: authorization ?? '' });
        const code = codeOf(res);
        const allowed = who === 'admin' || (who === 'editor' && !adminOnly.has(field));
        if (allowed) {
          expect(
            [undefined, 'BAD_USER_INPUT'],
            `${who} ${field}: ${JSON.stringify(res.errors)}`,
          ).toContain(code);
        } else {
          expect(code, `${who} ${field}`).toBe(
            who === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN',
          );
          expect(res.data?.[field] ?? null).toBeNull();
          expect(await hub.db.prisma.projectStageEvent.count()).toBe(before);
        }
      }
    },
  );
});

describe('credentials', () => {
  const secret = 'security-test-secret-long-enough-for-hs256';
  let hub: TestHub;
  beforeAll(async () => {
    hub = await hubWith({ JWT_SECRET: secret, HUB_ANONYMOUS_ROLE: 'none' });
  });
  /** Flips a character in the middle of the signature (the last one may carry unused bits). */
  const tamper = (token: string) => {
    const i = token.lastIndexOf('.') + 10;
    return token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
  };
  const sign = (role: string, exp: number | string) =>
    new SignJWT({ role })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('tester')
      .setExpirationTime(exp)
      .sign(new TextEncoder().encode(secret));

  it('should accept a valid JWT and refuse expired, wrongly signed and unknown tokens with 401', async () => {
    expect(
      (await hub.gql(READ, {}, { authorization: `Bearer ${await sign('viewer', '5m')}` })).data
        ?.projects,
    ).toBeTruthy();
    for (const token of [
      await sign('viewer', Math.floor(Date.now() / 1000) - 10),
      tamper(await sign('viewer', '5m')),
      'not-a-known-key-at-all',
    ]) {
      const res = await fetch(hub.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: READ }),
      });
      expect(res.status).toBe(401);
      expect(
        ((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions
          .code,
      ).toBe('UNAUTHENTICATED');
    }
  });

  it('should refuse a graphql-ws connection with a wrong token (4403) and close a socket when its token expires (4401)', async () => {
    expect(
      (await wsSubscribe(hub, { authorization: 'Bearer wrong-wrong-wrong-wrong' })).closeCode,
    ).toBe(4403);
    const shortLived = await sign('viewer', Math.floor(Date.now() / 1000) + 2);
    const closed = await new Promise<number>((resolve) => {
      const client = createClient({
        url: wsUrl(hub.url),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${shortLived}` },
        retryAttempts: 0,
        lazy: false,
        on: { closed: (e) => resolve((e as { code: number }).code) },
      });
      client.subscribe(
        { query: SUBSCRIBE },
        { next: () => undefined, error: () => undefined, complete: () => undefined },
      );
    });
    expect(closed).toBe(4401);
  });
});

describe('limits against abuse', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await hubWith({
      HUB_RATE_LIMIT_WRITES: '3',
      HUB_MAX_DEPTH: '8',
      HUB_MAX_COMPLEXITY: '500',
      HUB_MAX_ALIASES: '5',
      HUB_MAX_TOKENS: '400',
      HUB_MAX_BODY_BYTES: '20000',
    });
  });

  it('should refuse a deep query', async () => {
    const res = await hub.gql(
      '{ projects { edges { node { park { projects { edges { node { park { projects { edges { node { name } } } } } } } } } } } }',
    );
    expect(codeOf(res)).toBe('QUERY_TOO_COMPLEX');
    expect(res.errors![0]!.message).toMatch(/levels deep; the limit is 8/);
  });

  it('should refuse a query that costs too much', async () => {
    const res = await hub.gql(
      '{ projects { edges { node { fundingAwards { amount } figures { value } sources { title } stageHistory { edges { node { note } } } } } } }',
    );
    expect(codeOf(res)).toBe('QUERY_TOO_COMPLEX');
    expect(res.errors![0]!.message).toMatch(/costs \d+; the limit is/);
  });

  it('should refuse too many aliases and too many tokens', async () => {
    const aliases = Array.from(
      { length: 6 },
      (_, i) => `a${i}: projects(first: 1) { totalCount }`,
    ).join(' ');
    expect((await hub.gql(`{ ${aliases} }`)).errors?.[0]?.message).toMatch(/alias/i);
    const many = Array.from({ length: 450 }, () => '__typename').join(' ');
    expect((await hub.gql(`{ ${many} }`)).errors?.[0]?.message).toMatch(/token/i);
  });

  it('should refuse an oversized body with 413 and a page above 100 with a clear error', async () => {
    const res = await fetch(hub.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: bearer('admin') },
      body: JSON.stringify({ query: READ, variables: { pad: 'x'.repeat(30_000) } }),
    });
    expect(res.status).toBe(413);
    expect(codeOf(await hub.gql('{ projects(first: 1000) { totalCount } }'))).toBe(
      'PAGE_SIZE_EXCEEDED',
    );
  });

  it('should rate-limit writes per credential and write nothing once refused', async () => {
    const advance =
      'mutation($input: CreateProjectInput!) { createProject(input: $input) { __typename } }';
    const results: GraphQLResponse<CreateData>[] = [];
    for (let i = 0; i < 4; i++) {
      results.push(
        await hub.gql<CreateData>(
          advance,
          { input: { code: `RL-${i}`, name: `限速测试${i}`, stage: 'PLANNED' } },
          { authorization: bearer('editor') },
        ),
      );
    }
    expect(
      results
        .slice(0, 3)
        .every((r) => r.data?.createProject?.__typename === 'CreateProjectSuccess'),
    ).toBe(true);
    expect(codeOf(results[3]!)).toBe('RATE_LIMITED');
    expect(await hub.db.prisma.project.count({ where: { code: { startsWith: 'RL-' } } })).toBe(3);
    // Another credential has its own budget.
    const other = await hub.gql<CreateData>(
      advance,
      { input: { code: 'RL-9', name: '限速测试9', stage: 'PLANNED' } },
      { authorization: bearer('admin') },
    );
    expect(other.data?.createProject?.__typename).toBe('CreateProjectSuccess');
  });

  it.each([
    [
      'malformed JSON',
      { 'content-type': 'application/json' },
      '{"query": "{ projects { totalCount }"',
      400,
    ],
    [
      'a syntax error',
      { 'content-type': 'application/json' },
      JSON.stringify({ query: '{ projects {' }),
      400,
    ],
    [
      'an unknown field',
      { 'content-type': 'application/json' },
      JSON.stringify({ query: '{ nope }' }),
      400,
    ],
    [
      'a wrong variable type',
      { 'content-type': 'application/json' },
      JSON.stringify({
        query: 'query($n: Int) { projects(first: $n) { totalCount } }',
        variables: { n: 'many' },
      }),
      400,
    ],
    [
      'a form post (CSRF)',
      { 'content-type': 'application/x-www-form-urlencoded' },
      'query=%7B__typename%7D',
      403,
    ],
  ])('should answer %s with a 4xx, never a 500', async (_what, headers, body, status) => {
    const before = await hub.db.prisma.project.count();
    const res = await fetch(hub.url, {
      method: 'POST',
      headers: {
        ...headers,
        accept: 'application/graphql-response+json',
        authorization: bearer('admin'),
      },
      body,
    });
    expect(res.status).toBe(status);
    expect(await hub.db.prisma.project.count()).toBe(before);
  });

  it('should refuse a GET query without the CSRF header and accept it with one', async () => {
    const url = `${hub.url}?query=${encodeURIComponent('{ __typename }')}`;
    expect((await fetch(url, { headers: { authorization: bearer('viewer') } })).status).toBe(403);
    expect(
      (
        await fetch(url, {
          headers: { authorization: bearer('viewer'), 'x-graphql-yoga-csrf': '1' },
        })
      ).status,
    ).toBe(200);
  });
});

describe('operator switches', () => {
  it('should serve introspection and GraphiQL by default and neither when switched off', async () => {
    const open = await hubWith();
    expect(
      (
        await open.gql<{ __schema: { queryType: { name: string } } }>(
          '{ __schema { queryType { name } } }',
        )
      ).data?.__schema.queryType.name,
    ).toBe('Query');
    expect(await (await fetch(open.url, { headers: { accept: 'text/html' } })).text()).toMatch(
      /graphiql/i,
    );
    const closed = await hubWith({ HUB_INTROSPECTION: 'false', HUB_GRAPHIQL: 'false' });
    expect((await closed.gql('{ __schema { queryType { name } } }')).errors?.[0]?.message).toMatch(
      /introspection/i,
    );
    expect(
      await (await fetch(closed.url, { headers: { accept: 'text/html' } })).text(),
    ).not.toMatch(/graphiql/i);
  });

  it('should accept only saved operations in trusted-documents mode, by text or by id', async () => {
    const hub = await hubWith({ HUB_TRUSTED_DOCUMENTS: 'true' });
    expect(codeOf(await hub.gql(READ))).toBe('PERSISTED_QUERY_ONLY');
    const saved = readFileSync(path.join(operationsDir, '10-dashboard.graphql'), 'utf8');
    expect((await hub.gql(saved, { year: 2025 })).data?.dashboard).toBeTruthy();
    // A saved operation sent by its hash only (Apollo's persisted-query extension).
    const byId = async (document: string) => {
      const res = await fetch(hub.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: bearer('viewer') },
        body: JSON.stringify({
          extensions: {
            persistedQuery: {
              version: 1,
              sha256Hash: createHash('sha256').update(document).digest('hex'),
            },
          },
          variables: { year: 2025 },
        }),
      });
      return ((await res.json()) as { data?: Record<string, unknown> }).data;
    };
    expect((await byId(saved))?.dashboard).toBeTruthy();
    // Another saved operation by id, same variables: its own answer, not the one kept for the first.
    const parks = readFileSync(path.join(operationsDir, '40-park-overview.graphql'), 'utf8');
    for (let i = 0; i < 2; i++) {
      const answer = await byId(parks);
      expect(answer?.dashboard).toBeUndefined();
      expect(answer?.parks).toBeTruthy();
    }
  });
});

describe('health, readiness and metrics', () => {
  it('should report alive and ready, count requests in /metrics, and fail readiness when the database is down', async () => {
    // A database of its own: the test closes it.
    const hub = await startTestHub();
    const base = hub.url.replace(/\/graphql$/, '');
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    // The sum of a metric's samples over all its label sets.
    const count = async (metric: string) => {
      const text = await (await fetch(`${base}/metrics`)).text();
      const lines = text
        .split('\n')
        .filter(
          (l) =>
            l.startsWith(metric.includes('{') ? metric : `${metric}{`) ||
            l.startsWith(`${metric} `),
        );
      return lines.reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    };
    const before = { executed: await count('graphql_envelop_request_duration_count') };
    await hub.gql(READ);
    await hub.gql(READ);
    await hub.gql(READ);
    // The first two are executed (an answer is kept from its second request); the third is
    // answered from the response cache, and counted there.
    expect(await count('graphql_envelop_request_duration_count')).toBe(before.executed + 2);
    expect(await count('hub_response_cache_total{result="hit"')).toBe(1);
    const exposition = await (await fetch(`${base}/metrics`)).text();
    expect(exposition).toMatch(/hub_subscriptions_open/);
    // Left out: a walk of every document for deprecated fields (there are none), and a summary
    // whose quantiles the duration histogram already gives.
    expect(exposition).not.toMatch(
      /graphql_envelop_deprecated_field|graphql_envelop_request_time_summary/,
    );
    await hub.db.close();
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: { database: string } }).checks.database).not.toBe(
      'ok',
    );
    await hub.app.stop();
  });
});

describe('subscription metrics', () => {
  it('should count open streams and the results delivered on them, by transport', async () => {
    const hub = await hubWith();
    const [project] = await createTestProjects(hub.db.prisma, 1, { prefix: 'MET' });
    const metric = async (name: string, transport: string) => {
      const text = await (await fetch(hub.url.replace(/\/graphql$/, '/metrics'))).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name}{transport="${transport}"}`));
      return Number(line?.split(' ').pop() ?? 0);
    };
    const ws = await subscribeWs(hub.url, STAGE_CHANGED);
    const sse = await subscribeSse(hub.url, STAGE_CHANGED);
    await waitUntil(
      async () =>
        (await metric('hub_subscriptions_open', 'ws')) === 1 &&
        (await metric('hub_subscriptions_open', 'sse')) === 1,
      'both streams counted open',
    );
    await advance(hub, project!.globalId, 'SIGNED');
    await advance(hub, project!.globalId, 'LANDED');
    await ws.recorder.waitForResults(2);
    await sse.recorder.waitForResults(2);
    expect(await metric('hub_events_delivered_total', 'ws')).toBe(2);
    expect(await metric('hub_events_delivered_total', 'sse')).toBe(2);
    await ws.dispose();
    await sse.dispose();
    await waitUntil(
      async () =>
        (await metric('hub_subscriptions_open', 'ws')) === 0 &&
        (await metric('hub_subscriptions_open', 'sse')) === 0,
      'both streams counted closed',
    );
  });
});

describe('request logs', () => {
  it('should log one JSON line per request with its request id, echo the id, and never log a credential', async () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
    const hub = await hubWith({}, { logger });
    const res = await fetch(hub.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: bearer('editor'),
        'x-request-id': 'wall-7.req-1',
      },
      body: JSON.stringify({ query: READ }),
    });
    expect(res.headers.get('x-request-id')).toBe('wall-7.req-1');
    const generated = (
      await fetch(hub.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: READ }),
      })
    ).headers.get('x-request-id');
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    const entries = lines.map(
      (l) => JSON.parse(l) as { reqId?: string; path?: string; status?: number; msg?: string },
    );
    expect(entries).toContainEqual(
      expect.objectContaining({
        reqId: 'wall-7.req-1',
        path: '/graphql',
        status: 200,
        msg: 'request',
      }),
    );
    expect(entries).toContainEqual(expect.objectContaining({ reqId: generated }));
    expect(lines.join('\n')).not.toContain(testKeys.editor);
  });
});

describe('GraphQL over HTTP compliance (graphql-http audit)', () => {
  it('should pass every MUST of the audit suite', async () => {
    const hub = await hubWith();
    const results = await auditServer({
      url: hub.url,
      fetchFn: (input: RequestInfo | URL, init?: RequestInit) =>
        fetch(input, {
          ...init,
          headers: {
            ...Object.fromEntries(new Headers(init?.headers)),
            authorization: bearer('viewer'),
            'x-graphql-yoga-csrf': '1',
          },
        }),
    });
    const failedMusts = results.filter((r) => r.name.startsWith('MUST') && r.status !== 'ok');
    expect(failedMusts.map((r) => `${r.name}: ${'reason' in r ? r.reason : ''}`)).toEqual([]);
    expect(results.filter((r) => r.name.startsWith('MUST')).length).toBeGreaterThan(10);
  });
});
