/**
 * GraphiQL at /graphql as an analyst meets it, in a real browser (chromium via playwright-core):
 * on a first visit the first tab runs with its saved variables, and the live tabs stream over
 * SSE, while a request without GraphiQL's CSRF header is still refused.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { savedOperationTabs } from '../src/explorer.ts';
import { browserTestsRun, fontsDrawing, launchChromium } from './helpers/browser.ts';
import { advance } from './helpers/operations.ts';
import { startTestHub, type TestHub } from './helpers/server.ts';

const haveChromium = browserTestsRun('GraphiQL');

/** The active tab's title and the text of the variables editor. */
async function activeTab(page: Page): Promise<{ title: string | null; variables: string }> {
  return page.evaluate(() => ({
    title: document.querySelector('.graphiql-tab-active .graphiql-tab-button')?.textContent ?? null,
    variables: (
      (document.querySelector('.graphiql-editor-tool .view-lines') as HTMLElement | null)
        ?.textContent ?? ''
    ).replace(/\u00a0/g, ' '),
  }));
}

/** Resolves once the variables editor shows `text`. */
function variablesShow(page: Page, text: string) {
  return page.waitForFunction(
    (t) =>
      (
        document.querySelector('.graphiql-editor-tool .view-lines') as HTMLElement | null
      )?.textContent.includes(t),
    text,
  );
}

/**
 * The text the response panel shows: its visible lines (GraphiQL keeps a hidden panel per tab it
 * has shown; Monaco draws spaces as no-break spaces).
 */
function shownResponse(): string {
  const panel = [...document.querySelectorAll<HTMLElement>('.graphiql-response')].find(
    (e) => e.getClientRects().length > 0,
  );
  return (panel?.textContent ?? '').replace(/\u00a0/g, ' ');
}

/** The response panel's text once it shows `wanted`. */
async function responseWith(page: Page, wanted: string, timeout = 10_000): Promise<string> {
  await page.waitForFunction(
    `(${shownResponse.toString()})().includes(${JSON.stringify(wanted)})`,
    undefined,
    { timeout },
  );
  return page.evaluate(`(${shownResponse.toString()})()`);
}

/**
 * Opens tab `index` (a click event: the tab bar is animated, so a pointer click may miss it) and
 * waits until GraphiQL has read its `operation`: it reads the editor 100 ms after a change, and
 * then both sets the operation it runs and writes the query into the URL (Yoga's GraphiQL).
 */
async function openTab(page: Page, index: number, operation: string): Promise<void> {
  await page.locator(`#graphiql-session-tab-${index}`).dispatchEvent('click');
  await page.waitForFunction(
    (op) => new URL(location.href).searchParams.get('query')?.includes(op),
    operation,
  );
}

/** Loads (or reloads) GraphiQL and waits until it has read the schema. */
async function load(page: Page, go: () => Promise<unknown>): Promise<void> {
  const schemaRead = page.waitForResponse(
    (res) => res.request().postData()?.includes('IntrospectionQuery') === true,
  );
  await go();
  await schemaRead;
  await page.waitForSelector('#graphiql-session-tab-0');
}

async function run(page: Page): Promise<void> {
  await page.locator('.graphiql-execute-button').dispatchEvent('click');
}

describe.skipIf(!haveChromium)('GraphiQL at /graphql', () => {
  let hub: TestHub;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const tabs = savedOperationTabs();
  const tabIndex = (operation: string) => tabs.findIndex((t) => t.query.includes(operation));
  /** Every /graphql request the page made: method, status and whether it carried the CSRF header. */
  const requests: { method: string; status: number; csrf: boolean; accept: string }[] = [];

  beforeAll(async () => {
    hub = await startTestHub();
    browser = await launchChromium();
    // A new context: empty storage, as on an analyst's first visit.
    context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    page = await context.newPage();
    page.on('response', (res) => {
      const req = res.request();
      if (new URL(req.url()).pathname !== '/graphql' || req.resourceType() === 'document') return;
      requests.push({
        method: req.method(),
        status: res.status(),
        csrf: 'x-graphql-yoga-csrf' in req.headers(),
        accept: req.headers().accept ?? '',
      });
    });
    await load(page, () => page.goto(hub.url));
  });

  afterAll(async () => {
    await browser?.close();
    await hub?.close();
  });

  it('should open the saved operations as tabs, the first with its saved variables, and run it with them', async () => {
    expect(await page.locator('.graphiql-tab').count()).toBe(tabs.length);
    expect(tabs[0]!.query).toContain('dashboard(year: $year)');
    expect(JSON.parse(tabs[0]!.variables!)).toEqual({ year: 2025 });
    await variablesShow(page, '2025');
    const { title, variables } = await activeTab(page);
    expect(title).toBe('Dashboard');
    expect(JSON.parse(variables)).toEqual({ year: 2025 });
    await run(page);
    const response = await responseWith(page, '"dashboard"');
    expect(response).toMatch(/"dashboard": \{\s*"year": 2025,/);
  });

  it('should draw Chinese with the font the hub serves where the machine has none, in the docs and the editors', async () => {
    // The docs of the root type: its fields' descriptions are Chinese first.
    await page.getByRole('button', { name: /documentation explorer/i }).click();
    await page
      .locator('.graphiql-doc-explorer')
      .getByText('Query', { exact: true })
      .first()
      .click();
    await page.locator('.graphiql-doc-explorer-field-name', { hasText: /^projects$/ }).waitFor();
    await page.evaluate(() => document.fonts.ready);
    const chinese = /[\u4e00-\u9fff]/;
    const described = (
      await fontsDrawing(page, '.graphiql-doc-explorer .graphiql-markdown-description')
    ).filter((d) => chinese.test(d.text));
    expect(described.length).toBeGreaterThan(3);
    for (const { text, fonts } of described) {
      expect(fonts.map((f) => f.familyName).join(', '), text).toMatch(/Noto Sans SC/);
      // Where the machine has no CJK font, every Chinese glyph is the web font's: nothing is a box.
      expect(fonts.find((f) => /Noto Sans SC/.test(f.familyName))?.isCustomFont, text).toBe(true);
    }
    // The editors (the saved operations' comments and the results) name it after their own font.
    const editorFont = await page.evaluate(
      () =>
        getComputedStyle(document.querySelector('.graphiql-container .monaco-editor .view-lines')!)
          .fontFamily,
    );
    expect(editorFont).toMatch(/Noto Sans SC/);
    await page.getByRole('button', { name: /documentation explorer/i }).click();
  });

  it('should come back to the same tab on a reload, without opening an empty one', async () => {
    await load(page, () => page.reload());
    await variablesShow(page, '2025');
    expect(await page.locator('.graphiql-tab').count()).toBe(tabs.length);
    expect(await activeTab(page)).toMatchObject({ title: 'Dashboard' });
  });

  it('should stream the LiveStageChanges tab over SSE, a change made through the API included', async () => {
    const index = tabIndex('subscription LiveStageChanges');
    expect(index).toBeGreaterThan(0);
    await openTab(page, index, 'subscription LiveStageChanges');
    requests.length = 0;
    await run(page);
    // `after: "0"` replays the log first: the seed's events arrive.
    await responseWith(page, '"projectStageChanged"');
    const projects = await hub.gql<{ projects: { edges: { node: { id: string } }[] } }>(
      `{ projects(filter: { nameContains: "昊明预制菜" }, first: 1) { edges { node { id } } } }`,
    );
    const sequence = await advance(hub, projects.data!.projects.edges[0]!.node.id, 'TENDERED');
    const live = await responseWith(page, `"sequence": "${sequence}"`);
    expect(live).toContain('"toStage": "TENDERED"');
    const stream = requests.find((r) => r.accept.includes('text/event-stream'));
    expect(stream).toMatchObject({ method: 'GET', status: 200, csrf: true });
    expect(requests.filter((r) => r.status === 403)).toEqual([]);
  });

  it('should stream the LiveDashboard tab', async () => {
    await openTab(page, tabIndex('subscription LiveDashboard'), 'subscription LiveDashboard');
    await run(page);
    const response = await responseWith(page, '"dashboardUpdated"');
    expect(response).toMatch(/"dashboardUpdated": \{\s*"year": 2025,/);
  });

  it('should still refuse the same subscription request without the CSRF header, as it would from another site', async () => {
    const stream = new URL(hub.url);
    stream.searchParams.set('query', 'subscription { projectStageChanged { sequence } }');
    const refused = await fetch(stream, { headers: { accept: 'text/event-stream' } });
    expect(refused.status).toBe(403);
    await refused.body?.cancel();
    const allowed = await fetch(stream, {
      headers: { accept: 'text/event-stream', 'x-graphql-yoga-csrf': 'graphiql' },
    });
    expect(allowed.status).toBe(200);
    await allowed.body?.cancel();
  });
});
