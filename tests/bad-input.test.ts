/**
 * Bad input gets a clear GraphQL error or a 4xx and changes nothing; never INTERNAL_SERVER_ERROR,
 * never a 5xx. First the cases the issue named and the property test found, each kept as an
 * example; then the property test itself: fast-check sends generated arguments to every root
 * field and every nested field with arguments, derived from the schema (tests/helpers/
 * hostile-input.ts), over HTTP and SSE through `yoga.fetch`, as an admin so every mutation
 * reaches its service. It runs with a fixed seed; FUZZ_SEED and FUZZ_RUNS pick others.
 */
import { encodeGlobalID } from '@pothos/plugin-relay';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { schema } from '../src/schema/index.ts';
import { createProject } from '../src/services/projects.ts';
import { bearer } from './helpers/auth.ts';
import { describeEachEngine } from './helpers/db.ts';
import { databaseSnapshot, TEST_ACTOR } from './helpers/fixtures.ts';
import { type HostileCase, hostileCases } from './helpers/hostile-input.ts';
import { type GraphQLResponse, startTestHub, type TestHub } from './helpers/server.ts';
import { subscribeSse } from './helpers/sse-client.ts';
import { subscribeWs } from './helpers/ws-client.ts';

/** What came back: the HTTP status and every GraphQL result (one for HTTP, each event for SSE). */
interface Answer {
  status: number;
  results: { data?: unknown; errors?: { message: string; extensions?: { code?: unknown } }[] }[];
}

/** How long a subscription may stay silent before it counts as started (no error came). */
const SSE_QUIET_MS = 150;

/** Sends one operation through `yoga.fetch`; a subscription over SSE, read until it completes, goes quiet or sent five results. */
async function send(
  hub: TestHub,
  c: Pick<HostileCase, 'kind' | 'document' | 'variables'>,
): Promise<Answer> {
  const abort = new AbortController();
  const res = await hub.app.yoga.fetch('http://hub.test/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: c.kind === 'subscription' ? 'text/event-stream' : 'application/graphql-response+json',
      authorization: bearer('admin'),
    },
    body: JSON.stringify({ query: c.document, variables: c.variables }),
    signal: abort.signal,
  });
  const answer: Answer = { status: res.status, results: [] };
  if (!res.headers.get('content-type')?.includes('text/event-stream')) {
    const text = await res.text();
    try {
      answer.results.push(JSON.parse(text));
    } catch {
      if (res.status < 400)
        throw new Error(`not JSON with status ${res.status}: ${text.slice(0, 200)}`);
    }
    return answer;
  }
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const quiet = new Promise<'quiet'>((resolve) =>
        setTimeout(() => resolve('quiet'), SSE_QUIET_MS),
      );
      const chunk = await Promise.race([reader.read(), quiet]);
      if (chunk === 'quiet' || chunk.done) break;
      buffer += chunk.value;
      let complete = false;
      for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = /^event: *(.*)$/m.exec(block)?.[1];
        const data = block
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trimStart())
          .join('\n');
        if (event === 'next' && data) answer.results.push(JSON.parse(data));
        if (event === 'complete') complete = true;
      }
      if (complete || answer.results.length >= 5) break;
    }
  } finally {
    abort.abort();
    await reader.cancel().catch(() => undefined);
  }
  return answer;
}

/** The refusals of an answer that are internal errors, or a 5xx: what must never happen. */
function internalFailures(answer: Answer): string[] {
  const failures: string[] = [];
  if (answer.status >= 500) failures.push(`HTTP ${answer.status}`);
  for (const result of answer.results) {
    for (const error of result.errors ?? []) {
      if (
        error.extensions?.code === 'INTERNAL_SERVER_ERROR' ||
        error.message === 'Unexpected error.'
      ) {
        failures.push(`${error.message} (${String(error.extensions?.code)})`);
      }
    }
  }
  return failures;
}

/** A short name for what an answer was: `200 data`, `200 BAD_USER_INPUT`, `400`, `200 ValidationError`... */
function outcome(answer: Answer): string {
  const first = answer.results[0];
  const code = first?.errors?.[0]?.extensions?.code;
  if (code) return `${answer.status} ${String(code)}`;
  if (first?.errors?.length) return `${answer.status} error without code`;
  const data = first?.data as Record<string, { __typename?: string } | null> | undefined;
  const typename = data && Object.values(data)[0]?.__typename;
  return `${answer.status} ${typename && /Error$/.test(typename) ? typename : first ? 'data' : 'no result'}`;
}

const seed = Number(process.env.FUZZ_SEED ?? 20261213);
const numRuns = Number(process.env.FUZZ_RUNS ?? 3000);

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** The code of a response's first error. */
function codeOf(res: Pick<GraphQLResponse, 'errors'>): unknown {
  return res.errors?.[0]?.extensions?.code;
}

const PROJECTS =
  'query P($filter: ProjectFilter, $after: String) { projects(filter: $filter, after: $after) { totalCount edges { node { code } } } }';
interface ProjectsData {
  projects: { totalCount: number; edges: { node: { code: string } }[] };
}
const CREATE = `mutation C($input: CreateProjectInput!) {
  createProject(input: $input) { __typename ... on ValidationError { problems { path message } } ... on CreateProjectSuccess { project { code } } }
}`;
const STAGE_CHANGED =
  'subscription S($filter: ProjectFilter, $after: String) { projectStageChanged(filter: $filter, after: $after) { sequence project { code } } }';

interface StageChangedData {
  projectStageChanged: { sequence: string; project: { code: string } };
}

/** Projects whose names hold LIKE's wildcards and escape, and one a wildcard would match by mistake. */
const WILDCARD_PROJECTS = [
  { code: 'W-PCT', name: '完成率100%项目', nameEn: 'Done 100% plant' },
  { code: 'W-UND', name: 'A_B项目', nameEn: 'a_b works' },
  { code: 'W-BSL', name: 'C\\D项目', nameEn: 'c\\d works' },
  { code: 'W-CTL', name: 'AxB项目', nameEn: 'Done 1000 plant' },
];

/** What `nameContains` means, read literally: the Chinese name contains it, the English name in any case, or the code is it. */
function matchesLiterally(
  project: { code: string; name: string; nameEn: string | null },
  text: string,
): boolean {
  const t = text.trim();
  return (
    !t ||
    project.name.includes(t) ||
    (project.nameEn ?? '').toLowerCase().includes(t.toLowerCase()) ||
    project.code === t
  );
}

describeEachEngine('bad input', (engine) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ engine });
    for (const p of WILDCARD_PROJECTS)
      await createProject(
        { prisma: hub.db.prisma },
        { ...p, stageOccurredOn: new Date('2025-03-01T00:00:00Z') },
        TEST_ACTOR,
      );
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('should refuse text the database cannot store in any argument, with BAD_USER_INPUT naming it', async () => {
    const nul = await hub.gql(PROJECTS, { filter: { nameContains: 'a\u0000b' } });
    expect(codeOf(nul)).toBe('BAD_USER_INPUT');
    expect(nul.errors![0]!.message).toBe(
      'Argument `filter.nameContains` of `projects` must not contain the NUL character (U+0000), which the database cannot store',
    );
    const surrogate = await hub.gql(PROJECTS, { filter: { nameContains: 'x\ud800' } });
    expect(codeOf(surrogate)).toBe('BAD_USER_INPUT');
    expect(surrogate.errors![0]!.message).toMatch(
      /`filter.nameContains` of `projects` must not contain an unpaired UTF-16 surrogate/,
    );
    // Lookups by code and name take the same rule.
    expect(
      codeOf(
        await hub.gql('query($c: String!) { reportedFigure(code: $c) { id } }', { c: '\u0000' }),
      ),
    ).toBe('BAD_USER_INPUT');
    expect(
      codeOf(
        await hub.gql('query($c: String) { reportedFigures(category: $c) { id } }', {
          c: '\udfff',
        }),
      ),
    ).toBe('BAD_USER_INPUT');
    // A paired surrogate (an emoji) is text like any other.
    expect(
      (await hub.gql<ProjectsData>(PROJECTS, { filter: { nameContains: '😀' } })).data?.projects
        .totalCount,
    ).toBe(0);
  });

  it('should refuse a filter string longer than 256 characters, and take one of 256', async () => {
    const long = await hub.gql(PROJECTS, { filter: { nameContains: '项'.repeat(257) } });
    expect(codeOf(long)).toBe('BAD_USER_INPUT');
    expect(long.errors![0]!.message).toBe(
      'Argument `filter.nameContains` of `projects` must be at most 256 characters (it has 257)',
    );
    const longest = await hub.gql<ProjectsData>(PROJECTS, {
      filter: { nameContains: '项'.repeat(256) },
    });
    expect(longest.errors).toBeUndefined();
    expect(longest.data?.projects.totalCount).toBe(0);
    // Nested arguments of a read take the same bound.
    const nested = await hub.gql(
      'query($m: String) { logisticsChannels { observations(metric: $m) { id } } }',
      { m: 'x'.repeat(300) },
    );
    expect(codeOf(nested)).toBe('BAD_USER_INPUT');
    // A mutation's own input keeps its own limits: a 300-character description is written.
    const created = await hub.gql(CREATE, {
      input: { code: 'N-LONG-TEXT', name: '长描述项目', description: '述'.repeat(300) },
    });
    expect(created.errors).toBeUndefined();
    expect(created.data?.createProject).toEqual({
      __typename: 'CreateProjectSuccess',
      project: { code: 'N-LONG-TEXT' },
    });
  });

  it('should check the arguments of nested fields before the root field reads the database', async () => {
    // plugin-prisma reads `observations` with `logisticsChannels`: the literal must be refused first.
    const nested = await hub.gql(
      '{ logisticsChannels { observations(metric: "dis\\u0000patches") { id } } }',
    );
    expect(nested.errors![0]).toMatchObject({
      message:
        'Argument `metric` of `logisticsChannels.observations` must not contain the NUL character (U+0000), which the database cannot store',
      path: ['logisticsChannels'],
      extensions: { code: 'BAD_USER_INPUT' },
    });
    // In a mutation's payload: refused before the write.
    const before = await databaseSnapshot(hub.db.prisma);
    const payload = await hub.gql(
      `mutation($input: CreateProjectInput!, $after: String) {
        createProject(input: $input) { ... on CreateProjectSuccess { project { stageHistory(after: $after) { totalCount } } } }
      }`,
      { input: { code: 'N-NESTED', name: '嵌套参数项目' }, after: '\u0000' },
    );
    expect(codeOf(payload)).toBe('BAD_USER_INPUT');
    expect(await databaseSnapshot(hub.db.prisma)).toEqual(before);
  });

  it('should answer such text in a mutation input with its ValidationError, and write nothing', async () => {
    const before = await databaseSnapshot(hub.db.prisma);
    const created = await hub.gql(CREATE, {
      input: { code: 'N-NUL', name: '新项目\u0000', notes: 'ok', investor: '\ud800投资方' },
    });
    expect(created.data?.createProject).toEqual({
      __typename: 'ValidationError',
      problems: [
        {
          path: ['input', 'investor'],
          message:
            'investor must not contain an unpaired UTF-16 surrogate (U+D800 to U+DFFF), which is not Unicode text',
        },
        {
          path: ['input', 'name'],
          message:
            'name must not contain the NUL character (U+0000), which the database cannot store',
        },
      ],
    });
    const advanced = await hub.gql(
      'mutation($input: AdvanceProjectStageInput!) { advanceProjectStage(input: $input) { __typename ... on Error { message } } }',
      { input: { projectId: encodeGlobalID('Project', 1), toStage: 'CANCELLED', note: '\u0000' } },
    );
    expect(advanced.data?.advanceProjectStage).toEqual({
      __typename: 'ValidationError',
      message: 'note must not contain the NUL character (U+0000), which the database cannot store',
    });
    expect(await databaseSnapshot(hub.db.prisma)).toEqual(before);
  });

  it('should refuse ids that do not decode to a row key of their type', async () => {
    const node = (id: string) => hub.gql('query($id: ID!) { node(id: $id) { id } }', { id });
    // `Project:1.5` used to find row 1.
    for (const key of [
      '1.5',
      '1e0',
      '-1',
      '0',
      '01',
      '2147483648',
      '99999999999999999999',
      '\u0000',
      'abc',
    ]) {
      const res = await node(encodeGlobalID('Project', key));
      expect(res.data?.node ?? null, key).toBeNull();
      expect(codeOf(res), key).toBe('BAD_USER_INPUT');
    }
    expect(codeOf(await node('not base64!'))).toBe('BAD_USER_INPUT');
    expect((await node(encodeGlobalID('Project', 1))).data?.node).toEqual({
      id: encodeGlobalID('Project', 1),
    });
    expect((await node(encodeGlobalID('Project', 2147483647))).data?.node).toBeNull();
    // Found by the property test: a stage event that does not exist is null, as every other type.
    expect(await node(encodeGlobalID('ProjectStageEvent', 2147483647))).toEqual({
      data: { node: null },
    });
    expect(
      await hub.gql('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', {
        ids: [encodeGlobalID('ProjectStageEvent', 2147483647)],
      }),
    ).toEqual({
      data: { nodes: [null] },
    });

    // Id filters: a park id that is not a number, or another type's id, is an error, not "no filter".
    for (const parkId of [
      encodeGlobalID('Park', 'abc'),
      encodeGlobalID('Park', '1.5'),
      encodeGlobalID('Project', '1'),
      'UGFyazo=',
    ]) {
      const res = await hub.gql(PROJECTS, { filter: { parkId } });
      expect(res.data ?? null, parkId).toBeNull();
      expect(codeOf(res), parkId).toBe('BAD_USER_INPUT');
    }
    expect(
      codeOf(
        await hub.gql(
          'query($f: FundingAwardFilter) { fundingAwards(filter: $f) { totalCount } }',
          { f: { projectId: encodeGlobalID('Project', '1.5') } },
        ),
      ),
    ).toBe('BAD_USER_INPUT');
    // A mutation answers its typed NotFoundError, and writes nothing.
    const before = await databaseSnapshot(hub.db.prisma);
    const update = await hub.gql(
      'mutation($input: UpdateProjectInput!) { updateProject(input: $input) { __typename ... on NotFoundError { id } } }',
      { input: { id: encodeGlobalID('Project', '1.5'), notes: 'x' } },
    );
    expect(update.data?.updateProject).toEqual({
      __typename: 'NotFoundError',
      id: encodeGlobalID('Project', '1.5'),
    });
    expect(await databaseSnapshot(hub.db.prisma)).toEqual(before);
  });

  it('should refuse forged cursors and log positions beyond the database range', async () => {
    const first = await hub.gql<{ projects: { pageInfo: { endCursor: string } } }>(
      '{ projects(first: 1) { pageInfo { endCursor } } }',
    );
    expect(
      (await hub.gql(PROJECTS, { after: first.data?.projects.pageInfo.endCursor })).errors,
    ).toBeUndefined();
    for (const forged of [
      'GPC:N:1.5',
      'GPC:N:1e30',
      'GPC:N:-1',
      'GPC:S:1',
      'GPC:I:1',
      'GPC:Z:',
      'GPC:O:{"id":1}',
      'GPC:T:["N:1"]',
    ]) {
      expect(codeOf(await hub.gql(PROJECTS, { after: b64(forged) })), forged).toBe(
        'BAD_USER_INPUT',
      );
    }
    // Nested connections: their cursors are read while the parent resolves.
    const nested = await hub.gql(
      'query($after: String) { parks { projects(after: $after) { totalCount } } }',
      { after: b64('GPC:N:99999999999') },
    );
    expect(nested.errors![0]).toMatchObject({
      path: ['parks'],
      extensions: { code: 'BAD_USER_INPUT' },
    });
    const history =
      'query($after: String) { projects(first: 1) { edges { node { stageHistory(after: $after) { totalCount } } } } }';
    expect(codeOf(await hub.gql(history, { after: b64('GPC:I:9223372036854775808') }))).toBe(
      'BAD_USER_INPUT',
    );
    expect((await hub.gql(history, { after: b64('GPC:I:1') })).errors).toBeUndefined();
    // Log positions: decimal digits within PostgreSQL's bigint.
    const events = 'query($after: String) { stageEvents(after: $after, first: 1) { totalCount } }';
    expect(codeOf(await hub.gql(events, { after: '9223372036854775808' }))).toBe('BAD_USER_INPUT');
    expect((await hub.gql(events, { after: '9223372036854775807' })).errors).toBeUndefined();
  });

  it('should take the first and last calendar dates as filter bounds', async () => {
    const all = (await hub.gql<ProjectsData>(PROJECTS)).data?.projects.totalCount;
    const bounded = await hub.gql<ProjectsData>(PROJECTS, {
      filter: { changedFrom: '0100-01-01', changedTo: '9999-12-31' },
    });
    expect(bounded.data?.projects.totalCount).toBe(all);
  });

  it('should match %, _ and \\ literally in nameContains, over HTTP, SSE and the CSV export', async () => {
    const projects = await hub.db.prisma.project.findMany({
      select: { code: true, name: true, nameEn: true },
    });
    const codes = async (text: string) => {
      const res = await hub.gql<ProjectsData>(
        'query($f: ProjectFilter) { projects(filter: $f, first: 100) { totalCount edges { node { code } } } }',
        { f: { nameContains: text } },
      );
      return res.data!.projects.edges.map((e) => e.node.code).sort();
    };
    expect(await codes('%')).toEqual(['W-PCT']);
    expect(await codes('A_B')).toEqual(['W-UND']);
    expect(await codes('C\\D')).toEqual(['W-BSL']);
    expect(await codes('100%')).toEqual(['W-PCT']);
    // Any text from an alphabet of wildcards: the API agrees with a literal reading.
    await fc.assert(
      fc.asyncProperty(
        fc.string({
          unit: fc.constantFrom('%', '_', '\\', 'A', 'b', 'x', '0', '1', '项', '目', ' '),
          minLength: 1,
          maxLength: 4,
        }),
        async (text) => {
          const expected = projects
            .filter((p) => matchesLiterally(p, text))
            .map((p) => p.code)
            .sort();
          const res = await hub.gql<ProjectsData>(
            'query($f: ProjectFilter) { projects(filter: $f) { totalCount } }',
            { f: { nameContains: text } },
          );
          expect(res.data?.projects.totalCount).toBe(expected.length);
        },
      ),
      { seed, numRuns: 60 },
    );

    // SSE: a replay filtered by "%" holds only the project named with it, then goes on live.
    const sse = await subscribeSse<StageChangedData>(hub.url, STAGE_CHANGED, {
      filter: { nameContains: '%' },
      after: '0',
    });
    try {
      await sse.recorder.waitForResults(1);
      await hub.gql(
        'mutation($input: AdvanceProjectStageInput!) { advanceProjectStage(input: $input) { __typename } }',
        {
          input: {
            projectId: encodeGlobalID(
              'Project',
              (await hub.db.prisma.project.findUniqueOrThrow({ where: { code: 'W-PCT' } })).id,
            ),
            toStage: 'SIGNED',
          },
        },
      );
      await sse.recorder.waitForResults(2);
      expect(sse.recorder.data().map((d) => d.projectStageChanged.project.code)).toEqual([
        'W-PCT',
        'W-PCT',
      ]);
    } finally {
      await sse.dispose();
    }

    // The CSV export takes the same filter.
    const csv = await fetch(
      `${hub.url.replace(/\/graphql$/, '')}/export/projects.csv?nameContains=${encodeURIComponent('_')}`,
      {
        headers: { authorization: bearer('viewer') },
      },
    );
    expect(csv.status).toBe(200);
    const rows = parse(await csv.text(), { bom: true }) as string[][];
    expect(rows.slice(1).map((r) => r[0])).toEqual(
      projects.filter((p) => matchesLiterally(p, '_')).map((p) => p.code),
    );
  });

  it('should refuse such input over SSE and graphql-ws for that operation only', async () => {
    const variables = { filter: { parkId: encodeGlobalID('Park', 'abc') } };
    const sse = await subscribeSse(hub.url, STAGE_CHANGED, variables);
    try {
      const [result] = await sse.recorder.waitForResults(1);
      expect(codeOf(result!)).toBe('BAD_USER_INPUT');
      expect(await sse.recorder.ended).toEqual({ kind: 'complete' });
    } finally {
      await sse.dispose();
    }
    const ws = await subscribeWs(hub.url, STAGE_CHANGED, { filter: { nameContains: '\u0000' } });
    try {
      const [result] = await ws.recorder.waitForResults(1);
      expect(result!.errors![0]!.message).toBe(
        'Argument `filter.nameContains` of `projectStageChanged` must not contain the NUL character (U+0000), which the database cannot store',
      );
      expect(codeOf(result!)).toBe('BAD_USER_INPUT');
      expect(await ws.recorder.ended).toEqual({ kind: 'complete' });
      // The socket stays open for the client's other operations.
      const other = await new Promise<unknown>((resolve, reject) => {
        ws.client.subscribe(
          { query: '{ parks { code } }' },
          { next: (r) => resolve(r), error: reject, complete: () => undefined },
        );
      });
      expect((other as GraphQLResponse<{ parks: unknown[] }>).data?.parks.length).toBeGreaterThan(
        0,
      );
    } finally {
      await ws.dispose();
    }
  });

  it('should answer bad export filters with 400, never a 5xx', async () => {
    const base = hub.url.replace(/\/graphql$/, '');
    const at = (path: string) =>
      fetch(`${base}${path}`, { headers: { authorization: bearer('viewer') } });
    for (const query of [
      'nameContains=a%00b',
      'park=%00',
      'sector=x%00',
      'after=9223372036854775808',
      'changedTo=2025-02-30',
      'stage=%00',
      `nameContains=${'a'.repeat(257)}`,
    ]) {
      const res = await at(
        `/export/projects.csv?${query}`.replace('projects.csv?after', 'stage-events.csv?after'),
      );
      expect(res.status, query).toBe(400);
      expect(await res.json(), query).toEqual({ error: expect.any(String) });
    }
    expect((await at('/export/projects.csv?changedTo=9999-12-31')).status).toBe(200);
    // Any filter values: 200 with a whole file, or 400.
    const keys = [
      'stage',
      'park',
      'sector',
      'nameContains',
      'plannedInvestmentMin',
      'plannedInvestmentMax',
      'reachedStage',
      'reachedFrom',
      'reachedTo',
      'changedFrom',
      'changedTo',
      'after',
    ];
    const value = fc.oneof(
      fc.string({
        unit: fc.constantFrom(
          '\u0000',
          '%',
          '_',
          '\\',
          '1',
          '9',
          '-',
          '.',
          ',',
          '/',
          'a',
          'Z',
          '中',
          '\ud800',
        ),
        maxLength: 25,
      }),
      fc.constantFrom(
        'SIGNED',
        '签约',
        'china-russia-park',
        '9999-12-31',
        '0000-01-01',
        '2025-02-29',
        '1e30',
        '99999999999999999999999',
        '-1',
        '0',
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 4 }),
        fc.boolean(),
        async (params, events) => {
          const res = await at(
            `/export/${events ? 'stage-events' : 'projects'}.csv?${new URLSearchParams(params)}`,
          );
          const body = await res.text();
          expect([200, 400], body).toContain(res.status);
          if (res.status === 200) expect(body.endsWith('\r\n'), 'a whole file').toBe(true);
        },
      ),
      { seed, numRuns: 150 },
    );
  });

  it('should answer generated arguments of every field without an internal error or a 5xx', async () => {
    const { arbitrary, targets } = hostileCases(schema);
    expect(targets).toEqual(
      expect.arrayContaining([
        'Query.projects',
        'Mutation.createProject',
        'Subscription.projectStageChanged',
        'Park.projects',
      ]),
    );
    const tally = new Map<string, number>();
    const perTarget = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(arbitrary, async (c) => {
        const answer = await send(hub, c);
        const failures = internalFailures(answer);
        if (failures.length) throw new Error(`${c.target}: ${failures.join('; ')}`);
        tally.set(outcome(answer), (tally.get(outcome(answer)) ?? 0) + 1);
        perTarget.set(c.target, (perTarget.get(c.target) ?? 0) + 1);
      }),
      { seed, numRuns },
    );
    console.log(
      `bad input [${engine}]: ${numRuns} cases, seed ${seed}, ${perTarget.size} of ${targets.length} fields:`,
      Object.fromEntries([...tally].sort((a, b) => b[1] - a[1])),
    );
    expect(perTarget.size).toBe(targets.length);
  }, 240_000);
});
