/**
 * The analysts' explorer: GraphiQL at /graphql opens with the saved operations of
 * schema/operations/ as tabs (a test validates every file against the schema).
 *
 * One tab per `*.graphql` file, in file-name order (a numeric prefix such as `10-` orders them);
 * `NAME.variables.json` beside `NAME.graphql` fills the tab's variables. Files named `wall-*`
 * are the wall display's own operations and get no tab. The folder is read on each GraphiQL page
 * load, so a saved operation added there shows up without a restart; GraphiQL uses these tabs
 * only while the browser has no tabs of its own saved (clear the site's storage to get them back).
 *
 * Three things GraphiQL does not do by itself, done here:
 * - Chinese on a machine without CJK fonts: the descriptions, the results and the saved
 *   operations' comments are mostly Chinese, and a kiosk-like desktop draws them as empty boxes.
 *   The page loads the wall's Noto Sans SC (served by the hub, unicode-range slices, so only the
 *   characters on screen are fetched) and names it after GraphiQL's own fonts, in its UI and in
 *   its editors, so it draws only what those fonts lack.
 * - Subscriptions run over SSE, which GraphiQL requests with a GET; the hub's CSRF prevention
 *   refuses a GET without its header, so GraphiQL sends the header on every request. Only a
 *   page of the hub's own origin can add a custom header (anything else needs a CORS preflight),
 *   so the protection stays what it was for every other caller.
 * - GraphiQL fills its editors from its storage, not from the tab they show (graphql/graphiql#3392):
 *   on a first visit the first tab ran without its variables, and on a reload, with nothing
 *   edited yet, GraphiQL matched no saved tab and opened a new empty one. The page puts the
 *   active tab's query, variables and headers where GraphiQL looks, when nothing is there.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import type { GraphiQLOptions } from 'graphql-yoga';
import { CHINESE_FONT_PATH } from './chinese-font.ts';

/** The folder of saved operations. */
export const operationsDir = fileURLToPath(new URL('../schema/operations/', import.meta.url));

/** The header GraphiQL adds to its requests; one of those the CSRF prevention accepts. */
export const EXPLORER_CSRF_HEADER = 'x-graphql-yoga-csrf';

export interface SavedOperationTab {
  query: string;
  variables?: string;
}

/** The saved operations as GraphiQL tabs (`defaultTabs`). */
export function savedOperationTabs(dir: string = operationsDir): SavedOperationTab[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith('.graphql') && !file.startsWith('wall-'))
    .sort()
    .map((file) => {
      const query = readFileSync(path.join(dir, file), 'utf8');
      const variablesFile = path.join(dir, file.replace(/\.graphql$/, '.variables.json'));
      return existsSync(variablesFile)
        ? { query, variables: readFileSync(variablesFile, 'utf8') }
        : { query };
    });
}

/** GraphiQL's options on each page load: the title, SSE for subscriptions, the saved tabs. */
export function explorerOptions(dir: string = operationsDir): GraphiQLOptions {
  return {
    title: '辽中区重点项目数据中枢 Liaozhong Hub',
    subscriptionsProtocol: 'GRAPHQL_SSE',
    additionalHeaders: { [EXPLORER_CSRF_HEADER]: 'graphiql' },
    defaultTabs: savedOperationTabs(dir),
  };
}

/** The wall's Chinese font after GraphiQL's own: its UI's variables, and its (Monaco) editors. */
const CHINESE_FONT = `<link rel="stylesheet" href="${CHINESE_FONT_PATH}/noto-sans-sc.css" />
      <style>
        .graphiql-container, .graphiql-dialog, .graphiql-dialog-overlay, .graphiql-tooltip,
        [data-radix-popper-content-wrapper] {
          --font-family: 'Roboto', 'Noto Sans SC', sans-serif;
          --font-family-mono: 'Fira Code', 'Noto Sans SC', monospace;
        }
        .graphiql-container .monaco-editor .view-lines {
          font-family: 'Fira Code', 'Noto Sans SC', monospace !important;
        }
      </style>`;

/**
 * Yoga's bundled GraphiQL page (no CDN: it works on an office network without internet), with
 * the Chinese font and a script ahead of GraphiQL's own that gives its editors the active tab's
 * contents (see above).
 */
export function renderExplorer(options?: GraphiQLOptions): string {
  const page = renderGraphiQL(options).replace('</head>', () => `${CHINESE_FONT}\n    </head>`);
  const first = options?.defaultTabs?.[0];
  if (!first) return page;
  // JSON in a script: escape `<` so no value can close the tag.
  const firstTab = JSON.stringify({
    query: first.query,
    variables: first.variables ?? null,
    headers: first.headers ?? null,
  }).replace(/</g, '\\u003c');
  const script = `<script>
      try {
        var saved = JSON.parse(localStorage.getItem('graphiql:tabState') || 'null');
        var tab = saved && saved.tabs ? saved.tabs[saved.activeTabIndex] : ${firstTab};
        ['query', 'variables', 'headers'].forEach(function (key) {
          if (tab && tab[key] && localStorage.getItem('graphiql:' + key) === null) localStorage.setItem('graphiql:' + key, tab[key]);
        });
      } catch (e) {}
    </script>`;
  // A function, so no `$` in an operation is read as a replacement pattern.
  return page.replace('<div id="root"></div>', () => `<div id="root"></div>\n      ${script}`);
}
