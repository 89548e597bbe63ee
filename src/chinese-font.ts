/**
 * The hub's Chinese font, for screens without one: wall screens are often small Linux kiosks, and
 * an analyst's desktop may have no CJK font either, where every Chinese label would be a box.
 *
 * Noto Sans SC (SIL Open Font License) from the `@fontsource/noto-sans-sc` package, in the two
 * weights the pages use, each split by the package into about a hundred unicode-range slices, so
 * a browser downloads only the slices of the characters on the screen. `font-display: swap` draws
 * the text at once in any font there is and swaps this one in when it arrives, so the first paint
 * does not wait for it. The slices are served (by ./wall.ts) under the package's version with a
 * year's immutable caching; the wall and GraphiQL (./explorer.ts) link the stylesheet.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** The weights served (the wall's CSS asks for 600 too, which the browser draws with 700). */
export const CHINESE_FONT_WEIGHTS = [400, 700] as const;

/** Where the font's stylesheet (`noto-sans-sc.css`) and slices are served: under the wall's path, which serves them. */
export const CHINESE_FONT_PATH = '/wall/fonts';

export interface ChineseFont {
  /** The @font-face rules of every slice of every weight, pointing at the hub's URLs. */
  css: string;
  /** Slice file name → its path on disk (only the slices the CSS names are served). */
  files: Map<string, string>;
  /** The package's version, in the slices' URLs so they can be cached for good. */
  version: string;
}

/**
 * Noto Sans SC from `@fontsource/noto-sans-sc`: its per-weight CSS (one @font-face per
 * unicode-range slice), with the woff2 slices at the hub's URLs and the woff fallbacks dropped
 * (every browser that runs the page reads woff2).
 */
export function loadChineseFont(): ChineseFont {
  const packageJson = createRequire(import.meta.url).resolve(
    '@fontsource/noto-sans-sc/package.json',
  );
  const dir = path.dirname(packageJson);
  const version = (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
  const files = new Map<string, string>();
  const rules: string[] = [];
  for (const weight of CHINESE_FONT_WEIGHTS) {
    const source = readFileSync(path.join(dir, `${weight}.css`), 'utf8');
    for (const rule of source.match(/@font-face\s*{[^}]*}/g) ?? []) {
      const file = /url\(\.\/files\/([\w.-]+\.woff2)\)/.exec(rule)?.[1];
      if (!file)
        throw new Error(`@fontsource/noto-sans-sc/${weight}.css: a rule without a woff2 file`);
      if (!existsSync(path.join(dir, 'files', file)))
        throw new Error(`@fontsource/noto-sans-sc: ${file} is missing`);
      files.set(file, path.join(dir, 'files', file));
      const served = rule
        .replace(/src:[^;]*;/, `src: url(${CHINESE_FONT_PATH}/${version}/${file}) format('woff2');`)
        .replace(/font-display:[^;]*;/, 'font-display: swap;');
      rules.push(
        /font-display/.test(served) ? served : served.replace('{', '{\n  font-display: swap;'),
      );
    }
  }
  if (!files.size) throw new Error('@fontsource/noto-sans-sc: no font slices found');
  return { css: `${rules.join('\n')}\n`, files, version };
}
