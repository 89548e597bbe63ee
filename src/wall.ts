/**
 * The wall display page at /wall: static files from src/wall/ (no build step), the graphql-ws
 * browser client from node_modules, the page's GraphQL operations from
 * schema/operations/wall-*.graphql, the stage vocabulary (src/services/stages.ts), and its
 * Chinese font. The page talks only to the public API
 * on /graphql.
 *
 * Wall screens are often small Linux kiosks with no CJK font installed, where every Chinese label
 * would be a box. So the page brings its own: Noto Sans SC (SIL Open Font License) from the
 * `@fontsource/noto-sans-sc` package, in the two weights the page uses, each split by the package
 * into about a hundred unicode-range slices, so a browser downloads only the slices of the
 * characters on the screen. `font-display: swap` draws the text at once in any font there is and
 * swaps the page's font in when it arrives, so the first paint does not wait for it. The font
 * files are served under the package's version with a year's immutable caching.
 *
 * Every file is read (or, for the font slices, found) once, when the plugin is created, so a
 * missing file stops start-up rather than a wall going blank later. Responses carry a strict
 * Content-Security-Policy: scripts, styles, fonts and fetches from this origin only, WebSockets to
 * any host (the page connects back to the hub it was served from).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'graphql-yoga';
import { operationsDir } from './explorer.ts';
import { ProjectStage } from './generated/prisma/client.ts';
import { isPipelineStage, PIPELINE, STAGE_TERMS } from './services/stages.ts';

/** Where the page is served. */
export const WALL_PATH = '/wall';

const wallDir = fileURLToPath(new URL('./wall/', import.meta.url));

/** The policy every /wall response carries. */
export const WALL_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "connect-src 'self' ws: wss:",
  "font-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
].join('; ');

interface Asset {
  body: string;
  type: string;
}

/** The browser build of graphql-ws (the package does not export its umd/ folder, so find it by package.json). */
function graphqlWsBrowserClient(): string {
  const packageJson = createRequire(import.meta.url).resolve('graphql-ws/package.json');
  return readFileSync(path.join(path.dirname(packageJson), 'umd', 'graphql-ws.min.js'), 'utf8');
}

/**
 * The page's operations, by file name without `wall-` and `.graphql` (e.g. `dashboard`), as a
 * JSON object the page loads; kept as files so the operations test validates them against the
 * schema, and a hub that accepts only saved operations accepts the page's.
 */
function wallOperations(): string {
  const operations: Record<string, string> = {};
  for (const file of readdirSync(operationsDir).sort()) {
    const match = /^wall-(.+)\.graphql$/.exec(file);
    if (match?.[1]) operations[match[1]] = readFileSync(path.join(operationsDir, file), 'utf8');
  }
  return JSON.stringify(operations);
}

/**
 * The stage vocabulary the page shows, from its one home (src/services/stages.ts): `pipeline`,
 * the pipeline's stages in order; `stages`, those and then the others (SUSPENDED, CANCELLED);
 * `stageNames`, each stage's name by language (`zh`, `en`).
 */
export function wallVocabulary(): string {
  const stages = [...PIPELINE, ...Object.values(ProjectStage).filter((s) => !isPipelineStage(s))];
  const names = (lang: 'zh' | 'en') =>
    Object.fromEntries(stages.map((stage) => [stage, STAGE_TERMS[stage][lang]]));
  return JSON.stringify({
    pipeline: PIPELINE,
    stages,
    stageNames: { zh: names('zh'), en: names('en') },
  });
}

/** The font weights the page uses (its CSS asks for 600 too, which the browser draws with 700). */
export const WALL_FONT_WEIGHTS = [400, 700] as const;

/** Where the font's stylesheet and slices are served. */
export const WALL_FONT_PATH = `${WALL_PATH}/fonts`;

interface WallFont {
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
function loadWallFont(): WallFont {
  const packageJson = createRequire(import.meta.url).resolve(
    '@fontsource/noto-sans-sc/package.json',
  );
  const dir = path.dirname(packageJson);
  const version = (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
  const files = new Map<string, string>();
  const rules: string[] = [];
  for (const weight of WALL_FONT_WEIGHTS) {
    const source = readFileSync(path.join(dir, `${weight}.css`), 'utf8');
    for (const rule of source.match(/@font-face\s*{[^}]*}/g) ?? []) {
      const file = /url\(\.\/files\/([\w.-]+\.woff2)\)/.exec(rule)?.[1];
      if (!file)
        throw new Error(`@fontsource/noto-sans-sc/${weight}.css: a rule without a woff2 file`);
      if (!existsSync(path.join(dir, 'files', file)))
        throw new Error(`@fontsource/noto-sans-sc: ${file} is missing`);
      files.set(file, path.join(dir, 'files', file));
      const served = rule
        .replace(/src:[^;]*;/, `src: url(${WALL_FONT_PATH}/${version}/${file}) format('woff2');`)
        .replace(/font-display:[^;]*;/, 'font-display: swap;');
      rules.push(
        /font-display/.test(served) ? served : served.replace('{', '{\n  font-display: swap;'),
      );
    }
  }
  if (!files.size) throw new Error('@fontsource/noto-sans-sc: no font slices found');
  return { css: `${rules.join('\n')}\n`, files, version };
}

function loadAssets(font: WallFont): Map<string, Asset> {
  const file = (name: string) => readFileSync(path.join(wallDir, name), 'utf8');
  const html = { body: file('index.html'), type: 'text/html; charset=utf-8' };
  return new Map<string, Asset>([
    [WALL_PATH, html],
    [`${WALL_PATH}/`, html],
    [`${WALL_PATH}/index.html`, html],
    [`${WALL_PATH}/wall.css`, { body: file('wall.css'), type: 'text/css; charset=utf-8' }],
    [`${WALL_PATH}/wall.js`, { body: file('wall.js'), type: 'text/javascript; charset=utf-8' }],
    [
      `${WALL_PATH}/graphql-ws.js`,
      { body: graphqlWsBrowserClient(), type: 'text/javascript; charset=utf-8' },
    ],
    [
      `${WALL_PATH}/operations.json`,
      { body: wallOperations(), type: 'application/json; charset=utf-8' },
    ],
    [
      `${WALL_PATH}/vocabulary.json`,
      { body: wallVocabulary(), type: 'application/json; charset=utf-8' },
    ],
    [`${WALL_FONT_PATH}/noto-sans-sc.css`, { body: font.css, type: 'text/css; charset=utf-8' }],
  ]);
}

const securityHeaders = {
  'content-security-policy': WALL_CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // Revalidate each load, so a wall that reloads picks up a new hub version.
  'cache-control': 'no-cache',
};

/**
 * Serves GET and HEAD for /wall, /wall/ and the page's files, and the font's slices; 404 for any
 * other /wall/* path; every other request goes on to GraphQL.
 */
export function useWallPage(): Plugin {
  const font = loadWallFont();
  const assets = loadAssets(font);
  const fontPrefix = `${WALL_FONT_PATH}/${font.version}/`;
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== WALL_PATH && !url.pathname.startsWith(`${WALL_PATH}/`)) return;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        endResponse(
          new fetchAPI.Response(null, {
            status: 405,
            headers: { ...securityHeaders, allow: 'GET, HEAD' },
          }),
        );
        return;
      }
      const slice = url.pathname.startsWith(fontPrefix)
        ? font.files.get(url.pathname.slice(fontPrefix.length))
        : undefined;
      if (slice) {
        const body = request.method === 'HEAD' ? null : await readFile(slice);
        endResponse(
          new fetchAPI.Response(body, {
            status: 200,
            headers: {
              ...securityHeaders,
              'content-type': 'font/woff2',
              'cache-control': 'public, max-age=31536000, immutable',
            },
          }),
        );
        return;
      }
      const asset = assets.get(url.pathname);
      if (!asset) {
        endResponse(
          new fetchAPI.Response('Not found', {
            status: 404,
            headers: { ...securityHeaders, 'content-type': 'text/plain; charset=utf-8' },
          }),
        );
        return;
      }
      const body = request.method === 'HEAD' ? null : asset.body;
      endResponse(
        new fetchAPI.Response(body, {
          status: 200,
          headers: { ...securityHeaders, 'content-type': asset.type },
        }),
      );
    },
  };
}
