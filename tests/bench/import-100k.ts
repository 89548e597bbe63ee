/**
 * Measures a large CSV import into the embedded database (not a test: run it by hand).
 *
 *   node --import tsx tests/bench/import-100k.ts [rows=100000] [--keep]
 *
 * Writes a projects CSV of `rows` new projects (a fifth of them with two or three milestones)
 * to a temp file, seeds a fresh file-backed PGlite database in a temp folder (the sectors and
 * parks the rows name), imports the file in one transaction, then imports it again (every row a
 * no-op), and prints time, peak RSS and peak V8 heap for each run.
 */

import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/db/index.ts';
import { headerCell, PROJECT_COLUMNS } from '../../src/exchange/csv-format.ts';
import { type ImportSummary, importProjectsCsv } from '../../src/exchange/csv-import.ts';
import { seedDistrict } from '../../src/services/seed.ts';
import { PIPELINE } from '../../src/services/stages.ts';

const rows = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 100_000);
const keep = process.argv.includes('--keep');
const dir = mkdtempSync(path.join(tmpdir(), 'lzhub-bench-'));
const csvFile = path.join(dir, 'projects.csv');

const SECTORS = [
  'agri-processing',
  'energy-environment',
  'advanced-equipment',
  'bonded-logistics',
  'new-energy',
  '',
];
const PARKS = [
  'comprehensive-bonded-zone',
  'china-russia-park',
  'environmental-park-b',
  'surface-finishing-park',
  '',
];

/** Writes the CSV a row at a time, honouring backpressure. */
async function writeCsv(): Promise<void> {
  const out = createWriteStream(csvFile);
  const write = async (cells: string[]) => {
    const line = `${cells.map((c) => (/[",\r\n]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c)).join(',')}\r\n`;
    if (!out.write(line)) await once(out, 'drain');
  };
  out.write('\uFEFF');
  const keys = PROJECT_COLUMNS.map((c) => c.key).filter(
    (k) =>
      !k.startsWith('reached.') ||
      k === 'reached.PLANNED' ||
      k === 'reached.SIGNED' ||
      k === 'reached.UNDER_CONSTRUCTION',
  );
  await write(keys.map((k) => headerCell(PROJECT_COLUMNS.find((c) => c.key === k)!)));
  for (let i = 1; i <= rows; i++) {
    const n = String(i).padStart(6, '0');
    const history = i % 5 === 0;
    const stage = history ? 'UNDER_CONSTRUCTION' : PIPELINE[i % PIPELINE.length]!;
    const cells: Record<string, string> = {
      code: `B-${n}`,
      name: `基准项目${n}`,
      nameEn: `Benchmark project ${n}`,
      stage,
      stageOn: history ? '2025-06-01' : '2025-03-15',
      stageNote: history ? '开工' : '',
      sector: SECTORS[i % SECTORS.length]!,
      park: PARKS[i % PARKS.length]!,
      investor: `辽宁第${i % 997}投资有限公司`,
      plannedInvestment: `${(i % 90) + 10}000000.00`,
      completedInvestment: i % 3 === 0 ? `${(i % 9) + 1}000000.00` : '',
      expectedOutputValue: '',
      description: i % 7 === 0 ? `第${n}号项目,"示范"工程。\n二期待定。` : '',
      notes: '',
      'reached.PLANNED': history ? '2025-01-02' : '',
      'reached.SIGNED': history ? '2025-03-01' : '',
      'reached.UNDER_CONSTRUCTION': history ? '2025-06-01' : '',
    };
    await write(keys.map((k) => cells[k] ?? ''));
  }
  out.end();
  await once(out, 'finish');
}

interface Peak {
  rss: number;
  heap: number;
}

/** Samples memory every 50 ms while `fn` runs. */
async function measured<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const peak: Peak = { rss: 0, heap: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heap = Math.max(peak.heap, m.heapUsed);
  };
  sample();
  const timer = setInterval(sample, 50);
  const started = performance.now();
  try {
    return await fn();
  } finally {
    clearInterval(timer);
    sample();
    const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
    console.log(
      `${label}: ${((performance.now() - started) / 1000).toFixed(1)} s, peak RSS ${mb(peak.rss)}, peak heap ${mb(peak.heap)}`,
    );
  }
}

try {
  await measured(`write ${rows.toLocaleString('en')}-row CSV`, writeCsv);
  console.log(`  ${csvFile}: ${(statSync(csvFile).size / 2 ** 20).toFixed(1)} MiB`);
  const db = await openDatabase({ dataDir: path.join(dir, 'data'), databaseUrl: undefined });
  await seedDistrict(db.prisma);
  const base = process.memoryUsage();
  console.log(
    `database open and seeded: RSS ${(base.rss / 2 ** 20).toFixed(0)} MiB, heap ${(base.heapUsed / 2 ** 20).toFixed(0)} MiB`,
  );
  let lastLog = 0;
  const options = {
    actor: 'bench',
    onProgress: ({ rows: done, elapsedMs }: { rows: number; elapsedMs: number }) => {
      if (elapsedMs - lastLog < 10_000) return;
      lastLog = elapsedMs;
      const m = process.memoryUsage();
      console.log(
        `  ${done.toLocaleString('en')} rows, ${(elapsedMs / 1000).toFixed(0)} s, RSS ${(m.rss / 2 ** 20).toFixed(0)} MiB, heap ${(m.heapUsed / 2 ** 20).toFixed(0)} MiB`,
      );
    },
  };
  const show = (s: ImportSummary) =>
    console.log(
      `  created ${s.created}, updated ${s.updated}, unchanged ${s.unchanged}, stage events ${s.stageEvents}`,
    );
  show(
    await measured('import', () =>
      importProjectsCsv({ prisma: db.prisma }, createReadStream(csvFile), options),
    ),
  );
  lastLog = 0;
  show(
    await measured('re-import (all no-ops)', () =>
      importProjectsCsv({ prisma: db.prisma }, createReadStream(csvFile), options),
    ),
  );
  console.log(
    `  projects in the database: ${await db.prisma.project.count()}, events: ${await db.prisma.projectStageEvent.count()}`,
  );
  console.log(
    `max RSS of the process (getrusage): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
  );
  await db.close();
} finally {
  if (keep) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
