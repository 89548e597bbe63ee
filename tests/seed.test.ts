/**
 * The seed against its source of truth: this suite reads shared/seed/FACTS.md itself, walks it
 * table by table, and checks that every named project, number, park, facility and channel is in
 * the seeded database as stated. A FACTS.md line no check understands fails the suite, and so
 * does a seeded row no line of FACTS.md accounts for (nothing invented).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liaozhong2025, type SeedData } from '../prisma/seed/liaozhong-2025.ts';
import {
  ChannelKind,
  DatePrecision,
  FacilityStatus,
  FigureQualifier,
  FundingSourceLevel,
  ParkKind,
  Prisma,
  ProjectStage,
  StageEventKind,
  type Facility,
  type FundingAward,
  type LogisticsChannel,
  type LogisticsObservation,
  type Park,
  type ParkSnapshot,
  type PrismaClient,
  type Project,
  type ProjectStageEvent,
  type ReportedFigure,
  type Sector,
  type SourceDocument,
  type Target,
} from '../src/generated/prisma/client.ts';
import { SEED_ACTOR, seedDistrict, seedTotal, type SeedResult } from '../src/services/seed.ts';
import { describeEachEngine, openTestDatabase } from './helpers/db.ts';
import { sharedUrl } from './helpers/shared.ts';

/** shared/seed/FACTS.md (tests/helpers/shared.ts finds the shared folder). */
const factsUrl = sharedUrl('seed/FACTS.md');
const factsMd = readFileSync(factsUrl, 'utf8');

// --- FACTS.md, parsed --------------------------------------------------------------------------

interface FactsSection {
  /** `A`…`F`, or `preamble` for the text before the first `##`. */
  id: string;
  heading: string;
  /** Table body rows (header and separator dropped), as trimmed cells. */
  rows: string[][];
  bullets: string[];
  /** Prose paragraphs, wrapped lines joined with a space; each labelled statement on its own. */
  paragraphs: string[];
}

function parseFacts(md: string): FactsSection[] {
  let current: FactsSection = { id: 'preamble', heading: '', rows: [], bullets: [], paragraphs: [] };
  const sections = [current];
  let paragraph: string[] = [];
  let inTable = false;
  const flush = () => {
    // A labelled statement ("Working rhythm: …") starts a paragraph of its own.
    if (paragraph.length) current.paragraphs.push(...paragraph.join(' ').split(/(?<=\.)\s+(?=[A-Z][\w ]*: )/));
    paragraph = [];
  };
  for (const raw of md.split('\n')) {
    const line = raw.trim();
    const isTable = line.startsWith('|');
    if (line.startsWith('## ')) {
      flush();
      const heading = line.slice(3).trim();
      current = { id: /^([A-Z])\./.exec(heading)?.[1] ?? heading, heading, rows: [], bullets: [], paragraphs: [] };
      sections.push(current);
    } else if (line.startsWith('# ')) {
      flush();
    } else if (isTable) {
      flush();
      const cells = line.replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
      // The first line of a table is its header; `|---|` lines separate it from the body.
      if (inTable && !cells.every((c) => /^:?-+:?$/.test(c))) current.rows.push(cells);
    } else if (line.startsWith('- ')) {
      flush();
      current.bullets.push(line.slice(2).trim());
    } else if (line === '') {
      flush();
    } else {
      paragraph.push(line);
    }
    inTable = isTable;
  }
  flush();
  return sections;
}

const D = Prisma.Decimal;
type Decimal = Prisma.Decimal;

/** `176` → 176, `2.5亿元` → 250000000, `5000万元` → 50000000, `28万㎡` → 280000, `43.3%` → 43.3. */
function parseQuantity(text: string): Decimal {
  const m = /(\d+(?:\.\d+)?)\s*(亿|万)?/.exec(text);
  if (!m?.[1]) throw new Error(`no number in ${JSON.stringify(text)}`);
  const n = new D(m[1]);
  return m[2] === '亿' ? n.times(100_000_000) : m[2] === '万' ? n.times(10_000) : n;
}

/** `昊明预制菜 Haoming prepared dishes; 远程摩擦智能生产线 Yuancheng …` → names in Chinese and English. */
function parseNamed(text: string): { zh: string; en: string }[] {
  return text
    .split(';')
    .map((piece) => piece.trim())
    .filter(Boolean)
    .map((piece) => {
      const m = /^([\p{Script=Han}][\p{Script=Han}A-Za-z0-9]*)\s+(.+)$/u.exec(piece);
      if (!m?.[1] || !m[2]) throw new Error(`not a "中文 English" name: ${JSON.stringify(piece)}`);
      return { zh: m[1], en: m[2].trim() };
    });
}

/** The Chinese term a FACTS cell ends with: `projects that completed tendering 招投标` → `招投标`. */
function trailingChinese(cell: string): string {
  const m = /([\p{Script=Han}][\p{Script=Han}()]*)\s*$/u.exec(cell);
  if (!m?.[1]) throw new Error(`no trailing Chinese term in ${JSON.stringify(cell)}`);
  return m[1];
}

const chineseNumerals = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];

// --- the seeded database, loaded once ----------------------------------------------------------

type HubProject = Project & { sector: Sector | null; stageEvents: ProjectStageEvent[]; sources: { id: number }[] };

interface Hub {
  sources: SourceDocument[];
  sectors: Sector[];
  projects: HubProject[];
  figures: ReportedFigure[];
  targets: Target[];
  awards: FundingAward[];
  parks: Park[];
  facilities: Facility[];
  snapshots: ParkSnapshot[];
  channels: LogisticsChannel[];
  observations: LogisticsObservation[];
}

async function loadHub(prisma: PrismaClient): Promise<Hub> {
  return {
    sources: await prisma.sourceDocument.findMany(),
    sectors: await prisma.sector.findMany(),
    projects: await prisma.project.findMany({
      include: { sector: true, stageEvents: true, sources: { select: { id: true } } },
    }),
    figures: await prisma.reportedFigure.findMany(),
    targets: await prisma.target.findMany(),
    awards: await prisma.fundingAward.findMany(),
    parks: await prisma.park.findMany(),
    facilities: await prisma.facility.findMany(),
    snapshots: await prisma.parkSnapshot.findMany(),
    channels: await prisma.logisticsChannel.findMany(),
    observations: await prisma.logisticsObservation.findMany(),
  };
}

async function rowCounts(prisma: PrismaClient): Promise<Record<string, number>> {
  return {
    sourceDocuments: await prisma.sourceDocument.count(),
    sectors: await prisma.sector.count(),
    parks: await prisma.park.count(),
    facilities: await prisma.facility.count(),
    projects: await prisma.project.count(),
    projectStageEvents: await prisma.projectStageEvent.count(),
    logisticsChannels: await prisma.logisticsChannel.count(),
    logisticsObservations: await prisma.logisticsObservation.count(),
    parkSnapshots: await prisma.parkSnapshot.count(),
    fundingAwards: await prisma.fundingAward.count(),
    reportedFigures: await prisma.reportedFigure.count(),
    targets: await prisma.target.count(),
  };
}

// --- the walk ----------------------------------------------------------------------------------

const day = (d: Date | null | undefined) => (d ? d.toISOString().slice(0, 10) : 'null');
const same = (a: Decimal | null, b: Decimal | string | null) => (a === null || b === null ? a === b : a.equals(b));

/** When a section's facts hold: `(as of 2025-07-31)` in its heading, else "so far" (Q3 2025). */
type AsOf = { kind: 'day'; on: string } | { kind: 'so-far' };

/**
 * Walks FACTS.md against the seeded rows and returns every fact that is missing or wrong, plus
 * every FACTS line it could not check and every seeded row no fact accounts for.
 */
function walkFacts(md: string, hub: Hub): string[] {
  const problems: string[] = [];
  const fail = (msg: string) => problems.push(msg);
  const claimed = {
    figures: new Set<number>(),
    targets: new Set<number>(),
    awards: new Set<number>(),
    parks: new Set<number>(),
    facilities: new Set<number>(),
    snapshots: new Set<number>(),
    channels: new Set<number>(),
    observations: new Set<number>(),
    sectors: new Set<number>(),
  };
  const expectedProjects = new Map<string, { en: string; stage: ProjectStage; asOf: AsOf; where: string }>();
  const source = hub.sources.find((s) => s.publisher === '辽中区委宣传部');
  const sourceId = source?.id ?? -1;

  const checkSource = (where: string, row: { sourceId: number | null }) => {
    if (row.sourceId !== sourceId) fail(`${where}: sourceId ${row.sourceId}, not the report's document ${sourceId}`);
  };
  const checkAsOf = (where: string, asOf: AsOf, on: Date | null, precision: DatePrecision, approximate?: boolean) => {
    if (asOf.kind === 'day') {
      if (day(on) !== asOf.on || precision !== DatePrecision.DAY || approximate === true)
        fail(`${where}: as of ${day(on)} (${precision}${approximate ? ', approximate' : ''}), FACTS says ${asOf.on}`);
    } else {
      // "So far" in an article published in Q3 2025, after the end of July: no day is known.
      const d = day(on);
      if (d < '2025-07-31' || d > '2025-09-30' || precision === DatePrecision.DAY || approximate === false)
        fail(`${where}: "so far" stored as ${d} (${precision}${approximate === false ? ', not approximate' : ''})`);
    }
  };

  const figure = (
    where: string,
    asOf: AsOf,
    want: { value: Decimal | null; unit: string; label: string; qualifier?: FigureQualifier; textValue?: string },
  ): ReportedFigure | undefined => {
    const labelled = hub.figures.filter((f) => f.unit === want.unit && f.label.includes(want.label));
    const found = labelled.filter((f) => same(f.value, want.value) && (want.textValue === undefined || f.textValue === want.textValue));
    const f = found[0];
    if (found.length !== 1 || !f) {
      const others = labelled.map((o) => o.value?.toString() ?? o.textValue).join(', ');
      fail(
        `${where}: expected one figure ${want.value ?? want.textValue} ${want.unit} labelled …${want.label}…, found ${found.length}` +
          (others ? ` (same label: ${others})` : ''),
      );
      return undefined;
    }
    claimed.figures.add(f.id);
    const qualifier = want.qualifier ?? FigureQualifier.EXACT;
    if (f.qualifier !== qualifier) fail(`${where}: figure ${f.code} is ${f.qualifier}, expected ${qualifier}`);
    if (f.year !== 2025) fail(`${where}: figure ${f.code} counts for ${f.year}`);
    checkAsOf(`${where}: figure ${f.code}`, asOf, f.asOf, f.asOfPrecision, f.approximate);
    checkSource(`${where}: figure ${f.code}`, f);
    return f;
  };

  const target = (where: string, want: { value: Decimal; unit: string; label: string }): Target | undefined => {
    const found = hub.targets.filter((t) => t.unit === want.unit && t.label.includes(want.label) && same(t.value, want.value));
    const t = found[0];
    if (found.length !== 1 || !t) {
      fail(`${where}: expected one target ${want.value} ${want.unit} labelled …${want.label}…, found ${found.length}`);
      return undefined;
    }
    claimed.targets.add(t.id);
    if (t.year !== 2025 || day(t.dueBy) !== '2025-12-31') fail(`${where}: target ${t.code} is for ${t.year}, due ${day(t.dueBy)}`);
    checkSource(`${where}: target ${t.code}`, t);
    return t;
  };

  const award = (where: string, level: FundingSourceLevel, amount: Decimal): FundingAward | undefined => {
    const found = hub.awards.filter((a) => a.sourceLevel === level && same(a.amount, amount));
    const a = found[0];
    if (found.length !== 1 || !a) {
      fail(`${where}: expected one ${level} funding award of ${amount} CNY, found ${found.length}`);
      return undefined;
    }
    claimed.awards.add(a.id);
    if (!a.reportedTotal || a.year !== 2025) fail(`${where}: award ${a.code} must be the 2025 reported total`);
    checkAsOf(`${where}: award ${a.code}`, { kind: 'so-far' }, a.asOf, a.asOfPrecision);
    checkSource(`${where}: award ${a.code}`, a);
    return a;
  };

  const project = (where: string, named: { zh: string; en: string }, stage: ProjectStage, asOf: AsOf) => {
    const before = expectedProjects.get(named.zh);
    if (before) fail(`${where}: ${named.zh} is also named in ${before.where}`);
    expectedProjects.set(named.zh, { en: named.en, stage, asOf, where });
    return hub.projects.find((p) => p.name === named.zh);
  };

  const parkNamed = (where: string, name: string): Park | undefined => {
    const p = hub.parks.find((x) => x.name === name);
    if (!p) fail(`${where}: no park named ${name}`);
    else {
      claimed.parks.add(p.id);
      checkSource(`${where}: park ${name}`, p);
    }
    return p;
  };

  const facility = (where: string, f: Facility | undefined, what: string): Facility | undefined => {
    if (!f) fail(`${where}: no facility ${what}`);
    else {
      claimed.facilities.add(f.id);
      checkSource(`${where}: facility ${f.name}`, f);
    }
    return f;
  };

  /** The one snapshot of a park or facility, as of "so far". */
  const snapshotOf = (where: string, subject: { parkId?: number; facilityId?: number }): ParkSnapshot | undefined => {
    const found = hub.snapshots.filter((s) =>
      subject.parkId !== undefined ? s.parkId === subject.parkId : s.facilityId === subject.facilityId,
    );
    const s = found[0];
    if (found.length !== 1 || !s) {
      fail(`${where}: expected one snapshot, found ${found.length}`);
      return undefined;
    }
    claimed.snapshots.add(s.id);
    checkAsOf(`${where}: snapshot`, { kind: 'so-far' }, s.asOf, s.asOfPrecision);
    checkSource(`${where}: snapshot`, s);
    return s;
  };

  const channel = (where: string, kind: ChannelKind, name: (c: LogisticsChannel) => boolean): LogisticsChannel | undefined => {
    const c = hub.channels.find((x) => x.kind === kind && name(x));
    if (!c) fail(`${where}: no ${kind} channel`);
    else {
      claimed.channels.add(c.id);
      checkSource(`${where}: channel ${c.name}`, c);
    }
    return c;
  };

  const observation = (where: string, c: LogisticsChannel, match: (o: LogisticsObservation) => boolean) => {
    const found = hub.observations.filter((o) => o.channelId === c.id && match(o));
    const o = found[0];
    if (found.length !== 1 || !o) {
      fail(`${where}: expected one matching observation of ${c.name}, found ${found.length}`);
      return undefined;
    }
    claimed.observations.add(o.id);
    checkAsOf(`${where}: observation ${o.metric}`, { kind: 'so-far' }, o.periodEnd, o.periodPrecision);
    checkSource(`${where}: observation ${o.metric}`, o);
    return o;
  };

  /** Runs the one handler whose pattern matches `key`; a line no handler knows is a problem. */
  const dispatch = <A extends unknown[]>(
    where: string,
    key: string,
    handlers: [RegExp, (m: RegExpExecArray, ...args: A) => void][],
    ...args: A
  ) => {
    const hits = handlers.flatMap(([re, fn]) => {
      const m = re.exec(key);
      return m ? [() => fn(m, ...args)] : [];
    });
    if (hits.length !== 1) fail(`${where}: ${hits.length} checks know ${JSON.stringify(key)} (FACTS.md line not checked)`);
    else hits[0]!();
  };

  const sections = parseFacts(md);
  const section = (id: string) => {
    const s = sections.find((x) => x.id === id);
    if (!s) throw new Error(`FACTS.md has no section ${id}`);
    return s;
  };
  const asOfOf = (s: FactsSection): AsOf => {
    const m = /\(as of (\d{4}-\d{2}-\d{2})\)/.exec(s.heading);
    return m?.[1] ? { kind: 'day', on: m[1] } : { kind: 'so-far' };
  };
  for (const s of sections) {
    if (!['preamble', 'A', 'B', 'C', 'D', 'E', 'F'].includes(s.id)) fail(`FACTS.md section ${s.heading} is not checked`);
  }

  // Preamble: the source document.
  {
    const pre = section('preamble').paragraphs.join(' ');
    const publisher = /\(([\p{Script=Han}]+宣传部)\)/u.exec(pre)?.[1];
    if (!source || !publisher || source.publisher !== publisher) fail(`source: no document published by ${publisher}`);
    else {
      if (hub.sources.length !== 1) fail(`source: ${hub.sources.length} documents, expected the one report`);
      // "the article was published in Q3 2025": a date inside Q3 with no false day precision.
      const d = day(source.publishedOn);
      if (!/published in Q3 2025/.test(pre)) fail('source: FACTS.md no longer says the article was published in Q3 2025');
      if (d < '2025-07-01' || d > '2025-09-30' || source.publishedPrecision === DatePrecision.DAY)
        fail(`source: published ${d} (${source.publishedPrecision}), FACTS says Q3 2025`);
    }
  }

  // A. Approvals and construction starts.
  {
    const s = section('A');
    const asOf = asOfOf(s);
    const stageOf: Record<string, ProjectStage> = {
      '审批(备案)': ProjectStage.APPROVED,
      招投标: ProjectStage.TENDERED,
      产业用地摘牌: ProjectStage.LAND_ACQUIRED,
      申报入库: ProjectStage.REGISTERED,
      开复工: ProjectStage.UNDER_CONSTRUCTION,
    };
    for (const [what = '', value = '', named = ''] of s.rows) {
      const where = `A "${what}"`;
      dispatch(where, what, [
        [
          /^target: key projects registered in batches by year end$/,
          () => {
            const [count = '', amount = ''] = value.split(',');
            for (const t of [
              target(where, { value: parseQuantity(count), unit: 'projects', label: '入库' }),
              target(where, { value: parseQuantity(amount), unit: 'CNY', label: '入库' }),
            ]) {
              // 预计: the 7 submissions by July are a different measure, so no actual is linked.
              if (t && (t.actualId !== null || !t.note?.includes('预计'))) fail(`${where}: target ${t.code} must be expected (预计) with no actual`);
            }
          },
        ],
        [
          /[\p{Script=Han})]$/u,
          () => {
            const term = trailingChinese(what);
            const stage = stageOf[term];
            if (!stage) return fail(`${where}: no stage known for ${term}`);
            figure(where, asOf, { value: parseQuantity(value), unit: /parcels/.test(what) ? 'parcels' : 'projects', label: term });
            for (const n of parseNamed(named)) project(where, n, stage, asOf);
          },
        ],
      ]);
    }
  }

  // B. Completion and operation.
  {
    const s = section('B');
    const asOf = asOfOf(s);
    let planned: Target | undefined;
    let inOperation: ReportedFigure | undefined;
    const rate: { value?: string } = {};
    for (const [what = '', value = ''] of s.rows) {
      const where = `B "${what}"`;
      dispatch(where, what, [
        [
          /全年计划竣工项目$/,
          () => {
            planned = target(where, { value: parseQuantity(value), unit: 'projects', label: trailingChinese(what) });
          },
        ],
        [
          /投产运营$/,
          () => {
            inOperation = figure(where, asOf, { value: parseQuantity(value), unit: 'projects', label: trailingChinese(what) });
          },
        ],
        [/^completion rate as reported$/, () => (rate.value = value)],
        [
          /^cumulative investment completed$/,
          () => void figure(where, asOf, { value: parseQuantity(value), unit: 'CNY', label: '投资' }),
        ],
        [
          /^agricultural projects completed and in operation$/,
          () => {
            const [count = '', output = ''] = value.split(';');
            figure(where, asOf, { value: parseQuantity(count), unit: 'projects', label: '农业项目' });
            for (const n of parseNamed(count.replace(/^\d+, incl\. /, ''))) project(where, n, ProjectStage.IN_OPERATION, asOf);
            // 预计: an expected value, and of the 6 projects together, not one project's.
            figure(where, asOf, { value: parseQuantity(output), unit: 'CNY', label: '产值', qualifier: FigureQualifier.APPROXIMATE });
          },
        ],
        [
          /^real-estate projects completed$/,
          () => {
            const [count = '', homes = ''] = value.split(';');
            figure(where, asOf, { value: parseQuantity(count), unit: 'projects', label: '房地产' });
            for (const n of parseNamed(count.replace(/^\d+, incl\. /, ''))) project(where, n, ProjectStage.COMPLETED, asOf);
            if (!/homes delivered/.test(homes)) fail(`${where}: unexpected ${homes}`);
            figure(where, asOf, { value: parseQuantity(homes), unit: 'homes', label: '交付' });
          },
        ],
        [
          /^[\p{Script=Han}]/u,
          () => {
            // A named project with its own fact.
            const [named] = parseNamed(what);
            if (!named) return;
            dispatch(where, value, [
              [
                /^technical upgrade; 2025 output value up (\S+) on the year before$/,
                (m) => {
                  const p = project(where, named, ProjectStage.AT_CAPACITY, asOf);
                  const f = figure(where, asOf, { value: parseQuantity(m[1] ?? ''), unit: 'CNY', label: named.zh });
                  if (f && (!p || f.projectId !== p.id)) fail(`${where}: figure ${f.code} is not linked to ${named.zh}`);
                },
              ],
              [
                /^entered the 小升规 cultivation pool/,
                () => {
                  const p = project(where, named, ProjectStage.IN_OPERATION, asOf);
                  if (p && !p.notes?.includes('小升规')) fail(`${where}: ${named.zh}'s notes do not mention 小升规`);
                },
              ],
            ]);
          },
        ],
      ]);
    }
    const m = /^([\d.]+)% \((\d+)\/(\d+)\)$/.exec(rate.value ?? '');
    if (!m) fail(`B: completion rate ${JSON.stringify(rate.value)} not found`);
    else if (!planned || !same(planned.reportedRate, m[1] ?? null) || !same(planned.value, m[3] ?? null))
      fail(`B: the ${m[3]} planned completions must carry the reported rate ${m[1]}%`);
    else if (!inOperation || planned.actualId !== inOperation.id || !same(inOperation.value, m[2] ?? null))
      fail(`B: the completion target's actual must be the ${m[2]} projects in operation`);
  }

  // C. Investment attraction and funding.
  {
    const s = section('C');
    const asOf = asOfOf(s);
    for (const [what = '', value = ''] of s.rows) {
      const where = `C "${what}"`;
      dispatch(where, what, [
        [/^policies secured/, () => void figure(where, asOf, { value: parseQuantity(value), unit: 'policies', label: '政策' })],
        [/^projects secured/, () => void figure(where, asOf, { value: parseQuantity(value), unit: 'projects', label: '争取项目' })],
        [/^application started$/, () => parseNamed(value).forEach((n) => project(where, n, ProjectStage.PLANNED, asOf))],
        [
          /^central government funds approved/,
          () => {
            const a = award(where, FundingSourceLevel.CENTRAL, parseQuantity(value));
            const programme = /(国家级[\p{Script=Han}]+)/u.exec(what)?.[1] ?? '?';
            if (a && !a.programme?.includes(programme)) fail(`${where}: award ${a.code}'s programme does not name ${programme}`);
          },
        ],
        [
          /^provincial-level-and-above funds$/,
          () => {
            const a = award(where, FundingSourceLevel.PROVINCIAL_AND_ABOVE, parseQuantity(value));
            if (!/do not add them up/.test(value)) fail(`${where}: FACTS no longer says not to add the two up`);
            // The warning must be on the row, naming the central funds it may include.
            if (a && !a.overlapNote?.includes('2.5亿')) fail(`${where}: award ${a.code} has no overlap note about the 2.5亿 central funds`);
          },
        ],
        [/^policy-bank financing$/, () => void award(where, FundingSourceLevel.POLICY_BANK, parseQuantity(value))],
        [/^investment promotion events held$/, () => void figure(where, asOf, { value: parseQuantity(value), unit: 'events', label: '招商活动' })],
        [
          /签约$/,
          (m) => {
            const size = /of (\S+) and more/.exec(what)?.[1] ?? '?';
            const f = figure(where, asOf, { value: parseQuantity(value), unit: 'projects', label: trailingChinese(m.input) });
            if (f && !f.label.includes(`${size}以上`)) fail(`${where}: figure ${f.code}'s label does not say ${size}以上`);
            for (const n of parseNamed(value.replace(/^\d+, incl\. /, ''))) project(where, n, ProjectStage.SIGNED, asOf);
          },
        ],
        [
          /落地$/,
          (m) => {
            figure(where, asOf, { value: parseQuantity(value), unit: 'projects', label: trailingChinese(m.input) });
            for (const n of parseNamed(value.replace(/^\d+, incl\. /, ''))) project(where, n, ProjectStage.LANDED, asOf);
          },
        ],
        [/在谈$/, () => parseNamed(value).forEach((n) => project(where, n, ProjectStage.NEGOTIATING, asOf))],
      ]);
    }
    for (const paragraph of s.paragraphs) {
      const where = `C "${paragraph.slice(0, 24)}…"`;
      dispatch(where, paragraph, [
        [
          /^Four leading industries: (.+)\.$/,
          (m) => {
            const industries = parseNamed(m[1] ?? '');
            for (const i of industries) {
              const sector = hub.sectors.find((x) => x.name === i.zh);
              if (!sector) fail(`${where}: no sector ${i.zh}`);
              else {
                claimed.sectors.add(sector.id);
                if (!sector.leading || sector.nameEn.toLowerCase() !== i.en.toLowerCase())
                  fail(`${where}: sector ${i.zh} must be leading and called "${i.en}"`);
              }
            }
            const leading = hub.sectors.filter((x) => x.leading).map((x) => x.name);
            if (leading.length !== industries.length) fail(`${where}: leading sectors are ${leading.join(', ')}`);
          },
        ],
        [
          /^Working rhythm: ([^ (]+)/,
          (m) => void figure(where, asOf, { value: null, unit: 'text', label: '节奏', textValue: m[1] ?? '' }),
        ],
      ]);
    }
  }

  // D. Parks and channels.
  {
    const s = section('D');
    for (const [place = '', fact = ''] of s.rows) {
      const where = `D "${place}"`;
      const name = /^([\p{Script=Han}][\p{Script=Han}A-Za-z0-9]*)/u.exec(place)?.[1];
      const phase = /phase (\d+)$/.exec(place)?.[1];
      /** The place as a park, a phase of a park, or a facility. */
      const subject = (): { park?: Park; facility?: Facility } => {
        if (!name) return {};
        if (phase) {
          const park = parkNamed(where, name);
          const f = hub.facilities.find((x) => park && x.parkId === park.id && x.phase === Number(phase));
          return { facility: facility(where, f, `phase ${phase} of ${name}`) };
        }
        const park = hub.parks.find((x) => x.name === name);
        if (park) return { park: parkNamed(where, name) };
        return { facility: facility(where, hub.facilities.find((x) => x.name === name), name) };
      };
      const snapshot = () => {
        const { park, facility } = subject();
        if (park) return snapshotOf(where, { parkId: park.id });
        if (facility) return snapshotOf(where, { facilityId: facility.id });
        return undefined;
      };
      const status = (snap: ParkSnapshot | undefined, st: FacilityStatus, note?: string) => {
        if (snap && (snap.status !== st || (note && !snap.statusNote?.includes(note))))
          fail(`${where}: status ${snap.status} "${snap.statusNote}", expected ${st}${note ? ` "${note}"` : ''}`);
      };
      dispatch(where, fact, [
        [
          /^(\S+万㎡) \([\d,]+ m²\) of standard factory buildings completed$/,
          (m) => {
            const snap = snapshot();
            status(snap, FacilityStatus.COMPLETED);
            if (snap && !same(snap.floorAreaM2, parseQuantity(m[1] ?? ''))) fail(`${where}: floor area ${snap.floorAreaM2}`);
          },
        ],
        [/^site enclosure completed (完成合围)$/, (m) => status(snapshot(), FacilityStatus.UNDER_CONSTRUCTION, m[1])],
        [/^interior fit-out under way$/, () => status(snapshot(), FacilityStatus.FITTING_OUT)],
        [/^construction crews on site (进场施工)$/, (m) => status(snapshot(), FacilityStatus.UNDER_CONSTRUCTION, m[1])],
        [
          /^(\d+) newly registered enterprises$/,
          (m) => {
            const snap = snapshot();
            if (snap && snap.enterprisesRegistered !== Number(m[1])) fail(`${where}: ${snap.enterprisesRegistered} registered`);
            if (snap && !snap.note?.includes('新注册')) fail(`${where}: the snapshot does not say the enterprises are newly registered`);
          },
        ],
        [
          /^(\d+) enterprises signed to enter$/,
          (m) => {
            const snap = snapshot();
            if (snap && snap.enterprisesSigned !== Number(m[1])) fail(`${where}: ${snap.enterprisesSigned} signed`);
          },
        ],
        [
          /^rainwater system renovation phase (\d+) completed$/,
          (m) => {
            const park = name ? parkNamed(where, name) : undefined;
            const f = facility(
              where,
              hub.facilities.find((x) => park && x.parkId === park.id && x.phase === Number(m[1]) && x.name.includes('雨水')),
              `rainwater renovation phase ${m[1]} in ${name}`,
            );
            if (f) status(snapshotOf(where, { facilityId: f.id }), FacilityStatus.COMPLETED);
          },
        ],
        [
          /^opened and running$/,
          () => {
            const c = channel(where, ChannelKind.RAIL_FREIGHT, (x) => x.name === name);
            if (c) observation(where, c, (o) => o.metric === 'service_status' && o.textValue === '开通运行');
          },
        ],
        [
          /rank (\d+)(?:st|nd|rd|th) nationally; the hub is the (\d+)(?:st|nd|rd|th) in China with both document issuance and vehicle inspection, the most complete assembly centre in Northeast China$/,
          (m) => {
            const c = channel(where, ChannelKind.ROAD_TIR, (x) => x.name.includes('TIR'));
            if (!c) return;
            // "since the start of the year": the period starts on 1 January.
            observation(
              where,
              c,
              (o) => o.nationalRank === Number(m[1]) && o.value === null && day(o.periodStart) === '2025-01-01',
            );
            const nth = `第${chineseNumerals[Number(m[2])]}`;
            observation(where, c, (o) => o.nationalRank === null && !!o.textValue?.includes(nth) && o.textValue.includes('东北'));
          },
        ],
      ]);
    }
    for (const paragraph of s.paragraphs) {
      dispatch(`D "${paragraph.slice(0, 24)}…"`, paragraph, [
        [
          /^The article does not spell out which parks are the 三园.*the zone is the (\S+) and the two channels/,
          (m) => {
            const zone = hub.parks.find((p) => p.name === m[1]);
            if (zone?.kind !== ParkKind.BONDED_ZONE) fail(`D: ${m[1]} must be the bonded zone`);
            const bonded = hub.parks.filter((p) => p.kind === ParkKind.BONDED_ZONE);
            if (bonded.length !== 1) fail(`D: ${bonded.length} bonded zones`);
            if (hub.channels.length !== 2) fail(`D: ${hub.channels.length} channels, FACTS names two`);
            for (const p of [...hub.parks, ...hub.facilities])
              if (p.description?.includes('三园')) fail(`D: ${p.name} claims to be one of the 三园`);
          },
        ],
      ]);
    }
  }

  // E. Government service.
  {
    const s = section('E');
    const asOf = asOfOf(s);
    for (const [what = '', value = ''] of s.rows) {
      const where = `E "${what}"`;
      dispatch(where, what, [
        [/^departments whose approval resources were integrated/, () => void figure(where, asOf, { value: parseQuantity(value), unit: 'departments', label: '部门' })],
        [/^district construction-project items re-listed$/, () => void figure(where, asOf, { value: parseQuantity(value), unit: 'items', label: '事项' })],
        [
          /^construction-project approval time limit$/,
          () => {
            if (!/working days$/.test(value)) fail(`${where}: ${value}`);
            // 压缩至35个工作日: a limit, at most.
            figure(where, asOf, { value: parseQuantity(value), unit: 'working_days', label: '审批时限', qualifier: FigureQualifier.AT_MOST });
          },
        ],
        [
          /^(\d+) approvals .* under the ([^ ]+) service$/,
          (m) => {
            const items = figure(where, asOf, { value: parseQuantity(m[1] ?? ''), unit: 'items', label: m[2] ?? '?' });
            if (items && !items.label.includes('审批')) fail(`${where}: ${items.code} is not about approvals`);
            const within = /^average within (\d+) working days$/.exec(value);
            if (!within) return fail(`${where}: ${value}`);
            figure(where, asOf, { value: parseQuantity(within[1] ?? ''), unit: 'working_days', label: '平均', qualifier: FigureQualifier.AT_MOST });
          },
        ],
      ]);
    }
  }

  // F. Next steps: named projects (stage not stated, so planned) and the year's start target.
  {
    const s = section('F');
    const asOf = asOfOf(s);
    const starts = hub.figures.find((f) => f.label.includes('开复工') && f.unit === 'projects');
    for (const bullet of s.bullets) {
      const [category = '', rest = ''] = bullet.split(/:\s*/, 2);
      const where = `F "${category}"`;
      if (category === 'target') {
        const m = /^(\d+) key projects started or resumed in 2025$/.exec(rest);
        if (!m) {
          fail(`${where}: ${rest} (FACTS.md line not checked)`);
          continue;
        }
        const t = target(where, { value: parseQuantity(m[1] ?? ''), unit: 'projects', label: '开复工' });
        if (t && (!starts || t.actualId !== starts.id)) fail(`${where}: target ${t.code}'s actual must be the starts figure`);
        continue;
      }
      // The report's category; 产业项目 (industrial) spans several sectors, so it names none.
      const sectorEn = category.replace(' & ', ' and ').replace(/ to start$/, '');
      for (const n of parseNamed(rest)) {
        const p = project(where, n, ProjectStage.PLANNED, asOf);
        if (p && sectorEn !== 'industrial' && !p.sector?.nameEn.toLowerCase().includes(sectorEn))
          fail(`${where}: ${n.zh} is in sector ${p.sector?.nameEn ?? 'none'}, the report says ${category}`);
      }
    }
  }

  // Every named project, exactly as stated, with its INITIAL stage event; and no other project.
  for (const [zh, want] of expectedProjects) {
    const where = `${want.where}: project ${zh}`;
    const p = hub.projects.find((x) => x.name === zh);
    if (!p) {
      fail(`${where} is missing`);
      continue;
    }
    if (p.nameEn?.toLowerCase() !== want.en.toLowerCase()) fail(`${where}: English name "${p.nameEn}", FACTS says "${want.en}"`);
    if (p.stage !== want.stage) fail(`${where}: stage ${p.stage}, expected ${want.stage}`);
    if (!p.sources.some((x) => x.id === sourceId)) fail(`${where}: not linked to the report`);
    if (p.parkId !== null || p.plannedInvestment !== null || p.completedInvestment !== null || p.expectedOutputValue !== null)
      fail(`${where}: park or money the report does not state`);
    const [event, ...more] = p.stageEvents;
    if (!event || more.length) fail(`${where}: ${p.stageEvents.length} stage events, expected the INITIAL one`);
    else {
      if (event.kind !== StageEventKind.INITIAL || event.fromStage !== null || event.toStage !== want.stage || event.actor !== SEED_ACTOR)
        fail(`${where}: stage event ${event.kind} ${event.fromStage} → ${event.toStage} by ${event.actor}`);
      if (!event.note?.includes('报告') || !/source/i.test(event.note)) fail(`${where}: stage event note must cite the report`);
      checkAsOf(`${where}: stage event`, want.asOf, event.occurredOn, event.occurredPrecision);
      checkSource(`${where}: stage event`, event);
    }
  }
  for (const p of hub.projects) if (!expectedProjects.has(p.name)) fail(`project ${p.name} is not named in FACTS.md`);

  // Nothing invented: every seeded row is accounted for by some line of FACTS.md.
  const unclaimed = <T extends { id: number }>(model: string, rows: T[], set: Set<number>, label: (r: T) => string) => {
    for (const r of rows) if (!set.has(r.id)) fail(`${model} ${label(r)} is not backed by FACTS.md`);
  };
  unclaimed('figure', hub.figures, claimed.figures, (r) => r.code);
  unclaimed('target', hub.targets, claimed.targets, (r) => r.code);
  unclaimed('funding award', hub.awards, claimed.awards, (r) => r.code);
  unclaimed('park', hub.parks, claimed.parks, (r) => r.name);
  unclaimed('facility', hub.facilities, claimed.facilities, (r) => r.name);
  unclaimed('park snapshot', hub.snapshots, claimed.snapshots, (r) => `#${r.id}`);
  unclaimed('channel', hub.channels, claimed.channels, (r) => r.name);
  unclaimed('observation', hub.observations, claimed.observations, (r) => r.metric);
  // Other sectors only classify named projects.
  for (const sector of hub.sectors)
    if (!claimed.sectors.has(sector.id) && !hub.projects.some((p) => p.sectorId === sector.id))
      fail(`sector ${sector.name} is neither a leading industry nor any named project's`);

  return problems;
}

// --- the suites --------------------------------------------------------------------------------

const expectedCounts = (data: SeedData): SeedResult => ({
  sourceDocuments: 1,
  sectors: data.sectors.length,
  parks: data.parks.length,
  facilities: data.facilities.length,
  projects: data.projects.length,
  projectStageEvents: data.projects.length,
  logisticsChannels: data.channels.length,
  logisticsObservations: data.observations.length,
  parkSnapshots: data.snapshots.length,
  fundingAwards: data.fundingAwards.length,
  reportedFigures: data.figures.length,
  targets: data.targets.length,
});

describeEachEngine('seedDistrict', (engine) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let first: SeedResult;
  const leftovers: { close(): Promise<void> }[] = [];

  /** A fresh database, closed after the suite. */
  const fresh = async () => {
    const other = await openTestDatabase(engine);
    leftovers.push(other);
    return other;
  };

  beforeAll(async () => {
    db = await fresh();
    first = await seedDistrict(db.prisma);
  });

  afterAll(async () => {
    await Promise.all(leftovers.map((d) => d.close()));
  });

  it('should create every row of the report on an empty database', () => {
    expect(first).toEqual(expectedCounts(liaozhong2025));
  });

  it('should store every fact of FACTS.md, and nothing FACTS.md does not state', async () => {
    expect(walkFacts(factsMd, await loadHub(db.prisma))).toEqual([]);
  });

  it('should create nothing on a second run and leave every row count unchanged', async () => {
    const before = await rowCounts(db.prisma);
    const again = await seedDistrict(db.prisma);
    expect(seedTotal(again)).toBe(0);
    expect(await rowCounts(db.prisma)).toEqual(before);
  });

  it('should only read, one query per model, when everything is there', async () => {
    const operations: string[] = [];
    const logged = db.prisma.$extends({
      query: {
        async $allOperations({ model, operation, args, query }) {
          operations.push(`${model ?? ''}.${operation}`);
          return query(args);
        },
      },
    });
    // An extended client is a PrismaClient at runtime; its type only differs by the extension.
    expect(seedTotal(await seedDistrict(logged as unknown as PrismaClient))).toBe(0);
    const writes = operations.filter((op) => !/\.(findMany|findUnique)$/.test(op));
    expect(writes).toEqual(['.$executeRaw', '.$executeRaw']); // the seed's and the stage log's advisory locks
    expect(operations.length).toBeLessThanOrEqual(Object.keys(first).length + 1); // 12 models, 11 of them read, 2 locks
  });

  describe('after an editor changed seeded rows', () => {
    let edited: Awaited<ReturnType<typeof openTestDatabase>>;
    let reseed: SeedResult;
    let projectId: number;

    beforeAll(async () => {
      edited = await fresh();
      await seedDistrict(edited.prisma);
      const { prisma } = edited;
      projectId = (
        await prisma.project.update({
          where: { code: 'LZ-2025-001' },
          data: { stage: ProjectStage.UNDER_CONSTRUCTION, notes: 'edited' },
        })
      ).id;
      await prisma.reportedFigure.update({ where: { code: 'lz-2025-approvals-completed' }, data: { value: '180' } });
      await prisma.project.update({ where: { code: 'LZ-2025-012' }, data: { code: 'YIJIA' } });
      await prisma.target.delete({ where: { code: 'lz-2025-target-completions' } });
      reseed = await seedDistrict(prisma);
    });

    it('should re-create only the row that was deleted', async () => {
      expect(reseed.targets).toBe(1);
      expect(seedTotal(reseed)).toBe(1);
      const target = await edited.prisma.target.findUniqueOrThrow({
        where: { code: 'lz-2025-target-completions' },
        include: { actual: true },
      });
      expect(target.actual?.code).toBe('lz-2025-projects-in-operation');
    });

    it("should keep an edited project's stage, notes and single stage event", async () => {
      const after = await edited.prisma.project.findUniqueOrThrow({ where: { id: projectId }, include: { stageEvents: true } });
      expect(after.stage).toBe(ProjectStage.UNDER_CONSTRUCTION);
      expect(after.notes).toBe('edited');
      expect(after.stageEvents).toHaveLength(1);
    });

    it("should keep an edited figure's value", async () => {
      const figure = await edited.prisma.reportedFigure.findUniqueOrThrow({ where: { code: 'lz-2025-approvals-completed' } });
      expect(figure.value?.toString()).toBe('180');
    });

    it('should recognise a project by its name after its code changed', async () => {
      expect(await edited.prisma.project.count({ where: { name: '益嘉农产品' } })).toBe(1);
      const figure = await edited.prisma.reportedFigure.findUniqueOrThrow({
        where: { code: 'lz-2025-yijia-output-increase' },
        include: { project: true },
      });
      expect(figure.project?.code).toBe('YIJIA');
    });
  });

  it.runIf(engine === 'postgres')('should seed once when two servers start on one database together', async () => {
    const shared = await fresh();
    const runs = await Promise.all([seedDistrict(shared.prisma), seedDistrict(shared.prisma)]);
    const projects = runs.map((r) => r.projects).sort();
    expect(projects).toEqual([0, liaozhong2025.projects.length]);
    expect(await rowCounts(shared.prisma)).toEqual(expectedCounts(liaozhong2025));
  });
});

describe('the FACTS.md walk', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;

  beforeAll(async () => {
    db = await openTestDatabase('pglite');
  });

  afterAll(async () => {
    await db.close();
  });

  it('should understand every line of FACTS.md it is given', () => {
    // Every row, bullet and fact paragraph is claimed by a check: an added fact fails the walk.
    const added = factsMd.replace('| projects in operation so far 投产运营 | 26 |', '| projects in operation so far 投产运营 | 26 |\n| trees planted | 3 |');
    const problems = walkFacts(added, { sources: [], sectors: [], projects: [], figures: [], targets: [], awards: [], parks: [], facilities: [], snapshots: [], channels: [], observations: [] });
    expect(problems).toContainEqual(expect.stringMatching(/trees planted.*FACTS\.md line not checked/));
  });

  it('should report a missing, wrong or invented fact', async () => {
    const data = structuredClone(liaozhong2025);
    const broken: SeedData = {
      ...data,
      projects: [
        ...data.projects
          .filter((p) => p.name !== '昊明预制菜')
          .map((p) => (p.name === '益嘉农产品' ? { ...p, stage: ProjectStage.IN_OPERATION } : p)),
        { ...data.projects[0]!, code: 'LZ-2025-999', name: '虚构项目' },
      ],
      figures: data.figures.map((f) => (f.code === 'lz-2025-approvals-completed' ? { ...f, value: '177' } : f)),
      fundingAwards: data.fundingAwards.map((a) =>
        a.sourceLevel === FundingSourceLevel.CENTRAL ? { ...a, amount: '260000000.00' } : a,
      ),
      snapshots: data.snapshots.filter((s) => s.parkCode !== 'china-russia-park'),
    };
    await seedDistrict(db.prisma, broken);
    const problems = walkFacts(factsMd, await loadHub(db.prisma)).join('\n');

    expect(problems).toMatch(/project 昊明预制菜 is missing/);
    expect(problems).toMatch(/project 益嘉农产品: stage IN_OPERATION, expected AT_CAPACITY/);
    expect(problems).toMatch(/project 虚构项目 is not named in FACTS\.md/);
    expect(problems).toMatch(/expected one figure 176 projects .*same label: 177/);
    expect(problems).toMatch(/expected one CENTRAL funding award of 250000000 CNY, found 0/);
    expect(problems).toMatch(/D "中俄园[^"]*": expected one snapshot, found 0/);
  });
});
