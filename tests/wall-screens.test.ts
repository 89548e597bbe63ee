/**
 * The wall display on the screens it meets, in a real browser (chromium via playwright-core) at
 * 1280x720, 1920x1080 and 3840x2160:
 * - Chinese is drawn with the page's own font (Noto Sans SC served by the hub), not a fallback,
 *   on a machine without CJK fonts (`fc-list :lang=zh` is empty on the project's machines: the
 *   kiosk condition), and only the font slices the screen needs are downloaded;
 * - every text is at least 20px at 1080p, scaled with the screen;
 * - no text is cut, in Chinese or in English (?lang=en), and text values have their English form;
 * - the ticker says when a change happened (its day, with its precision), the time of recording
 *   only for changes of today;
 * - a year or a park without data shows empty states, not blank panels or an all-zero funnel;
 * - the movement panel (stage changes per week, the projects that have not moved for longest)
 *   shows the API's figures and follows a stage change live.
 * Screenshots of each size go to WALL_SCREENSHOT_DIR (default: the system's temp folder).
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserTestsRun,
  fontsDrawing,
  installedCjkFonts,
  launchChromium,
} from './helpers/browser.ts';
import { advance } from './helpers/operations.ts';
import { startTestHub, type TestHub } from './helpers/server.ts';

const haveChromium = browserTestsRun('wall screens');

const screenshotDir = process.env.WALL_SCREENSHOT_DIR || tmpdir();
const SIZES = [
  [1280, 720],
  [1920, 1080],
  [3840, 2160],
] as const;

const PIPELINE = [
  'PLANNED',
  'NEGOTIATING',
  'SIGNED',
  'LANDED',
  'APPROVED',
  'TENDERED',
  'LAND_ACQUIRED',
  'REGISTERED',
  'UNDER_CONSTRUCTION',
  'COMPLETED',
  'IN_OPERATION',
  'AT_CAPACITY',
];

/** The movement figures the wall draws, as the API gives them. */
interface Movement {
  stageChangeTrend: { total: number; buckets: { start: string; count: number }[] };
  stalledProjects: {
    totalCount: number;
    edges: { node: { id: string; daysAtStage: number } }[];
  };
}

/** Opens the wall and waits until it shows data, movement included, in the page's font. */
async function openWall(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('#wall[data-ready="true"][data-movement-ready="true"]', {
    timeout: 20_000,
  });
  await page.waitForSelector('#connection[data-state="connected"]');
  await page.evaluate(() => document.fonts.ready);
}

/** Visible texts smaller than `min` px: [class, text, size]. */
function textsSmallerThan(page: Page, min: number) {
  return page.evaluate((minPx) => {
    const small: [string, string, number][] = [];
    const walker = document.createTreeWalker(
      document.querySelector('#wall')!,
      NodeFilter.SHOW_TEXT,
    );
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const element = node.parentElement!;
      if (
        !node.textContent?.trim() ||
        element.closest('[hidden]') ||
        !element.getClientRects().length
      )
        continue;
      const size = parseFloat(getComputedStyle(element).fontSize);
      if (size < minPx - 0.5)
        small.push([
          element.getAttribute('class') ?? element.tagName,
          node.textContent.trim().slice(0, 30),
          size,
        ]);
    }
    return small;
  }, min);
}

/**
 * Text the page cuts: a panel whose content runs past its bottom, or a visible text element whose
 * content is wider or taller than its box (ellipsis, clamping, clipping). A quarter of a line is
 * let pass: the font's glyph boxes stand a little above and below a tight line height without
 * any ink being cut. The ticker's list is left out: it fades its oldest rows out on purpose.
 */
function cutTexts(page: Page) {
  return page.evaluate(() => {
    const cut: string[] = [];
    const slack = (element: Element) => 0.25 * parseFloat(getComputedStyle(element).fontSize);
    for (const panel of document.querySelectorAll<HTMLElement>('.panel')) {
      if (panel.hidden || !panel.getClientRects().length) continue;
      const ticker = panel.querySelector<HTMLElement>('.ticker');
      const overflow = panel.scrollHeight - panel.clientHeight;
      if (
        overflow > slack(document.documentElement) &&
        !(ticker && ticker.scrollHeight > ticker.clientHeight)
      ) {
        cut.push(`panel ${panel.className} overflows by ${overflow}px`);
      }
    }
    for (const element of document.querySelectorAll<HTMLElement>('#wall *')) {
      if (element.closest('[hidden], .ticker, svg') || !element.getClientRects().length) continue;
      const own = [...element.childNodes].some(
        (n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim(),
      );
      if (!own) continue;
      if (
        element.scrollWidth > element.clientWidth + 1 ||
        element.scrollHeight > element.clientHeight + slack(element)
      ) {
        const style = getComputedStyle(element);
        if (style.overflow !== 'visible' || style.textOverflow === 'ellipsis') {
          cut.push(
            `${element.className}: ${element.textContent!.slice(0, 40)} (${element.scrollWidth}x${element.scrollHeight} in ${element.clientWidth}x${element.clientHeight})`,
          );
        }
      }
    }
    // Rows of the ticker: a name is never cut, it wraps.
    for (const name of document.querySelectorAll<HTMLElement>('.ticker .change-project')) {
      if (name.scrollWidth > name.clientWidth + 1) cut.push(`ticker name: ${name.textContent}`);
    }
    return cut;
  });
}

describe.skipIf(!haveChromium)('the wall on any screen', () => {
  let hub: TestHub;
  let browser: Browser;
  let base: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    hub = await startTestHub();
    base = new URL(hub.url).origin;
    browser = await launchChromium();
    const cjk = installedCjkFonts();
    console.info(
      cjk.length
        ? `CJK fonts installed here (${cjk.join('; ')}): the test still checks the page's own font draws`
        : 'no CJK font installed (fc-list :lang=zh is empty): the kiosk condition',
    );
  });

  afterAll(async () => {
    await browser?.close();
    await hub?.close();
  });

  /** A fresh browser context (empty cache) at a screen size. */
  async function screen(width: number, height: number): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height } });
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    return page;
  }

  it('should serve its font: a stylesheet of swapped unicode-range slices, each slice as woff2 cached for good, nothing else', async () => {
    const css = await fetch(`${base}/wall/fonts/noto-sans-sc.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toContain('text/css');
    const rules = (await css.text()).match(/@font-face\s*{[^}]*}/g) ?? [];
    expect(rules.length).toBeGreaterThan(150); // about a hundred slices in each of two weights
    for (const rule of rules) {
      expect(rule).toMatch(/font-family: 'Noto Sans SC'/);
      expect(rule).toMatch(/font-display: swap/);
      expect(rule).toMatch(/unicode-range:/);
      expect(rule).toMatch(
        /src: url\(\/wall\/fonts\/[\d.]+\/noto-sans-sc-[\w-]+-(400|700)-normal\.woff2\) format\('woff2'\);/,
      );
    }
    const slice = /url\(([^)]+)\)/.exec(rules[0]!)![1]!;
    const res = await fetch(base + slice);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('font/woff2');
    expect(res.headers.get('cache-control')).toContain('immutable');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(new TextDecoder().decode(bytes.slice(0, 4))).toBe('wOF2');
    expect(res.headers.get('content-security-policy')).toContain("font-src 'self'");
    // Only the slices the stylesheet names: no other weight, no other file of the package.
    for (const other of [
      slice.replace('-400-', '-100-').replace('-700-', '-100-'),
      slice.replace(/[^/]+$/, 'package.json'),
      slice.replace(/[\d.]+\//, '0.0.0/'),
    ]) {
      expect((await fetch(base + other)).status, other).toBe(404);
    }
  });

  for (const [width, height] of SIZES) {
    it(`should draw Chinese with the page's own font at ${width}x${height}, downloading only the slices it needs, every text at least 20px at 1080p`, async () => {
      const page = await screen(width, height);
      const slices: { url: string; status: number; type: string | null }[] = [];
      page.on('response', (res) => {
        if (res.url().endsWith('.woff2'))
          slices.push({
            url: res.url(),
            status: res.status(),
            type: res.headers()['content-type'] ?? null,
          });
      });
      await openWall(page, `${base}/wall`);

      // The browser loaded faces of the page's font, in both weights.
      const faces = await page.evaluate(() =>
        [...document.fonts]
          .filter((f) => f.family.replace(/"/g, '') === 'Noto Sans SC' && f.status === 'loaded')
          .map((f) => f.weight),
      );
      expect(new Set(faces)).toEqual(new Set(['400', '700']));
      // The hub served those slices, and only a part of the font.
      expect(slices.length).toBeGreaterThan(0);
      for (const s of slices) expect(s).toMatchObject({ status: 200, type: 'font/woff2' });
      const total = (
        (await (await fetch(`${base}/wall/fonts/noto-sans-sc.css`)).text()).match(/@font-face/g) ??
        []
      ).length;
      expect(slices.length).toBeLessThan(total / 2);

      // Each Chinese text is drawn with Noto Sans SC, the page's font, and nothing else.
      for (const selector of [
        'h1',
        '#funnel .stage-name',
        '.ticker .change-project',
        '.stalled-row:not([hidden]) .stalled-name',
        '.target-label',
        '.funding-level',
        '.channel-name',
      ]) {
        const drawn = await fontsDrawing(page, selector);
        expect(drawn.length, selector).toBeGreaterThan(0);
        for (const { text, fonts } of drawn) {
          expect(text, selector).toMatch(/[\u3400-\u9fff]/);
          // One font, the web font the page brought (its files name their instance, e.g. "Noto Sans SC Thin").
          expect(fonts, `${selector} "${text}"`).toHaveLength(1);
          expect(fonts[0]!.familyName, `${selector} "${text}"`).toMatch(/^Noto Sans SC\b/);
          expect(fonts[0]!.isCustomFont, `${selector} "${text}"`).toBe(true);
        }
      }

      // Readable from 3 m: 20px at 1080p, scaled with the screen as the layout is.
      const scale = Math.min(width / 1920, height / 1080);
      expect(await textsSmallerThan(page, 20 * scale)).toEqual([]);

      const file = path.join(screenshotDir, `wall-${width}x${height}.png`);
      mkdirSync(screenshotDir, { recursive: true });
      await page.screenshot({ path: file });
      console.info(`wall screenshot: ${file}`);
      await page.context().close();
    });
  }

  for (const lang of ['zh', 'en'] as const) {
    it(`should fit every text on the screen in ${lang === 'en' ? 'English' : 'Chinese'} at each size, cutting none`, async () => {
      for (const [width, height] of SIZES) {
        const page = await screen(width, height);
        await openWall(page, `${base}/wall${lang === 'en' ? '?lang=en' : ''}`);
        expect(await cutTexts(page), `${width}x${height}`).toEqual([]);
        if (lang === 'en') {
          const scale = Math.min(width / 1920, height / 1080);
          expect(await textsSmallerThan(page, 20 * scale), `${width}x${height}`).toEqual([]);
          await page.screenshot({
            path: path.join(screenshotDir, `wall-en-${width}x${height}.png`),
          });
        }
        await page.context().close();
      }
    });
  }

  it('should give text values their English form where the data has one, with ?lang=en', async () => {
    const page = await screen(1920, 1080);
    await openWall(page, `${base}/wall?lang=en`);
    // 开通运行 has no English half; its observation's note has one.
    const service = await page.textContent('#logistics [data-metric="service_status"] .fact-value');
    expect(service).toBe('The China-Russia international freight train has opened and is running.');
    // A value given as "中文 / English" shows its English half.
    expect(
      await page.textContent('#logistics [data-metric="assembly_centre"] .fact-value'),
    ).toMatch(/^the 3rd assembly centre in China/);
    const visible = await page.evaluate(
      () => (document.querySelector('#wall') as HTMLElement).textContent,
    );
    expect(visible).not.toContain('开通运行');
    await page.context().close();
  });

  it('should say when each change happened: its day with its precision, the time of recording only for a change of today', async () => {
    const page = await screen(1920, 1080);
    await openWall(page, `${base}/wall`);
    const rows = await page.$$eval('#ticker .change', (list) =>
      list.map((r) => ({
        sequence: r.getAttribute('data-sequence')!,
        time: r.querySelector('.change-time')!.textContent,
      })),
    );
    const log = await hub.gql<{
      stageEvents: {
        edges: { node: { sequence: string; occurredOn: string; occurredPrecision: string } }[];
      };
    }>(`{ stageEvents(last: 12) { edges { node { sequence occurredOn occurredPrecision } } } }`);
    const events = new Map(log.data!.stageEvents.edges.map((e) => [e.node.sequence, e.node]));
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      const event = events.get(row.sequence)!;
      const [y, m] = event.occurredOn.split('-').map(Number);
      // The seed's changes happened in 2025: never shown as a time of day (the hub's first start).
      expect(row.time).toBe(
        event.occurredPrecision === 'MONTH' ? `${y}年${m}月` : event.occurredOn,
      );
    }
    // A change made now: the time it was recorded.
    const project = await hub.gql<{
      projects: { edges: { node: { id: string; stage: (typeof PIPELINE)[number] } }[] };
    }>(
      `{ projects(filter: { nameContains: "鲨鱼饲料" }, first: 1) { edges { node { id stage } } } }`,
    );
    const node = project.data!.projects.edges[0]!.node;
    const sequence = await advance(hub, node.id, PIPELINE[PIPELINE.indexOf(node.stage) + 1]!);
    const row = await page.waitForSelector(`#ticker .change[data-sequence="${sequence}"]`, {
      timeout: 5_000,
    });
    expect(await row.$eval('.change-time', (n) => n.textContent)).toMatch(/^\d\d:\d\d:\d\d$/);
    await page.context().close();
  });

  it('should show empty states for a year without data and a park without projects, in both languages', async () => {
    const page = await screen(1920, 1080);
    const shown = (id: string) =>
      page.$eval(`#${id}`, (n) => ((n as HTMLElement).hidden ? null : n.textContent));

    await openWall(page, `${base}/wall?year=2010`);
    expect(await shown('targets-empty')).toBe('2010年度暂无目标');
    expect(await shown('funding-empty')).toBe('2010年度暂无资金数据');
    expect(await shown('logistics-empty')).toBe('截至2010年底暂无物流数据');
    expect(await page.$$('#targets .target')).toHaveLength(0);

    await openWall(page, `${base}/wall?year=2030&lang=en`);
    expect(await shown('targets-empty')).toBe('No targets for 2030');
    expect(await shown('funding-empty')).toBe('No funding recorded for 2030');
    expect(await shown('logistics-empty')).toBeNull(); // observations up to 2030 exist

    // A park without projects: no all-zero funnel, but a sentence; the same for movement and the ticker.
    const parks = await hub.gql<{ parks: { id: string; projects: { totalCount: number } }[] }>(
      `{ parks { id projects(first: 0) { totalCount } } }`,
    );
    const empty = parks.data!.parks.find((p) => p.projects.totalCount === 0)!;
    expect(empty).toBeDefined();
    for (const [query, texts] of [
      [
        `?park=${encodeURIComponent(empty.id)}`,
        ['该园区暂无项目', '近13周暂无阶段变更', '没有30天以上未动的项目', '暂无阶段变更'],
      ],
      [
        `?park=${encodeURIComponent(empty.id)}&lang=en`,
        [
          'No projects in this park yet',
          'No stage changes in the last 13 weeks',
          'No project has stood still for 30 days',
          'No stage changes yet',
        ],
      ],
    ] as const) {
      await openWall(page, `${base}/wall${query}`);
      expect(await page.$eval('.funnel-panel', (n) => n.getAttribute('data-empty'))).toBe('true');
      expect(await page.isVisible('#funnel')).toBe(false);
      expect([
        await shown('funnel-empty'),
        await shown('trend-empty'),
        await shown('stalled-empty'),
        await shown('ticker-empty'),
      ]).toEqual(texts);
      expect(await cutTexts(page)).toEqual([]);
    }
    await page.context().close();
  });

  it("should show the API's movement figures, and follow a stage change live: the chart counts it, the project leaves the stalled list", async () => {
    const page = await screen(1920, 1080);
    await openWall(page, `${base}/wall`);
    const MOVEMENT = `{ stageChangeTrend { total buckets { start count } } stalledProjects(minDays: 30, first: 8) { totalCount edges { node { id daysAtStage } } } }`;
    const api = async () => (await hub.gql<Movement>(MOVEMENT)).data!;
    const onPage = () =>
      page.evaluate(() => ({
        total: Number(document.querySelector('.movement-panel')!.getAttribute('data-total')),
        bars: [...document.querySelectorAll('#trend .bucket')].map((b) => [
          b.getAttribute('data-start'),
          Number(b.getAttribute('data-count')),
        ]),
        stalled: [...document.querySelectorAll('#stalled .stalled-row')].map((r) => [
          r.getAttribute('data-project'),
          Number(r.getAttribute('data-days')),
        ]),
        stalledShown: [...document.querySelectorAll<HTMLElement>('#stalled .stalled-row')].filter(
          (r) => !r.hidden,
        ).length,
      }));

    const before = await api();
    let shown = await onPage();
    expect(shown.total).toBe(before.stageChangeTrend.total);
    if (before.stageChangeTrend.total)
      expect(shown.bars).toEqual(before.stageChangeTrend.buckets.map((b) => [b.start, b.count]));
    expect(shown.stalled).toEqual(
      before.stalledProjects.edges.map((e) => [e.node.id, e.node.daysAtStage]),
    );
    expect(shown.stalledShown).toBeGreaterThanOrEqual(3);

    // The project that has stood still longest moves on.
    const first = before.stalledProjects.edges[0]!;
    const stage = (
      await hub.gql<{ node: { stage: (typeof PIPELINE)[number] } }>(
        `query ($id: ID!) { node(id: $id) { ... on Project { stage } } }`,
        { id: first.node.id },
      )
    ).data!.node.stage;
    await advance(hub, first.node.id, PIPELINE[PIPELINE.indexOf(stage) + 1]!);
    await page.waitForFunction(
      (n) => Number(document.querySelector('.movement-panel')!.getAttribute('data-total')) === n,
      before.stageChangeTrend.total + 1,
      { timeout: 5_000 },
    );
    await page.waitForFunction(
      (id) => !document.querySelector(`#stalled .stalled-row[data-project="${id}"]`),
      first.node.id,
      { timeout: 5_000 },
    );

    const after = await api();
    shown = await onPage();
    expect(after.stageChangeTrend.total).toBe(before.stageChangeTrend.total + 1);
    expect(shown.bars).toEqual(after.stageChangeTrend.buckets.map((b) => [b.start, b.count]));
    expect(shown.bars.at(-1)![1]).toBe(before.stageChangeTrend.buckets.at(-1)!.count + 1);
    expect(shown.stalled).toEqual(
      after.stalledProjects.edges.map((e) => [e.node.id, e.node.daysAtStage]),
    );
    expect(await page.textContent('#stalled-total')).toBe(
      `30天以上未动 ${after.stalledProjects.totalCount} 个`,
    );
    expect(after.stalledProjects.totalCount).toBe(before.stalledProjects.totalCount - 1);
    await page.context().close();
  });

  it('should have thrown no error in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
