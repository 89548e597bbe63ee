/**
 * The wall display page at /wall: static files from src/wall/ (no build step), the graphql-ws
 * browser client from node_modules, the page's GraphQL operations from
 * schema/operations/wall-*.graphql, and its Chinese font. The page talks only to the public API
 * on /graphql.
 *
 * Wall screens are often small Linux kiosks with no CJK font installed, where every Chinese label
 * would be a box. So the page brings its own, Noto Sans SC (./chinese-font.ts), served here under
 * /wall/fonts/ (GraphiQL's page uses it too).
 *
 * Every file is read (or, for the font slices, found) once, when the plugin is created, so a
 * missing file stops start-up rather than a wall going blank later. Responses carry a strict
 * Content-Security-Policy: scripts, styles, fonts and fetches from this origin only, WebSockets to
 * any host (the page connects back to the hub it was served from).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'graphql-yoga';
import { CHINESE_FONT_PATH, type ChineseFont, loadChineseFont } from './chinese-font.ts';
import { operationsDir } from './explorer.ts';

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

function loadAssets(font: ChineseFont): Map<string, Asset> {
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
    [`${CHINESE_FONT_PATH}/noto-sans-sc.css`, { body: font.css, type: 'text/css; charset=utf-8' }],
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
  const font = loadChineseFont();
  const assets = loadAssets(font);
  const fontPrefix = `${CHINESE_FONT_PATH}/${font.version}/`;
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
