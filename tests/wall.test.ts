/**
 * The wall display in a real browser: Debian's chromium driven by playwright-core. Skipped, with
 * a printed reason, only when no chromium binary exists (CHROMIUM_PATH or /usr/bin/chromium).
 *
 * The hub runs with API keys and no anonymous access, and the page gets a viewer key in its URL
 * fragment, so these tests also check that the page sends `#token=` as graphql-ws
 * connectionParams (while the hub has no authentication, the settings are simply unused).
 */
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsRun, launchChromium } from './helpers/browser.ts';
import { startTestHub, type TestHub } from './helpers/server.ts';

const haveChromium = browserTestsRun('wall');

/** Where the screenshot of the page goes (not committed). */
const screenshotPath = process.env.WALL_SCREENSHOT || path.join(tmpdir(), 'wall.png');

const EDITOR_KEY = 'wall-test-editor-key-0123456789';
const VIEWER_KEY = 'wall-test-viewer-key-0123456789';
const env = {
  HUB_API_KEYS: `editor:${EDITOR_KEY},viewer:${VIEWER_KEY}`,
  HUB_ANONYMOUS_ROLE: 'none',
};
const asEditor = { authorization: `Bearer ${EDITOR_KEY}` };

const DASHBOARD = /* GraphQL */ `
  query ($year: Int) {
    dashboard(year: $year) {
      year
      stageFunnel { stage current { count } reached { count } }
      targets { target { code } actualValue targetValue computedRate }
    }
  }`;

const ADVANCE = /* GraphQL */ `
  mutation ($input: AdvanceProjectStageInput!) {
    advanceProjectStage(input: $input) {
      __typename
      ... on Error { message }
      ... on AdvanceProjectStageSuccess { event { sequence fromStage toStage project { name } } }
    }
  }`;

interface Funnel {
  stage: string;
  current: { count: number };
  reached: { count: number };
}
interface Dashboard {
  year: number;
  stageFunnel: Funnel[];
  targets: {
    target: { code: string };
    actualValue: string | null;
    targetValue: string;
    computedRate: string | null;
  }[];
}

async function dashboard(hub: TestHub, year: number): Promise<Dashboard> {
  const res = await hub.gql<{ dashboard: Dashboard }>(DASHBOARD, { year }, asEditor);
  expect(res.errors).toBeUndefined();
  return res.data!.dashboard;
}

async function projectId(hub: TestHub, name: string): Promise<string> {
  const res = await hub.gql<{ projects: { edges: { node: { id: string } }[] } }>(
    `query ($name: String!) { projects(filter: { nameContains: $name }, first: 1) { edges { node { id } } } }`,
    { name },
    asEditor,
  );
  const id = res.data?.projects.edges[0]?.node.id;
  if (!id) throw new Error(`no project named ${name}: ${JSON.stringify(res)}`);
  return id;
}

/** Changes a stage through the API; returns the new event. */
async function advance(hub: TestHub, id: string, toStage: string) {
  const res = await hub.gql<{
    advanceProjectStage: {
      __typename: string;
      event?: { sequence: string; fromStage: string; toStage: string; project: { name: string } };
    };
  }>(ADVANCE, { input: { projectId: id, toStage } }, asEditor);
  const result = res.data?.advanceProjectStage;
  if (result?.__typename !== 'AdvanceProjectStageSuccess' || !result.event)
    throw new Error(`advance to ${toStage}: ${JSON.stringify(res)}`);
  return result.event;
}

/** The funnel as the page shows it: data-* attributes, and the numbers a person reads. */
function funnelOnPage(page: Page) {
  return page.$$eval('#funnel .funnel-row', (rows) =>
    rows.map((row) => ({
      stage: row.getAttribute('data-stage'),
      current: Number(row.getAttribute('data-current')),
      reached: Number(row.getAttribute('data-reached')),
      currentText: row.querySelector('.count.now')?.textContent,
      reachedText: row.querySelector('.count.reached')?.textContent,
    })),
  );
}

/** Resolves once the page's funnel row for `stage` shows `count` projects now. */
function waitForFunnelCount(page: Page, stage: string, count: number, timeout = 5_000) {
  return page.waitForFunction(
    ([s, c]) =>
      document
        .querySelector(`#funnel .funnel-row[data-stage="${s}"]`)
        ?.getAttribute('data-current') === String(c),
    [stage, count] as const,
    { timeout },
  );
}

describe.skipIf(!haveChromium)('the wall display at /wall', () => {
  let hub: TestHub;
  let browser: Browser;
  let page: Page;
  let base: string;
  const pageErrors: string[] = [];
  /** Servers running, stopped in afterAll; the database is closed last. */
  const servers: TestHub[] = [];
  const stop = async (server: TestHub) => {
    servers.splice(servers.indexOf(server), 1);
    await server.app.stop();
  };

  beforeAll(async () => {
    hub = await startTestHub({ env });
    servers.push(hub);
    base = new URL(hub.url).origin;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    for (const server of servers.splice(0)) await server.app.stop();
    await hub?.db.close();
  });

  it('should serve the page and its scripts with their content types and a strict Content-Security-Policy', async () => {
    for (const [file, type] of [
      ['/wall', 'text/html'],
      ['/wall/', 'text/html'],
      ['/wall/wall.js', 'text/javascript'],
      ['/wall/wall.css', 'text/css'],
      ['/wall/graphql-ws.js', 'text/javascript'],
      ['/wall/operations.json', 'application/json'],
    ] as const) {
      const res = await fetch(base + file);
      expect(res.status, file).toBe(200);
      expect(res.headers.get('content-type'), file).toContain(type);
      expect(res.headers.get('content-security-policy'), file).toContain(
        "default-src 'self'; connect-src 'self' ws: wss:",
      );
      expect(res.headers.get('x-content-type-options'), file).toBe('nosniff');
    }
    expect((await fetch(`${base}/wall/../package.json`)).status).not.toBe(200);
    expect((await fetch(`${base}/wall/secret.txt`)).status).toBe(404);
    expect((await fetch(`${base}/wall`, { method: 'POST' })).status).toBe(405);
  });

  it('should show the funnel and target figures the API returns', async () => {
    await page.goto(`${base}/wall#token=${VIEWER_KEY}`);
    await page.waitForSelector('#wall[data-ready="true"]', { timeout: 15_000 });
    await page.waitForSelector('#connection[data-state="connected"]');
    // The ticker has replayed the end of the log: its subscription is running.
    await page.waitForSelector('#ticker .change', { timeout: 15_000 });
    const year = Number(await page.getAttribute('#wall', 'data-year'));
    const api = await dashboard(hub, year);

    const shown = await funnelOnPage(page);
    const pipeline = api.stageFunnel.filter((s) => !['SUSPENDED', 'CANCELLED'].includes(s.stage));
    expect(shown.map((r) => r.stage)).toEqual(pipeline.map((s) => s.stage));
    for (const [i, step] of pipeline.entries()) {
      expect(shown[i], step.stage).toMatchObject({
        current: step.current.count,
        reached: step.reached.count,
        currentText: String(step.current.count),
        reachedText: String(step.reached.count),
      });
    }

    const targets = await page.$$eval('#targets .target', (rows) =>
      rows.map((row) => ({
        code: row.getAttribute('data-target'),
        actual: row.getAttribute('data-actual'),
        value: row.getAttribute('data-value'),
        rate: row.getAttribute('data-rate'),
        text: row.textContent,
      })),
    );
    expect(targets.map((t) => t.code)).toEqual(api.targets.map((t) => t.target.code));
    for (const [i, t] of api.targets.entries()) {
      expect(targets[i]).toMatchObject({
        actual: t.actualValue,
        value: t.targetValue,
        rate: t.computedRate,
      });
      if (t.computedRate != null)
        expect(targets[i]!.text).toContain(`${Number(t.computedRate).toFixed(1)}%`);
    }
    // The district report's own example: 26 of 60 planned completions, 43.3%.
    if (year === 2025)
      expect(targets.find((t) => t.code === 'lz-2025-target-completions')?.text).toMatch(
        /26\s*\/\s*60\s*43\.3%/,
      );
  });

  it('should show a stage change made through the API in the ticker within two seconds', async () => {
    const id = await projectId(hub, '昊明预制菜');
    const event = await advance(hub, id, 'TENDERED');
    const row = await page.waitForSelector(`#ticker .change[data-sequence="${event.sequence}"]`, {
      timeout: 2_000,
    });
    expect(await row.textContent()).toContain('昊明预制菜');
    expect(await row.$eval('.from', (n) => n.textContent)).toBe('审批/备案');
    expect(await row.$eval('.to', (n) => n.textContent)).toBe('招投标');
    expect(await row.$eval('.change-time', (n) => n.textContent)).toMatch(/^\d\d:\d\d:\d\d$/);

    // dashboardUpdated follows: the funnel shows the API's counts again.
    const year = Number(await page.getAttribute('#wall', 'data-year'));
    const api = await dashboard(hub, year);
    const tendered = api.stageFunnel.find((s) => s.stage === 'TENDERED')!.current.count;
    await waitForFunnelCount(page, 'TENDERED', tendered);
  });

  it('should show names from the database as text, never as markup', async () => {
    const name = '<img src=x id=injected onerror="document.title=1">新项目';
    const res = await hub.gql<{ createProject: { __typename: string } }>(
      `mutation ($input: CreateProjectInput!) { createProject(input: $input) { __typename } }`,
      { input: { code: 'WALL-XSS-1', name, stage: 'SIGNED' } },
      asEditor,
    );
    expect(res.data?.createProject.__typename).toBe('CreateProjectSuccess');
    await page.waitForFunction(
      (n) =>
        [...document.querySelectorAll('#ticker .change-project')].some((e) => e.textContent === n),
      name,
      { timeout: 5_000 },
    );
    expect(await page.$('#injected')).toBeNull();
    expect(await page.$$('#ticker img')).toHaveLength(0);
  });

  it('should reconnect after a server restart and show the change made while it was down', async () => {
    const port = Number(new URL(hub.url).port);
    const shownBefore = await page.$$eval('#ticker .change', (rows) =>
      rows.map((r) => r.getAttribute('data-sequence')),
    );
    await stop(hub);
    await page.waitForSelector('#connection[data-state="reconnecting"]', { timeout: 10_000 });

    // While the page's server is down, another server over the same database takes a change.
    const side = await startTestHub({ db: hub.db, env });
    servers.push(side);
    const id = await projectId(side, '昊明预制菜');
    const whileDown = await advance(side, id, 'LAND_ACQUIRED');
    await stop(side);
    expect(shownBefore).not.toContain(whileDown.sequence);

    // The server comes back on the same port, over the same database.
    const restarted = await startTestHub({ db: hub.db, env, port });
    servers.push(restarted);
    await page.waitForSelector('#connection[data-state="connected"]', { timeout: 20_000 });
    await page.waitForSelector(`#ticker .change[data-sequence="${whileDown.sequence}"]`, {
      timeout: 5_000,
    });
    expect(await page.$$(`#ticker .change[data-sequence="${whileDown.sequence}"]`)).toHaveLength(1);

    // And it is live again: the next change arrives within two seconds, once.
    const live = await advance(restarted, id, 'REGISTERED');
    await page.waitForSelector(`#ticker .change[data-sequence="${live.sequence}"]`, {
      timeout: 2_000,
    });
    const sequences = await page.$$eval('#ticker .change', (rows) =>
      rows.map((r) => r.getAttribute('data-sequence')!),
    );
    expect(new Set(sequences).size).toBe(sequences.length);
    expect(sequences.slice(0, 2)).toEqual([live.sequence, whileDown.sequence]);

    const year = Number(await page.getAttribute('#wall', 'data-year'));
    const api = await dashboard(restarted, year);
    await waitForFunnelCount(
      page,
      'REGISTERED',
      api.stageFunnel.find((s) => s.stage === 'REGISTERED')!.current.count,
    );

    await page.screenshot({ path: screenshotPath });
    console.info(`wall screenshot: ${screenshotPath}`);
  });

  it('should show English labels with ?lang=en and one park with ?park=', async () => {
    const server = servers.at(-1)!;
    const parks = await server.gql<{ parks: { id: string; name: string }[] }>(
      `{ parks { id name } }`,
      {},
      asEditor,
    );
    const park = parks.data!.parks[1]!;
    const id = await projectId(server, '昊明预制菜');
    const moved = await server.gql<{ updateProject: { __typename: string } }>(
      `mutation ($input: UpdateProjectInput!) { updateProject(input: $input) { __typename } }`,
      { input: { id, parkId: park.id } },
      asEditor,
    );
    expect(moved.data?.updateProject.__typename).toBe('UpdateProjectSuccess');

    const en = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    en.on('pageerror', (error) => pageErrors.push(error.message));
    await en.goto(`${base}/wall?lang=en&park=${encodeURIComponent(park.id)}#token=${VIEWER_KEY}`);
    await en.waitForSelector('#wall[data-ready="true"]', { timeout: 15_000 });
    expect(await en.textContent('h1')).toBe('Liaozhong key projects');
    expect(await en.getAttribute('html', 'lang')).toBe('en');

    // The park's funnel: each count is the API's filtered project total.
    const count = async (filter: Record<string, unknown>) =>
      (
        await server.gql<{ projects: { totalCount: number } }>(
          `query ($f: ProjectFilter) { projects(filter: $f) { totalCount } }`,
          { f: filter },
          asEditor,
        )
      ).data!.projects.totalCount;
    const registered = await count({ parkId: park.id, stage: ['REGISTERED'] });
    expect(registered).toBeGreaterThan(0);
    await waitForFunnelCount(en, 'REGISTERED', registered);
    expect(await en.textContent('#funnel .funnel-row[data-stage="REGISTERED"] .stage-name')).toBe(
      'Registered',
    );

    // The ticker shows only the park's projects' changes: first the project's earlier ones, replayed.
    await en.waitForSelector('#ticker .change', { timeout: 15_000 });
    const event = await advance(server, id, 'UNDER_CONSTRUCTION');
    const row = await en.waitForSelector(`#ticker .change[data-sequence="${event.sequence}"]`, {
      timeout: 5_000,
    });
    expect(await row.$eval('.to', (n) => n.textContent)).toBe('Construction');
    const projectsShown = await en.$$eval('#ticker .change', (rows) =>
      rows.map((r) => r.getAttribute('data-project')),
    );
    expect(new Set(projectsShown)).toEqual(new Set([id]));
    await en.close();
  });

  it('should say when the hub refuses its credential: none, or a wrong #token=', async () => {
    const server = servers.at(-1)!;
    const origin = new URL(server.url).origin;
    for (const fragment of ['', '#token=not-a-valid-key-0000000000']) {
      const refused = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
      await refused.goto(`${origin}/wall${fragment}`);
      await refused.waitForSelector('#connection[data-state="unauthorised"]', { timeout: 15_000 });
      expect(await refused.textContent('#connection-text')).toContain('未获授权');
      await refused.close();
    }
  });

  it('should have thrown no error in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
