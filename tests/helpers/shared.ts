/**
 * The project's shared folder (the district's report and FACTS.md, the OC4IDS schemas): data the
 * tests check against, kept outside the repository. It sits beside the repository
 * (`<repo>/../shared`); `HUB_SHARED_DIR` names it when it is elsewhere (.ci/run sets it for a
 * clone made away from the original checkout).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const sharedDir = path.resolve(process.env.HUB_SHARED_DIR ?? path.join(repoRoot, '..', 'shared'));

/** A file of the shared folder, as a URL; fails with where it looked when the folder is missing. */
export function sharedUrl(relative: string): URL {
  if (!existsSync(sharedDir)) {
    throw new Error(`the shared folder is not at ${sharedDir}: put it beside the repository or set HUB_SHARED_DIR`);
  }
  return pathToFileURL(path.join(sharedDir, relative));
}
