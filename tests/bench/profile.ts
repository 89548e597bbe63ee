/**
 * Reading a V8 CPU profile (`node --cpu-prof`): self time per function and per package, so the
 * report can say what a request spends its CPU on. Idle, program and GC time are kept apart.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Sampled milliseconds that were not idle. */
  busyMs: number;
  totalMs: number;
  /** Top functions by self time: name, where, share of busy time. */
  functions: { name: string; where: string; selfMs: number; share: number }[];
  /** Self time by package (node_modules/<pkg>), hub source, Node internals, GC... */
  packages: { name: string; selfMs: number; share: number }[];
}

/** `node_modules/@scope/pkg/...` → `@scope/pkg`; the hub's own files → `hub src/...`. */
export function packageOf(url: string, functionName: string): string {
  if (functionName === '(garbage collector)') return '(garbage collector)';
  if (functionName === '(program)') return '(program: native, not attributed)';
  if (!url) return '(native / V8 builtins)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    const pkg = rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
    if (pkg === '.prisma' || pkg.startsWith('@prisma')) return `${pkg}`;
    return pkg;
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const src = url.indexOf('/src/');
  if (src >= 0) {
    const file = url.slice(src + 1);
    return file.startsWith('src/generated/')
      ? 'hub src/generated (Prisma client)'
      : `hub ${file.split('/').slice(0, 2).join('/')}`;
  }
  return url.replace(/^file:\/\//, '');
}

function shortWhere(url: string, line: number): string {
  const nm = url.lastIndexOf('node_modules/');
  const short =
    nm >= 0
      ? url.slice(nm + 'node_modules/'.length)
      : url.replace(/^file:\/\/.*?\/(src|tests)\//, '$1/');
  return `${short}:${line + 1}`;
}

/** Now on the clock V8 stamps profiles with (CLOCK_MONOTONIC, microseconds; same for every process). */
export const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

/**
 * Summarises a profile; with `window` (monotonicUs() values taken by the load generator), only
 * the samples taken while the load ran, so start-up (module loading, tsx) does not count.
 */
export function summarizeProfile(
  file: string,
  top = 25,
  window?: { fromUs: number; toUs: number },
): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const from = window?.fromUs ?? -Infinity;
  const to = window?.toUs ?? Infinity;
  let t = profile.startTime;
  let first = Infinity;
  let last = -Infinity;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    if (t < from || t > to) continue;
    first = Math.min(first, t - delta);
    last = Math.max(last, t);
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  }
  const totalUs = Number.isFinite(first) ? last - first : 0;
  let idleUs = 0;
  const fn = new Map<string, { name: string; where: string; us: number }>();
  const pkg = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const { callFrame } = byId.get(id)!;
    if (callFrame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const name = callFrame.functionName || '(anonymous)';
    const where = callFrame.url ? shortWhere(callFrame.url, callFrame.lineNumber) : '';
    const key = `${name}@${where}`;
    const entry = fn.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    fn.set(key, entry);
    const p = packageOf(callFrame.url, callFrame.functionName);
    pkg.set(p, (pkg.get(p) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  return {
    busyMs: busyUs / 1000,
    totalMs: totalUs / 1000,
    functions: [...fn.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, selfMs: f.us / 1000, share: f.us / busyUs })),
    packages: [...pkg.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([name, us]) => ({ name, selfMs: us / 1000, share: us / busyUs })),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [fromUs, toUs] = (process.argv[4] ?? '').split('-').map(Number);
  const summary = summarizeProfile(
    process.argv[2]!,
    Number(process.argv[3] ?? 30),
    fromUs && toUs ? { fromUs, toUs } : undefined,
  );
  console.log(`busy ${summary.busyMs.toFixed(0)} ms of ${summary.totalMs.toFixed(0)} ms`);
  for (const p of summary.packages)
    console.log(`${(p.share * 100).toFixed(1).padStart(5)}%  ${p.name}`);
  console.log('');
  for (const f of summary.functions)
    console.log(`${(f.share * 100).toFixed(1).padStart(5)}%  ${f.name}  ${f.where}`);
}
