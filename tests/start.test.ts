/**
 * `npm start` as a user runs it: a new data folder is created, migrated and seeded, the start log
 * names every address a user opens and each answers, the server answers the README's first query
 * and its copy-paste write with the local editor key, stops cleanly on SIGTERM, and a restart
 * keeps the data.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { liaozhong2025 } from '../prisma/seed/liaozhong-2025.ts';

const seedProjects = liaozhong2025.projects;

const root = path.resolve(import.meta.dirname, '..');
/** Where the user starts the hub: the data folder is `data/` in it, as by default. */
const workDir = mkdtempSync(path.join(tmpdir(), 'lzhub-start-'));
const dataDir = path.join(workDir, 'data');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(workDir, { recursive: true, force: true });
});

const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
/** The README's shell example that writes with the local editor key. */
const readmeWrite = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
  .map((m) => m[1]!)
  .find((b) => b.includes('data/editor-key') && b.includes('advanceProjectStage'));

const startScript: string = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
  .scripts.start;

/** Runs package.json's start script (exec'd, so signals reach the hub) and resolves with the URL it logs. */
function startHub(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn('sh', ['-c', `exec ${startScript}`], {
    cwd: root,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      HUB_DATA_DIR: dataDir,
      DATABASE_URL: '',
      REDIS_URL: '',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: false,
  });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /ready: GraphQL and GraphiQL at (http:\/\/\S+\/graphql)/.exec(out);
      if (match) resolve({ child, url: match[1]!, output: () => out });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`npm start exited with ${code} before it was ready:\n${out}`)),
    );
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

const readmeQuery = '{ projects(first: 50) { totalCount edges { node { name stage } } } }';
interface ReadmeData {
  projects: { totalCount: number; edges: { node: { name: string; stage: string } }[] };
}

async function query(url: string, q: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: q }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { data: ReadmeData; errors?: unknown[] };
}

describe('npm start on a fresh data folder', () => {
  it('should migrate, seed and answer the README query with every named project, then stop cleanly and keep the data', async () => {
    const first = await startHub();
    const result = await query(first.url, readmeQuery);
    expect(result.errors).toBeUndefined();
    expect(result.data.projects.totalCount).toBe(seedProjects.length);
    const served = new Map(result.data.projects.edges.map((e) => [e.node.name, e.node.stage]));
    for (const p of seedProjects) expect(served.get(p.name)).toBe(p.stage);

    // GraphiQL for analysts in a browser.
    const page = await fetch(first.url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/graphiql/i);

    // The start log names every address a user opens, and each answers.
    const ready = first
      .output()
      .split('\n')
      .find((line) => line.includes('Liaozhong Hub ready'))!;
    const { addresses, msg } = JSON.parse(ready) as {
      addresses: Record<string, string>;
      msg: string;
    };
    const origin = new URL(first.url).origin;
    expect(addresses).toEqual({
      graphql: first.url,
      graphiql: first.url,
      wall: `${origin}/wall`,
      health: `${origin}/health`,
      ready: `${origin}/ready`,
      metrics: `${origin}/metrics`,
    });
    for (const [name, address] of Object.entries(addresses)) {
      expect(msg, name).toContain(address);
      if (name === 'graphql') continue; // answered the README query above
      const res = await fetch(address, { headers: { accept: 'text/html' } });
      expect([name, res.status]).toEqual([name, 200]);
      await res.body?.cancel();
    }

    // The README's write, pasted into a shell in the folder the hub was started from.
    expect(readmeWrite, 'the README shows a curl write with the editor key').toBeDefined();
    if (existsSync('/usr/bin/curl')) {
      const { stdout } = await promisify(execFile)(
        'sh',
        ['-c', readmeWrite!.replaceAll('localhost:4000', new URL(first.url).host)],
        { cwd: workDir },
      );
      expect(JSON.parse(stdout).data.advanceProjectStage).toMatchObject({
        __typename: 'AdvanceProjectStageSuccess',
        event: { fromStage: 'APPROVED', toStage: 'TENDERED' },
      });
    } else {
      console.warn("no /usr/bin/curl: the README's curl write was not run");
    }

    expect(await stop(first.child)).toBe(0);
    expect(first.output()).toMatch(/stopped/);

    // A restart reuses the folder: nothing is migrated or seeded twice.
    const second = await startHub();
    expect(second.output()).not.toMatch(/applied migrations/);
    expect(second.output()).not.toMatch(/seeded the district/);
    const again = await query(second.url, readmeQuery);
    expect(again.data.projects.totalCount).toBe(seedProjects.length);
    expect(await stop(second.child)).toBe(0);
  }, 180_000);
});
