/**
 * Debian's chromium driven by playwright-core, for the browser tests (the wall display,
 * GraphiQL). Suites skip, with a printed reason, only when no chromium binary exists.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

/** CHROMIUM_PATH, else Debian's /usr/bin/chromium. */
export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const haveChromium = existsSync(chromiumPath);

const warned = new Set<string>();
/** Prints once per suite why it is skipped; returns whether it runs. */
export function browserTestsRun(what: string): boolean {
  if (!haveChromium && !warned.has(what)) {
    warned.add(what);
    console.warn(
      `no chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH): ${what} browser tests skipped`,
    );
  }
  return haveChromium;
}

/** Headless chromium as root on a machine without a GPU or network beyond the hub. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/** CJK fonts installed on this machine (none on a bare kiosk). */
export function installedCjkFonts(): string[] {
  try {
    return execFileSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
  } catch {
    return [];
  }
}

/** The platform fonts chromium drew the text of each matching element with (DevTools protocol). */
export async function fontsDrawing(
  page: Page,
  selector: string,
): Promise<
  { text: string; fonts: { familyName: string; isCustomFont: boolean; glyphCount: number }[] }[]
> {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('DOM.enable');
    await cdp.send('CSS.enable');
    const { root } = await cdp.send('DOM.getDocument', { depth: -1 });
    const { nodeIds } = await cdp.send('DOM.querySelectorAll', { nodeId: root.nodeId, selector });
    const out = [];
    for (const nodeId of nodeIds) {
      const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
      const { outerHTML } = await cdp.send('DOM.getOuterHTML', { nodeId });
      out.push({ text: outerHTML.replace(/<[^>]+>/g, ''), fonts });
    }
    return out;
  } finally {
    await cdp.detach();
  }
}
