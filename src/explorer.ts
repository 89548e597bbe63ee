/**
 * The analysts' explorer: GraphiQL at /graphql opens with the saved operations of
 * schema/operations/ as tabs (a test validates every file against the schema).
 *
 * One tab per `*.graphql` file, in file-name order (a numeric prefix such as `10-` orders them);
 * `NAME.variables.json` beside `NAME.graphql` fills the tab's variables. Files named `wall-*`
 * are the wall display's own operations and get no tab. The folder is read on each GraphiQL page
 * load, so a saved operation added there shows up without a restart; GraphiQL uses these tabs
 * only while the browser has no tabs of its own saved (clear the site's storage to get them back).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder of saved operations. */
export const operationsDir = fileURLToPath(new URL('../schema/operations/', import.meta.url));

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
      return existsSync(variablesFile) ? { query, variables: readFileSync(variablesFile, 'utf8') } : { query };
    });
}
