/**
 * Debian's chromium driven by playwright-core, for the browser tests (the wall display,
 * GraphiQL). Suites skip, with a printed reason, only when no chromium binary exists.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

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
