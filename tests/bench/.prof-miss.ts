import { readdirSync, rmSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { EDITOR_KEY } from './config.ts';
import { prng } from './http-bench.ts';
import { ensureNode24 } from './node24.ts';
import { HUB_FILTERED_PAGE, HUB_NODE } from './operations.ts';
import { monotonicUs, summarizeProfile } from './profile.ts';
import { startServer } from './servers.ts';

const dir = '/tmp/miss/prof';
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const node = ensureNode24();
const hub = await startServer('hubUncached', { node, port: 4790, nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`], label: 'prof' });
const random = prng(5);
const gid = (t: string, n: number) => Buffer.from(`${t}:${n}`).toString('base64');
const bodies: string[] = [];
for (let i = 0; i < 5000; i++) {
  if (random() < 0.5) bodies.push(JSON.stringify({ query: HUB_NODE, variables: { id: gid('Project', 1 + Math.floor(random() * 10000)) } }));
  else bodies.push(JSON.stringify({ query: HUB_FILTERED_PAGE, variables: { first: 20, after: Buffer.from(`GPC:N:${Math.floor(random() * 9000)}`).toString('base64'), filter: { stage: ['SIGNED'] } } }));
}
const pick = prng(9);
const requests = [{ method: 'POST' as const, path: '/graphql', headers: { 'content-type': 'application/json', authorization: `Bearer ${EDITOR_KEY}` }, setupRequest: (r: any) => ({ ...r, body: bodies[Math.floor(pick() * bodies.length)] }) }];
await autocannon({ url: hub.url, connections: 20, duration: 3, requests });
const from = monotonicUs();
const r = await autocannon({ url: hub.url, connections: 20, duration: Number(process.env.SECS ?? 10), requests });
const window = { fromUs: from, toUs: monotonicUs() };
await hub.stop();
console.log('req/s', r.requests.average, 'non2xx', r.non2xx);
const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!;
const s = summarizeProfile(path.join(dir, file), 40, window);
console.log(`busy ${s.busyMs} of ${s.totalMs} ms`);
for (const p of s.packages.slice(0, 14)) console.log((p.share * 100).toFixed(1), p.name);
for (const f of s.functions.slice(0, 30)) console.log((f.share * 100).toFixed(1), f.name, f.where);
