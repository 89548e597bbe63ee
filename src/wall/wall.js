// The wall display: a plain browser ES module, no build step. It talks only to the public
// GraphQL API over graphql-ws (the `graphqlWs` global from /wall/graphql-ws.js), with the
// operations of schema/operations/wall-*.graphql (served as /wall/operations.json) and the
// stage vocabulary of the hub (served as /wall/vocabulary.json).
//
// URL: /wall?lang=en&park=<Park id>&year=2025#token=<viewer token>
//   lang  zh (default) or en
//   park  one park's funnel, movement and ticker; targets, funding and logistics stay district-wide
//   year  the dashboard year; default: the latest year with targets, up to the current one
//   token sent as graphql-ws connectionParams { authorization: 'Bearer <token>' }
// The movement panel (stage changes per week over the last 13 weeks, the projects that have not
// moved for longest) is always up to today.
//
// Text that comes from the database is only ever set with textContent / text nodes.

const params = new URLSearchParams(location.search);
const lang = params.get('lang') === 'en' ? 'en' : 'zh';
const parkId = params.get('park') || null;
const yearParam = /^\d{4}$/.test(params.get('year') ?? '') ? Number(params.get('year')) : null;
const token = new URLSearchParams(location.hash.slice(1)).get('token');

const TIME_ZONE = 'Asia/Shanghai';
/** How many rows the ticker keeps. */
const TICKER_ROWS = 12;
/** How many log events the ticker replays on load (district-wide; with ?park= the park's among them). */
const TICKER_WINDOW = parkId ? 99 : TICKER_ROWS;
/** How many of the projects that have not moved for longest the wall reads (it shows those that fit). */
const STALLED_ROWS = 8;
/** The movement panel is re-read after every change, and this often anyway (days go by). */
const MOVEMENT_REFRESH_MS = 10 * 60_000;

/**
 * The stage vocabulary, from the hub (/wall/vocabulary.json, made from src/services/stages.ts):
 * the pipeline's stages in order, every stage (the pipeline's, then SUSPENDED and CANCELLED),
 * and every stage's name in the page's language.
 */
let PIPELINE = [];
let ALL_STAGES = [];
let STAGES = {};

const MONTHS_EN = [
  'Jan',
  'Feb',
  'Mar',
  'Apr',
  'May',
  'Jun',
  'Jul',
  'Aug',
  'Sep',
  'Oct',
  'Nov',
  'Dec',
];

const TEXT = {
  zh: {
    title: '辽中区重点项目',
    year: (y) => `${y}年度`,
    funnel: '项目阶段漏斗',
    stage: '阶段',
    legendNow: '当前',
    legendReached: '累计达到',
    now: '当前',
    reached: '累计',
    projects: (n) => `共 ${n} 个项目`,
    park: '园区概况',
    targets: '目标进度',
    funding: '资金来源',
    districtWide: '全区',
    parkOnly: '本园区',
    ticker: '实时阶段变更',
    tickerEmpty: '暂无阶段变更',
    logistics: '物流通道',
    movement: '每周阶段变更',
    changes: (n) => `近13周 共${n}次`,
    estimated: (n) => `其中 ${n} 次只知月份，计在月末`,
    trendEmpty: '近13周暂无阶段变更',
    groups: { early: '招商落地', build: '审批建设', done: '竣工投产', halt: '暂停/取消' },
    stalled: '未动最久',
    stalledTotal: (n) => `30天以上未动 ${n} 个`,
    stalledEmpty: '没有30天以上未动的项目',
    days: (n) => [integer.format(n), '天'],
    since: (d) => `自${d}`,
    funnelEmpty: '暂无项目',
    parkFunnelEmpty: '该园区暂无项目',
    targetsEmpty: (y) => `${y}年度暂无目标`,
    fundingEmpty: (y) => `${y}年度暂无资金数据`,
    logisticsEmpty: (y) => `截至${y}年底暂无物流数据`,
    month: (y, m) => `${y}年${m}月`,
    quarter: (y, q) => `${y}年第${q}季度`,
    yearOnly: (y) => `${y}年`,
    other: (s, c) => `暂停 ${s} · 取消 ${c}`,
    noProgress: '暂无进度数据',
    reportedRate: (r) => `报告完成率 ${r}%`,
    asOf: (d) => `截至 ${d}`,
    overlap: '各来源口径可能重叠，不可相加',
    rank: (n) => `全国第${n}`,
    recorded: '录入',
    correction: '更正',
    connecting: '正在连接…',
    unauthorised: '未获授权 · 请检查访问令牌',
    parkNotFound: '未找到该园区（请检查 park 参数）',
    connected: '实时连接',
    reconnecting: (n) => `连接中断 · 正在重连${n > 1 ? `（第${n}次）` : ''}`,
    updated: (t) => `数据更新 ${t}`,
    parkProjects: '园区项目',
    enterprisesRegistered: '新注册企业',
    enterprisesSigned: '签约入园企业',
    floorArea: '建筑面积',
    unitProjects: '个',
    unitEnterprises: '家',
    error: '数据加载出错',
  },
  en: {
    title: 'Liaozhong key projects',
    year: (y) => `${y}`,
    funnel: 'Project stage funnel',
    stage: 'Stage',
    legendNow: 'now',
    legendReached: 'reached',
    now: 'Now',
    reached: 'Reached',
    projects: (n) => `${n} projects`,
    park: 'Park',
    targets: 'Target progress',
    funding: 'Funding by source',
    districtWide: 'district-wide',
    parkOnly: 'this park',
    ticker: 'Live stage changes',
    tickerEmpty: 'No stage changes yet',
    logistics: 'Logistics channels',
    movement: 'Changes per week',
    changes: (n) => `13 weeks · ${n} ${n === '1' ? 'change' : 'changes'}`,
    estimated: (n) => `${n} known only to the month, counted at its end`,
    trendEmpty: 'No stage changes in the last 13 weeks',
    groups: {
      early: 'Attracted',
      build: 'Approvals & works',
      done: 'Completed',
      halt: 'Suspended/cancelled',
    },
    stalled: 'Stalled longest',
    stalledTotal: (n) => `${n} stalled 30+ days`,
    stalledEmpty: 'No project has stood still for 30 days',
    days: (n) => [integer.format(n), n === 1 ? 'day' : 'days'],
    since: (d) => `since ${d}`,
    funnelEmpty: 'No projects yet',
    parkFunnelEmpty: 'No projects in this park yet',
    targetsEmpty: (y) => `No targets for ${y}`,
    fundingEmpty: (y) => `No funding recorded for ${y}`,
    logisticsEmpty: (y) => `No logistics observations up to ${y}`,
    month: (y, m) => `${MONTHS_EN[m - 1]} ${y}`,
    quarter: (y, q) => `Q${q} ${y}`,
    yearOnly: (y) => `${y}`,
    other: (s, c) => `Suspended ${s} · Cancelled ${c}`,
    noProgress: 'no progress figure yet',
    reportedRate: (r) => `reported ${r}%`,
    asOf: (d) => `as of ${d}`,
    overlap: 'Source levels may overlap: never add them up',
    rank: (n) => `#${n} in China`,
    recorded: 'recorded',
    correction: 'correction',
    connecting: 'Connecting…',
    unauthorised: 'Not authorised · check the token',
    parkNotFound: 'no such park (check ?park=)',
    connected: 'Live',
    reconnecting: (n) => `Connection lost · reconnecting${n > 1 ? ` (attempt ${n})` : ''}`,
    updated: (t) => `Updated ${t}`,
    parkProjects: 'Projects',
    enterprisesRegistered: 'New enterprises',
    enterprisesSigned: 'Enterprises signed',
    floorArea: 'Floor area',
    unitProjects: '',
    unitEnterprises: '',
    error: 'Data error',
  },
}[lang];

const FUNDING_LEVELS = {
  zh: {
    CENTRAL: '中央资金',
    PROVINCIAL: '省级资金',
    PROVINCIAL_AND_ABOVE: '省级及以上资金',
    MUNICIPAL: '市级资金',
    DISTRICT: '区级资金',
    POLICY_BANK: '政策性银行',
    COMMERCIAL_BANK: '商业银行',
    SPECIAL_BOND: '专项债',
    OTHER: '其他',
  },
  en: {
    CENTRAL: 'Central funds',
    PROVINCIAL: 'Provincial funds',
    PROVINCIAL_AND_ABOVE: 'Provincial and above',
    MUNICIPAL: 'Municipal funds',
    DISTRICT: 'District funds',
    POLICY_BANK: 'Policy banks',
    COMMERCIAL_BANK: 'Commercial banks',
    SPECIAL_BOND: 'Special bonds',
    OTHER: 'Other',
  },
}[lang];

const METRICS = {
  zh: { dispatches: '发送车次', service_status: '运行状态', assembly_centre: '集结中心' },
  en: { dispatches: 'Dispatches', service_status: 'Service', assembly_centre: 'Assembly centre' },
}[lang];

// ---------------------------------------------------------------------------------------------
// DOM helpers: strings become text nodes, never markup.

const $ = (id) => document.getElementById(id);

/** An element with attributes (`class`, `data-*`, ...) and children (nodes, or strings as text). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    node.append(
      typeof child === 'string' || typeof child === 'number'
        ? document.createTextNode(String(child))
        : child,
    );
  }
  return node;
}

/** A name in the page's language: the English one when asked for and known. */
const nameOf = (thing) => (lang === 'en' && thing?.nameEn ? thing.nameEn : (thing?.name ?? ''));

/**
 * An observation's text value in the page's language: its English half ("中文 / English"), or,
 * for a value the data gives only in Chinese (开通运行), the English half of its note, where the
 * data has one.
 */
function textValueOf(o) {
  if (lang !== 'en' || o.textValue?.includes(' / ')) return bilingual(o.textValue);
  return (o.note?.includes(' / ') && bilingual(o.note)) || o.textValue;
}

/** The report's notes are "中文 / English": the part in the page's language. */
function bilingual(text) {
  if (!text) return '';
  const at = text.indexOf(' / ');
  if (at < 0) return text;
  return lang === 'en' ? text.slice(at + 3) : text.slice(0, at);
}

const integer = new Intl.NumberFormat(lang === 'en' ? 'en' : 'zh-CN', { maximumFractionDigits: 0 });

/** A decimal string as a number for display (the raw string stays in data-* attributes). */
const num = (s) => (s == null ? null : Number(s));

function formatValue(value, unit) {
  const n = num(value);
  if (n == null) return '—';
  if (unit === 'CNY') return money(value);
  return Number.isInteger(n) ? integer.format(n) : String(n);
}

function money(value) {
  const n = num(value);
  if (n == null) return '—';
  if (lang === 'en') {
    return new Intl.NumberFormat('en', {
      style: 'currency',
      currency: 'CNY',
      notation: 'compact',
      maximumFractionDigits: 2,
    }).format(n);
  }
  if (Math.abs(n) >= 1e8) return `${trim(n / 1e8)}亿元`;
  if (Math.abs(n) >= 1e4) return `${trim(n / 1e4)}万元`;
  return `${trim(n)}元`;
}

const trim = (n) => String(Number(n.toFixed(2)));
const percent = (rate) => (rate == null ? '—' : `${Number(rate).toFixed(1)}%`);

const timeFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIME_ZONE,
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});
const dayFormat = new Intl.DateTimeFormat('en-CA', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** Today's date in the district, YYYY-MM-DD. */
const districtToday = () => dayFormat.format(new Date());

/** A day as the log knows it: the day itself, or only its month, quarter or year. */
function dateText(day, precision) {
  const [y, m] = day.split('-').map(Number);
  switch (precision) {
    case 'MONTH':
      return TEXT.month(y, m);
    case 'QUARTER':
      return TEXT.quarter(y, Math.floor((m - 1) / 3) + 1);
    case 'YEAR':
      return TEXT.yearOnly(y);
    default:
      return day;
  }
}

/**
 * When a change happened: for a change of today, the time the hub recorded it (HH:MM:SS); for an
 * earlier one, its day as the log knows it (2025-07-31, 2025年8月), not the time it was entered.
 */
function changeTime(event) {
  const precision = event.occurredPrecision ?? 'DAY';
  if (precision === 'DAY' && event.occurredOn === districtToday())
    return timeFormat.format(new Date(event.recordedAt));
  return dateText(event.occurredOn, precision);
}

// ---------------------------------------------------------------------------------------------
// Static labels and the clock.

document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
document.title = `${TEXT.title} · ${lang === 'en' ? 'Wall display' : '实时看板'}`;
for (const node of document.querySelectorAll('[data-i18n]')) {
  const value = TEXT[node.getAttribute('data-i18n')];
  if (typeof value === 'string') node.textContent = value;
}
const clock = () => {
  $('clock').textContent = timeFormat.format(new Date()).slice(0, 5);
};
clock();
setInterval(clock, 1000);

// ---------------------------------------------------------------------------------------------
// Connection state.

const wall = $('wall');
let retries = 0;

function showConnection(state) {
  const pill = $('connection');
  pill.dataset.state = state;
  wall.dataset.connection = state;
  $('connection-text').textContent =
    state === 'connected'
      ? TEXT.connected
      : state === 'reconnecting'
        ? TEXT.reconnecting(retries)
        : state === 'unauthorised'
          ? TEXT.unauthorised
          : TEXT.connecting;
}
showConnection('connecting');

// ---------------------------------------------------------------------------------------------
// Rendering.

/** Previous counts by key, to flash a number that changed. */
const previous = new Map();
function number(key, value, cls) {
  const node = el('span', { class: cls }, value == null ? '—' : integer.format(value));
  if (previous.has(key) && previous.get(key) !== value) node.classList.add('changed');
  previous.set(key, value);
  return node;
}

function renderFunnel(steps, total) {
  const byStage = new Map(steps.map((s) => [s.stage, s]));
  // No project at all (an empty hub, a park without projects): say so, not an all-zero funnel.
  const empty = (total ?? 0) === 0 && steps.every((s) => !s.current && !s.reached);
  document.querySelector('.funnel-panel').dataset.empty = String(empty);
  $('funnel-empty').hidden = !empty;
  $('funnel-empty').textContent = parkId ? TEXT.parkFunnelEmpty : TEXT.funnelEmpty;
  const max = Math.max(1, total ?? 0, ...steps.map((s) => s.reached ?? 0));
  $('funnel-total').textContent = total == null ? '' : TEXT.projects(integer.format(total));
  $('funnel').replaceChildren(
    ...PIPELINE.map((stage) => {
      const step = byStage.get(stage) ?? { current: 0, reached: 0 };
      const reachedBar = el('span', { class: 'bar reached' });
      const nowBar = el('span', { class: 'bar now' });
      reachedBar.style.width = `${(100 * (step.reached ?? 0)) / max}%`;
      nowBar.style.width = `${(100 * (step.current ?? 0)) / max}%`;
      return el(
        'li',
        {
          class: 'funnel-row',
          'data-stage': stage,
          'data-current': step.current,
          'data-reached': step.reached,
        },
        el('span', { class: 'stage-name' }, STAGES[stage]),
        el('span', { class: 'track' }, reachedBar, nowBar),
        number(`now:${stage}`, step.current, 'count now'),
        number(`reached:${stage}`, step.reached, 'count reached'),
      );
    }),
  );
  const suspended = byStage.get('SUSPENDED')?.current ?? 0;
  const cancelled = byStage.get('CANCELLED')?.current ?? 0;
  const other = $('funnel-other');
  other.dataset.suspended = suspended;
  other.dataset.cancelled = cancelled;
  other.textContent = TEXT.other(integer.format(suspended), integer.format(cancelled));
}

function renderTargets(targets) {
  $('targets').replaceChildren(
    ...targets.map((t) => {
      const label = lang === 'en' ? t.target.labelEn : t.target.label;
      const attrs = {
        class: 'target',
        'data-target': t.target.code,
        'data-actual': t.actualValue,
        'data-value': t.targetValue,
        'data-rate': t.computedRate,
      };
      if (t.actualValue == null) {
        return el(
          'li',
          { ...attrs, class: 'target pending' },
          el('span', { class: 'target-label' }, label),
          el(
            'span',
            { class: 'target-pending', title: TEXT.noProgress },
            `— / ${formatValue(t.targetValue, t.unit)}`,
          ),
        );
      }
      const bar = el('span', { class: 'bar' });
      bar.style.width = `${Math.min(100, Number(t.computedRate ?? 0))}%`;
      const notes = [t.actual?.asOf ? TEXT.asOf(t.actual.asOf) : null];
      if (t.rateMismatch && t.reportedRate != null)
        notes.push(TEXT.reportedRate(Number(t.reportedRate).toFixed(1)));
      return el(
        'li',
        attrs,
        el('span', { class: 'target-label' }, label),
        el(
          'span',
          { class: 'target-figures' },
          el('span', { class: 'target-actual' }, formatValue(t.actualValue, t.unit)),
          el('span', { class: 'target-sep' }, ' / '),
          el('span', { class: 'target-value' }, formatValue(t.targetValue, t.unit)),
          el(
            'span',
            { class: `target-rate${t.rateMismatch ? ' mismatch' : ''}` },
            percent(t.computedRate),
          ),
        ),
        el(
          'span',
          { class: 'meter' },
          el('span', { class: 'progress' }, bar),
          el('span', { class: 'target-note' }, notes.filter(Boolean).join(' · ')),
        ),
      );
    }),
  );
}

function renderFunding(funding) {
  const max = Math.max(1, ...funding.map((f) => Number(f.amount)));
  $('funding').replaceChildren(
    ...funding.map((f) => {
      const bar = el('span', { class: 'bar' });
      bar.style.width = `${(100 * Number(f.amount)) / max}%`;
      return el(
        'li',
        { class: 'funding-row', 'data-level': f.sourceLevel, 'data-amount': f.amount },
        el(
          'span',
          { class: 'funding-level' },
          (FUNDING_LEVELS[f.sourceLevel] ?? f.sourceLevel) + (f.mayOverlap ? ' *' : ''),
        ),
        el('span', { class: 'track' }, bar),
        el('span', { class: 'funding-amount' }, money(f.amount)),
      );
    }),
  );
  $('funding-note').textContent = funding.some((f) => f.mayOverlap) ? `* ${TEXT.overlap}` : '';
}

function renderLogistics(channels) {
  $('logistics').replaceChildren(
    ...channels.map((c) => {
      const facts = c.latestObservations.map((o) => {
        const label = METRICS[o.metric] ?? o.metric;
        let value;
        if (o.value != null)
          value = `${formatValue(o.value)}${o.unit && lang === 'en' ? ` ${o.unit}` : ''}`;
        else if (o.nationalRank != null) value = TEXT.rank(o.nationalRank);
        else value = textValueOf(o);
        if (o.value != null && o.nationalRank != null) value += ` · ${TEXT.rank(o.nationalRank)}`;
        return el(
          'li',
          { class: `fact${o.nationalRank != null ? ' ranked' : ''}`, 'data-metric': o.metric },
          el('span', { class: 'fact-label' }, label),
          el('span', { class: 'fact-value' }, value),
        );
      });
      return el(
        'li',
        { class: 'channel', 'data-channel': c.channel.id },
        el('span', { class: 'channel-name' }, nameOf(c.channel)),
        c.latestNationalRank
          ? el('span', { class: 'channel-rank' }, TEXT.rank(c.latestNationalRank.nationalRank))
          : null,
        el('ol', { class: 'facts' }, facts),
      );
    }),
  );
}

/** The park card: its project count and its latest snapshots (from the dashboard's parks). */
function renderPark(summary) {
  const panel = $('park-panel');
  if (!parkId || !summary) {
    panel.hidden = true;
    return;
  }
  panel.hidden = false;
  $('park-name').textContent = nameOf(summary.park);
  const facts = [
    el(
      'li',
      { class: 'fact', 'data-metric': 'projects' },
      el('span', { class: 'fact-label' }, TEXT.parkProjects),
      el(
        'span',
        { class: 'fact-value' },
        `${integer.format(summary.projects.count)} ${TEXT.unitProjects}`.trim(),
      ),
    ),
  ];
  const s = summary.latestSnapshot;
  if (s?.enterprisesRegistered != null)
    facts.push(
      fact(
        TEXT.enterprisesRegistered,
        `${integer.format(s.enterprisesRegistered)} ${TEXT.unitEnterprises}`.trim(),
      ),
    );
  if (s?.enterprisesSigned != null)
    facts.push(
      fact(
        TEXT.enterprisesSigned,
        `${integer.format(s.enterprisesSigned)} ${TEXT.unitEnterprises}`.trim(),
      ),
    );
  if (s?.floorAreaM2 != null)
    facts.push(fact(TEXT.floorArea, `${integer.format(Number(s.floorAreaM2))} m²`));
  if (s?.statusNote) facts.push(fact('', bilingual(s.statusNote)));
  for (const f of summary.latestFacilitySnapshots)
    facts.push(
      fact(
        nameOf(f.facility),
        bilingual(f.statusNote) ||
          (f.floorAreaM2 ? `${integer.format(Number(f.floorAreaM2))} m²` : ''),
      ),
    );
  $('park').replaceChildren(el('ol', { class: 'facts' }, facts));
}

const fact = (label, value) =>
  el(
    'li',
    { class: 'fact' },
    el('span', { class: 'fact-label' }, label),
    el('span', { class: 'fact-value' }, value),
  );

/** Shows the empty-state line `id` with `text` when `empty`, else hides it. */
function showEmpty(id, empty, text) {
  const node = $(id);
  node.hidden = !empty;
  node.textContent = empty ? text : '';
}

let lastDashboard = null;
let parkFunnel = null;

function renderDashboard(d) {
  lastDashboard = d;
  wall.dataset.year = d.year;
  $('scope').textContent = TEXT.year(d.year);
  $('updated').textContent = TEXT.updated(timeFormat.format(new Date(d.generatedAt)));
  const summary = parkId ? d.parks.find((p) => p.park.id === parkId) : null;
  if (parkId)
    $('scope').textContent =
      `${TEXT.year(d.year)} · ${summary ? nameOf(summary.park) : TEXT.parkNotFound}`;
  if (!parkId) {
    renderFunnel(
      d.stageFunnel.map((s) => ({
        stage: s.stage,
        current: s.current.count,
        reached: s.reached.count,
      })),
      d.projects.count,
    );
  } else if (parkFunnel) {
    renderFunnel(parkFunnel, summary?.projects.count ?? null);
  }
  renderPark(summary);
  // A park's wall shows the park's card where the district's logistics channels would be.
  document.querySelector('.logistics-panel').hidden = Boolean(parkId);
  renderTargets(d.targets);
  renderFunding(d.funding);
  renderLogistics(d.logistics);
  // A year without data says so in each panel.
  showEmpty('targets-empty', !d.targets.length, TEXT.targetsEmpty(d.year));
  showEmpty('funding-empty', !d.funding.length, TEXT.fundingEmpty(d.year));
  showEmpty(
    'logistics-empty',
    !d.logistics.some((c) => c.latestObservations.length),
    TEXT.logisticsEmpty(d.year),
  );
  for (const id of ['targets-scope', 'funding-scope'])
    $(id).textContent = parkId ? TEXT.districtWide : '';
  // The header names the park; the ticker says it holds only the park's changes.
  $('ticker-scope').textContent = summary ? TEXT.parkOnly : '';
  wall.dataset.ready = 'true';
}

// ---------------------------------------------------------------------------------------------
// Movement: stage changes per week (a small SVG chart), and the projects that have not moved for
// longest. Both from the public API (stageChangeTrend, stalledProjects), re-read after each change.

/** The chart's colours group the stages reached: attracted, approvals and works, completed, halted. */
const STAGE_GROUP = {
  PLANNED: 'early',
  NEGOTIATING: 'early',
  SIGNED: 'early',
  LANDED: 'early',
  APPROVED: 'build',
  TENDERED: 'build',
  LAND_ACQUIRED: 'build',
  REGISTERED: 'build',
  UNDER_CONSTRUCTION: 'build',
  COMPLETED: 'done',
  IN_OPERATION: 'done',
  AT_CAPACITY: 'done',
  SUSPENDED: 'halt',
  CANCELLED: 'halt',
};
const GROUPS = ['early', 'build', 'done', 'halt'];

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  for (const child of children)
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  return node;
}

let lastTrend = null;

function renderTrend(trend) {
  lastTrend = trend;
  const panel = document.querySelector('.movement-panel');
  const empty = trend.total === 0;
  panel.dataset.empty = String(empty);
  panel.dataset.total = trend.total;
  $('trend-total').textContent = empty ? '' : TEXT.changes(integer.format(trend.total));
  showEmpty('trend-empty', empty, TEXT.trendEmpty);
  if (empty) {
    $('trend').replaceChildren();
    $('trend-legend').replaceChildren();
    return;
  }
  drawTrend(trend);
  const present = new Set(trend.buckets.flatMap((b) => b.byStage.map((s) => STAGE_GROUP[s.stage])));
  const legend = GROUPS.filter((g) => present.has(g)).map((g) =>
    el('span', { 'data-group': g }, el('i', { class: `swatch g-${g}` }), TEXT.groups[g]),
  );
  if (trend.estimatedCount)
    legend.push(
      el('span', { class: 'estimated' }, TEXT.estimated(integer.format(trend.estimatedCount))),
    );
  $('trend-legend').replaceChildren(...legend);
}

/** The bars, sized to the panel in pixels (so the labels' CSS sizes hold); redrawn on resize. */
function drawTrend(trend) {
  const box = $('trend');
  const width = box.clientWidth;
  const height = box.clientHeight;
  if (!width || !height) return;
  const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
  const valueSpace = 1.8 * rem;
  const labelSpace = 2 * rem;
  const base = height - labelSpace;
  const n = trend.buckets.length;
  const slot = width / n;
  const barWidth = slot * 0.62;
  // A week or two with one change should not look like a surge: the scale runs to 5 at least.
  const max = Math.max(5, ...trend.buckets.map((b) => b.count));
  const scale = (base - valueSpace) / max;
  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'img',
    'aria-label': `${TEXT.movement}: ${TEXT.changes(trend.total)}`,
  });
  chart.append(svg('line', { class: 'axis', x1: 0, x2: width, y1: base, y2: base }));
  trend.buckets.forEach((bucket, i) => {
    const x = i * slot + (slot - barWidth) / 2;
    const bar = svg('g', {
      class: 'bucket',
      'data-start': bucket.start,
      'data-count': bucket.count,
    });
    let top = base;
    for (const group of GROUPS) {
      const count = bucket.byStage
        .filter((s) => STAGE_GROUP[s.stage] === group)
        .reduce((sum, s) => sum + s.count, 0);
      if (!count) continue;
      top -= count * scale;
      bar.append(
        svg('rect', {
          class: `g-${group}`,
          x,
          y: top,
          width: barWidth,
          height: count * scale,
          rx: 0.2 * rem,
        }),
      );
    }
    if (bucket.count)
      bar.append(
        svg(
          'text',
          { class: 'value', x: x + barWidth / 2, y: top - 0.4 * rem, 'text-anchor': 'middle' },
          integer.format(bucket.count),
        ),
      );
    // A date under every fourth week and the last: the week's Monday, month/day.
    if (i % 4 === 0 || i === n - 1) {
      const [, m, d] = bucket.start.split('-').map(Number);
      const last = i === n - 1;
      bar.append(
        svg(
          'text',
          {
            class: 'label',
            x: last ? x + barWidth : x + barWidth / 2,
            y: height - 0.3 * rem,
            'text-anchor': last ? 'end' : 'middle',
          },
          `${m}/${d}`,
        ),
      );
    }
    chart.append(bar);
  });
  box.replaceChildren(chart);
}
window.addEventListener('resize', () => lastTrend?.total && drawTrend(lastTrend));

function renderStalled(connection) {
  $('stalled-total').textContent = connection.totalCount
    ? TEXT.stalledTotal(integer.format(connection.totalCount))
    : '';
  const rows = connection.edges.map(({ node }) => {
    const last = node.stageHistory.edges[0]?.node;
    // A change known only to the month counts from the month's end: "at least" that many days.
    const estimated = last && last.occurredPrecision !== 'DAY';
    const [days, unit] = TEXT.days(node.daysAtStage);
    return el(
      'li',
      {
        class: 'stalled-row',
        'data-project': node.id,
        'data-days': node.daysAtStage,
        'data-stage': node.stage,
        title: last ? TEXT.since(dateText(last.occurredOn, last.occurredPrecision)) : null,
      },
      el('span', { class: 'stalled-name' }, nameOf(node)),
      el('span', { class: 'stalled-stage' }, STAGES[node.stage]),
      el('span', { class: 'stalled-days' }, estimated ? `≥${days}` : days, el('small', {}, unit)),
    );
  });
  $('stalled').replaceChildren(...rows);
  showEmpty('stalled-empty', !rows.length, TEXT.stalledEmpty);
  fitRows($('stalled'));
}

/** Hides the rows of `list` that do not fit in it whole (the list shows as many as the screen has room for). */
function fitRows(list) {
  for (const row of list.children) row.hidden = false;
  for (const row of list.children)
    row.hidden = row.offsetTop - list.offsetTop + row.offsetHeight > list.clientHeight + 1;
}
window.addEventListener('resize', () => fitRows($('stalled')));
// The page's font arrives after the first paint (font-display: swap) and changes the rows' heights.
document.fonts.addEventListener('loadingdone', () => {
  fitRows($('stalled'));
  if (lastTrend?.total) drawTrend(lastTrend);
});

/** Re-reads the movement panel (once more if a change comes in while it reads). */
let movementRefresh = null;
let movementStale = false;
function refreshMovement() {
  if (movementRefresh) {
    movementStale = true;
    return;
  }
  movementRefresh = (async () => {
    try {
      const data = await query('movement', {
        filter: parkId ? { parkId } : null,
        stalled: STALLED_ROWS,
      });
      renderTrend(data.stageChangeTrend);
      renderStalled(data.stalledProjects);
      wall.dataset.movementReady = 'true';
    } catch (error) {
      console.warn('movement:', error);
    } finally {
      movementRefresh = null;
      if (movementStale) {
        movementStale = false;
        refreshMovement();
      }
    }
  })();
}

// ---------------------------------------------------------------------------------------------
// The ticker.

/** The last sequence shown: events at or before it are duplicates. */
let lastSequence = null;
/** The log's end when the page loaded: events up to it are history, later ones flash as new. */
let loadedAt = null;

function addStageChange(event) {
  const seq = BigInt(event.sequence);
  if (lastSequence != null && seq <= lastSequence) return;
  lastSequence = seq;
  wall.dataset.lastSequence = event.sequence;
  const from = event.fromStage ? STAGES[event.fromStage] : TEXT.recorded;
  const row = el(
    'li',
    {
      class: `change${loadedAt != null && seq > loadedAt ? ' fresh' : ''}`,
      'data-sequence': event.sequence,
      'data-project': event.project.id,
      'data-to': event.toStage,
      'data-occurred': event.occurredOn,
    },
    el(
      'span',
      {
        class: 'change-time',
        title: `${TEXT.recorded} ${dayFormat.format(new Date(event.recordedAt))} ${timeFormat.format(new Date(event.recordedAt))}`,
      },
      changeTime(event),
    ),
    el('span', { class: 'change-project' }, nameOf(event.project)),
    el(
      'span',
      { class: 'change-stages' },
      el('span', { class: 'from' }, from),
      el('span', { class: 'arrow' }, ' → '),
      el(
        'span',
        { class: `to stage-${event.toStage.toLowerCase()}` },
        STAGES[event.toStage] ?? event.toStage,
      ),
      event.kind === 'CORRECTION' ? el('span', { class: 'kind' }, ` (${TEXT.correction})`) : null,
    ),
  );
  const list = $('ticker');
  list.prepend(row);
  while (list.children.length > TICKER_ROWS) list.lastElementChild.remove();
  $('ticker-empty').hidden = true;
}

// ---------------------------------------------------------------------------------------------
// GraphQL over graphql-ws.

const wsUrl = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/graphql`;
let activeSocket = null;
let pongTimer = null;

const client = graphqlWs.createClient({
  url: wsUrl,
  lazy: false,
  retryAttempts: Infinity,
  shouldRetry: () => true,
  // 1 s, 2 s, 4 s, then every 5 s, with jitter so a room of walls does not reconnect in step.
  retryWait: (attempt) =>
    new Promise((resolve) =>
      setTimeout(resolve, Math.min(1000 * 2 ** attempt, 5000) + Math.random() * 500),
    ),
  // A server that accepts the socket but never acknowledges it counts as down.
  connectionAckWaitTimeout: 10_000,
  // Ping every 10 s; a pong missing for 5 s means a dead link the browser has not noticed: close
  // the socket so the client reconnects.
  keepAlive: 10_000,
  connectionParams: () => (token ? { authorization: `Bearer ${token}` } : {}),
  on: {
    connecting: () => {
      if (wall.dataset.connection !== 'unauthorised')
        showConnection(retries > 0 ? 'reconnecting' : 'connecting');
    },
    opened: (socket) => {
      activeSocket = socket;
    },
    connected: () => {
      retries = 0;
      showConnection('connected');
    },
    closed: (event) => {
      activeSocket = null;
      clearTimeout(pongTimer);
      retries += 1;
      // 4401/4403: the hub refused the credential (none, wrong or expired `#token=`).
      showConnection(
        event?.code === 4401 || event?.code === 4403 ? 'unauthorised' : 'reconnecting',
      );
    },
    ping: (received) => {
      if (received) return;
      clearTimeout(pongTimer);
      pongTimer = setTimeout(() => {
        if (activeSocket?.readyState === WebSocket.OPEN) activeSocket.close(4408, 'Pong timeout');
      }, 5_000);
    },
    pong: (received) => {
      if (received) clearTimeout(pongTimer);
    },
  },
});

let operations = {};

/** GraphQL errors: a refused credential shows on the connection pill, the rest in the console. */
function reportErrors(name, errors) {
  const list = Array.isArray(errors) ? errors : [errors];
  const refused = list.some((e) => ['UNAUTHENTICATED', 'FORBIDDEN'].includes(e?.extensions?.code));
  if (refused) showConnection('unauthorised');
  console.warn(
    `${name}:`,
    list
      .map((e) => e?.message ?? (e?.code ? `socket closed ${e.code} ${e.reason}` : String(e)))
      .join('; '),
  );
}

/** One query result (retried by the client across reconnects). */
function query(name, variables) {
  return new Promise((resolve, reject) => {
    let result;
    client.subscribe(
      { query: operations[name], variables },
      {
        next: (r) => {
          result = r;
          if (r.errors?.length) reportErrors(name, r.errors);
        },
        error: (error) => {
          reportErrors(name, error);
          reject(error);
        },
        complete: () =>
          result?.errors?.length && !result.data
            ? reject(new Error(result.errors[0].message))
            : resolve(result?.data),
      },
    );
  });
}

/**
 * A subscription that outlives its stream: the client resends it on every reconnect, and when
 * the server ends it (complete, or an error such as EVENT_BUS_LOST) it is started again after a
 * pause. `variables` is sent as it is at each (re)send, so the ticker updates `after` in place.
 */
function keepSubscribed(name, variables, onData) {
  let attempt = 0;
  const start = () => {
    client.subscribe(
      { query: operations[name], variables },
      {
        next: (result) => {
          attempt = 0;
          if (result.data) {
            if (wall.dataset.connection === 'unauthorised') showConnection('connected');
            onData(result.data);
          }
          if (result.errors?.length) reportErrors(name, result.errors);
        },
        error: (error) => restart(error),
        complete: () => restart(null),
      },
    );
  };
  const restart = (error) => {
    if (error) reportErrors(name, error);
    attempt += 1;
    setTimeout(start, Math.min(1000 * 2 ** attempt, 15_000));
  };
  start();
}

/** `fn()` until it succeeds, with a growing pause between tries. */
async function retrying(fn) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      console.warn(error);
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * 2 ** attempt, 15_000)));
    }
  }
}

/** One of the page's JSON files from the hub (operations.json, vocabulary.json). */
function loadJson(file) {
  return retrying(async () => {
    const res = await fetch(`/wall/${file}`, { cache: 'no-cache' });
    if (!res.ok) throw new Error(`${file}: HTTP ${res.status}`);
    return res.json();
  });
}

/** The year to show: ?year=, else the latest year with targets up to the current one. */
async function chooseYear() {
  if (yearParam) return yearParam;
  const thisYear = Number(
    new Intl.DateTimeFormat('en', { timeZone: TIME_ZONE, year: 'numeric' }).format(new Date()),
  );
  try {
    const data = await query('years', {});
    const years = data.targets.map((t) => t.year).filter((y) => y <= thisYear);
    return years.length ? Math.max(...years) : null;
  } catch {
    return null;
  }
}

/** With ?park=: that park's funnel, re-read whenever the dashboard changes (once more if it changes mid-read). */
let parkRefresh = null;
let parkStale = false;
function refreshParkFunnel(year) {
  if (parkRefresh) {
    parkStale = true;
    return;
  }
  parkRefresh = (async () => {
    try {
      const yearEnd = year ? `${year}-12-31` : null;
      const data = await query('park', { park: parkId, yearEnd });
      parkFunnel = ALL_STAGES.map((stage) => ({
        stage,
        current: data[`now_${stage}`]?.totalCount ?? 0,
        reached: data[`reached_${stage}`]?.totalCount ?? null,
      }));
      if (lastDashboard) renderDashboard(lastDashboard);
    } catch (error) {
      console.warn('park funnel:', error);
    } finally {
      parkRefresh = null;
      if (parkStale) {
        parkStale = false;
        refreshParkFunnel(year);
      }
    }
  })();
}

async function main() {
  const [loaded, vocabulary] = await Promise.all([
    loadJson('operations.json'),
    loadJson('vocabulary.json'),
  ]);
  operations = loaded;
  PIPELINE = vocabulary.pipeline;
  ALL_STAGES = vocabulary.stages;
  STAGES = vocabulary.stageNames[lang];
  const year = await chooseYear();

  // The dashboard comes again after every change: the park's funnel and the movement panel are
  // read again with it.
  keepSubscribed('dashboard', { year }, (data) => {
    renderDashboard(data.dashboardUpdated);
    if (parkId) refreshParkFunnel(data.dashboardUpdated.year);
    refreshMovement();
  });
  setInterval(refreshMovement, MOVEMENT_REFRESH_MS);

  // Replay the last few events of the log, then go on live; `after` follows the last sequence
  // shown, so a resubscription after a reconnect resumes exactly there.
  const page = await retrying(
    async () => (await query('log-head', { window: TICKER_WINDOW + 1 })).stageEvents.pageInfo,
  );
  const tickerVariables = {
    filter: parkId ? { parkId } : null,
    after: page.hasPreviousPage ? page.startCursor : '0',
  };
  loadedAt = BigInt(page.endCursor ?? '0');
  keepSubscribed('stage-changes', tickerVariables, (data) => {
    addStageChange(data.projectStageChanged);
    if (lastSequence != null) tickerVariables.after = lastSequence.toString();
  });
}

main().catch((error) => {
  console.error(error);
  wall.dataset.error = 'true';
  $('updated').textContent = TEXT.error;
});
