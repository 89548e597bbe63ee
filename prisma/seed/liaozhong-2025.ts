/**
 * Seed data: Liaozhong District's 2025 autumn "project assault" campaign, as reported by the
 * District Party Committee Propaganda Department (辽中区委宣传部). Every fact of the report and
 * nothing else (tests/seed.test.ts checks it against tests/fixtures/expected-facts.ts);
 * `src/services/seed.ts` inserts what is missing.
 *
 * Plain data only. Rows refer to each other by stable code (never by id); codes are stable
 * forever, because CSV imports and editors key on them. Money is an exact decimal string in CNY
 * yuan (亿元 = 100,000,000; 万元 = 10,000). Dates are calendar dates with an honest precision:
 * section A of the report says 截至7月底 (2025-07-31, a day); the other sections say 截至目前
 * ("so far") in an article published in Q3 2025, stored as month 2025-08, flagged approximate.
 */
import {
  ChannelKind,
  DatePrecision,
  FacilityStatus,
  FigureQualifier,
  FundingInstrument,
  FundingSourceLevel,
  ParkKind,
  ProjectStage,
} from '../../src/generated/prisma/client.ts';

/** A calendar date, `YYYY-MM-DD`. */
export type IsoDate = `${number}-${number}-${number}`;

/** A date as the report gives it: the day stored and how much of it is known. */
export interface ReportedDate {
  on: IsoDate;
  precision: DatePrecision;
}

/** What a reported figure counts, so dashboards can group them. */
export type FigureCategory =
  | 'approval'
  | 'tender'
  | 'land'
  | 'registration'
  | 'construction'
  | 'completion'
  | 'operation'
  | 'investment'
  | 'attraction'
  | 'service'
  | 'output';

export interface SeedSourceDocument {
  code: string;
  title: string;
  titleEn: string;
  publisher: string;
  published: ReportedDate;
  url: string | null;
  note: string;
}

export interface SeedSector {
  code: string;
  name: string;
  nameEn: string;
  leading: boolean;
}

export interface SeedProject {
  code: string;
  /** Clean simplified-Chinese name (the scraped article has traditional characters). */
  name: string;
  nameEn: string;
  /** `null` where the report gives no category and the name does not make one evident. */
  sectorCode: string | null;
  /** The stage as the report gives it; recorded once more as the project's INITIAL event. */
  stage: ProjectStage;
  /** When the report says the stage was reached: the as-of date of its section. */
  stageAsOf: ReportedDate;
  /** Note of the INITIAL stage event. */
  stageNote: string;
  description: string | null;
  notes: string;
}

export interface SeedPark {
  code: string;
  name: string;
  nameEn: string;
  kind: ParkKind;
  description: string | null;
}

export interface SeedFacility {
  code: string;
  name: string;
  nameEn: string;
  /** `null`: the report does not say which park the facility is in. */
  parkCode: string | null;
  phase: number | null;
  description: string | null;
}

/** Exactly one of `parkCode` / `facilityCode`. Identified by subject, source and date. */
export type SeedParkSnapshot = (
  | { parkCode: string; facilityCode?: never }
  | { facilityCode: string; parkCode?: never }
) & {
  asOf: ReportedDate;
  status: FacilityStatus | null;
  statusNote: string | null;
  floorAreaM2: string | null;
  enterprisesRegistered: number | null;
  enterprisesSigned: number | null;
  note: string | null;
};

export interface SeedChannel {
  code: string;
  name: string;
  nameEn: string;
  kind: ChannelKind;
  description: string | null;
}

/** Identified by channel, metric, period end and source. */
export interface SeedObservation {
  channelCode: string;
  metric: string;
  value: string | null;
  textValue: string | null;
  unit: string | null;
  /** `periodStart` is a day (1 January); `periodPrecision` describes the period's end. */
  periodStart: IsoDate | null;
  periodEnd: ReportedDate;
  nationalRank: number | null;
  note: string | null;
}

export interface SeedFundingAward {
  code: string;
  sourceLevel: FundingSourceLevel;
  instrument: FundingInstrument;
  programme: string;
  programmeEn: string;
  amount: string;
  year: number;
  asOf: ReportedDate;
  reportedTotal: boolean;
  overlapNote: string | null;
  note: string | null;
}

export interface SeedFigure {
  code: string;
  label: string;
  labelEn: string;
  category: FigureCategory;
  /** `null` for a figure the report gives only in words (`textValue`). */
  value: string | null;
  textValue: string | null;
  unit: string;
  qualifier: FigureQualifier;
  asOf: ReportedDate;
  /** The as-of date is inferred ("so far"), not stated. */
  approximate: boolean;
  year: number;
  /** The one project the figure is about, if any. */
  projectCode: string | null;
  note: string | null;
}

export interface SeedTarget {
  code: string;
  label: string;
  labelEn: string;
  year: number;
  value: string;
  unit: string;
  dueBy: IsoDate | null;
  /** Code of the reported figure that measures progress, or `null` if none does. */
  actualFigureCode: string | null;
  /** The completion rate the report itself gave, in percent. */
  reportedRate: string | null;
  note: string | null;
}

/** One source document and the facts taken from it; every row is linked to the document. */
export interface SeedData {
  source: SeedSourceDocument;
  sectors: readonly SeedSector[];
  parks: readonly SeedPark[];
  facilities: readonly SeedFacility[];
  projects: readonly SeedProject[];
  channels: readonly SeedChannel[];
  observations: readonly SeedObservation[];
  snapshots: readonly SeedParkSnapshot[];
  fundingAwards: readonly SeedFundingAward[];
  figures: readonly SeedFigure[];
  targets: readonly SeedTarget[];
}

// ---------------------------------------------------------------------------------------------

const YEAR = 2025;

/** Section A: 截至7月底. */
const END_OF_JULY: ReportedDate = { on: '2025-07-31', precision: DatePrecision.DAY };
/** Sections B to F: 截至目前 ("so far") in a Q3 2025 article; month 2025-08 is the honest guess. */
const SO_FAR: ReportedDate = { on: '2025-08-01', precision: DatePrecision.MONTH };
const YEAR_END: IsoDate = '2025-12-31';

const source: SeedSourceDocument = {
  code: 'liaozhong-autumn-campaign-2025',
  title: '沈阳市辽中区全面打响项目攻坚秋季大会战',
  titleEn: "Shenyang's Liaozhong District launches an all-out autumn campaign on key projects",
  publisher: '辽中区委宣传部',
  // Published in Q3 2025 (it reports figures as of 2025-07-31 and calls to 大干三季度); the day
  // and month are unknown, so the date stands for the quarter.
  published: { on: '2025-08-01', precision: DatePrecision.QUARTER },
  url: null,
  note:
    '种子数据来源报告:辽中区2025年项目攻坚秋季大会战进展(截至7月底及截至目前)。发布于2025年第三季度,具体日期不详。' +
    ' / Seed report: progress of Liaozhong District\'s 2025 autumn project campaign (as of end of July and "so far").' +
    ' Published in Q3 2025; the exact date is not known.',
};

const sectors: SeedSector[] = [
  // The four leading industries 四大主导产业, as the report lists them.
  {
    code: 'agri-processing',
    name: '农产品精深加工',
    nameEn: 'Agricultural product deep processing',
    leading: true,
  },
  {
    code: 'energy-environment',
    name: '节能环保',
    nameEn: 'Energy saving and environmental protection',
    leading: true,
  },
  {
    code: 'advanced-equipment',
    name: '先进装备制造及配套',
    nameEn: 'Advanced equipment manufacturing and supply chain',
    leading: true,
  },
  {
    code: 'bonded-logistics',
    name: '保税加工及现代商贸物流',
    nameEn: 'Bonded processing and modern trade logistics',
    leading: true,
  },
  // Other sectors, to classify the named projects (the report's own categories where it has them).
  { code: 'agriculture', name: '农业', nameEn: 'Agriculture', leading: false },
  { code: 'real-estate', name: '房地产', nameEn: 'Real estate', leading: false },
  { code: 'infrastructure', name: '基础设施', nameEn: 'Infrastructure', leading: false },
  { code: 'livelihood', name: '民生工程', nameEn: 'Livelihood projects', leading: false },
  {
    code: 'science-technology',
    name: '科技创新',
    nameEn: 'Science and technology innovation',
    leading: false,
  },
  { code: 'new-energy', name: '新能源', nameEn: 'New energy', leading: false },
  { code: 'new-materials', name: '新材料', nameEn: 'New materials', leading: false },
];

const stageAsReported = '阶段按来源报告所述。 / Stage as reported by the source.';
const stageNotStated =
  '来源报告列为下一步加快推进(或启动)的项目,未说明所处阶段,记为计划阶段。' +
  ' / The source names it as a next step to accelerate (or start) without stating its stage; recorded as planned.';

// Sector codes below: "stated" where the report puts the project in a category, "by name" where
// the category is evident from the project's name or the report's context.
const projects: SeedProject[] = [
  // A. Approvals and construction starts, as of 2025-07-31.
  {
    code: 'LZ-2025-001',
    name: '昊明预制菜',
    nameEn: 'Haoming prepared dishes',
    sectorCode: 'agri-processing', // by name
    stage: ProjectStage.APPROVED,
    stageAsOf: END_OF_JULY,
    stageNote: stageAsReported,
    description: null,
    notes:
      '截至2025年7月底完成审批(备案)手续,是全区176个完成审批(备案)手续的项目之一。' +
      ' / Completed approval (filing) procedures by the end of July 2025; one of the 176 projects that did.',
  },
  {
    code: 'LZ-2025-002',
    name: '远程摩擦智能生产线',
    nameEn: 'Yuancheng friction smart production line',
    sectorCode: 'advanced-equipment', // by name
    stage: ProjectStage.APPROVED,
    stageAsOf: END_OF_JULY,
    stageNote: stageAsReported,
    description: null,
    notes:
      '截至2025年7月底完成审批(备案)手续,是全区176个完成审批(备案)手续的项目之一。' +
      ' / Completed approval (filing) procedures by the end of July 2025; one of the 176 projects that did.',
  },
  {
    code: 'LZ-2025-003',
    name: '农村综合改革试点试验',
    nameEn: 'Rural comprehensive reform pilot',
    sectorCode: 'agriculture', // by name
    stage: ProjectStage.TENDERED,
    stageAsOf: END_OF_JULY,
    stageNote: stageAsReported,
    description: null,
    notes:
      '截至2025年7月底完成招投标程序,是全区13个完成招投标的项目之一。' +
      ' / Completed tendering by the end of July 2025; one of the 13 projects that did.',
  },
  {
    code: 'LZ-2025-004',
    name: '城镇生活污水处理厂',
    nameEn: 'Town domestic sewage plant',
    sectorCode: 'energy-environment', // by name
    stage: ProjectStage.TENDERED,
    stageAsOf: END_OF_JULY,
    stageNote: stageAsReported,
    description: null,
    notes:
      '截至2025年7月底完成招投标程序,是全区13个完成招投标的项目之一。' +
      ' / Completed tendering by the end of July 2025; one of the 13 projects that did.',
  },
  {
    code: 'LZ-2025-005',
    name: '鲨鱼饲料',
    nameEn: 'Shark feed',
    sectorCode: 'agri-processing', // by name
    stage: ProjectStage.LAND_ACQUIRED,
    stageAsOf: END_OF_JULY,
    stageNote: stageAsReported,
    description: null,
    notes:
      '截至2025年7月底产业用地顺利摘牌,是全区10宗摘牌产业用地之一。' +
      ' / Won its industrial land parcel by the end of July 2025; one of the 10 parcels won.',
  },
  {
    code: 'LZ-2025-006',
    name: '屹美新材料',
    nameEn: 'Yimei new materials',
    sectorCode: 'new-materials', // by name
    stage: ProjectStage.LAND_ACQUIRED,
    stageAsOf: END_OF_JULY,
    stageNote: stageAsReported,
    description: null,
    notes:
      '截至2025年7月底产业用地顺利摘牌,是全区10宗摘牌产业用地之一。' +
      ' / Won its industrial land parcel by the end of July 2025; one of the 10 parcels won.',
  },
  {
    code: 'LZ-2025-007',
    name: '韵达东北总部基地',
    nameEn: 'Yunda Northeast HQ base',
    sectorCode: 'bonded-logistics', // by name (an express-delivery headquarters base)
    stage: ProjectStage.REGISTERED,
    stageAsOf: END_OF_JULY,
    stageNote: stageAsReported,
    description: null,
    notes:
      '截至2025年7月底已申报入库(统计项目库),是全区7个申报入库项目之一。' +
      ' / Submitted for registration in the statistical project database by the end of July 2025; one of 7.',
  },
  {
    code: 'LZ-2025-008',
    name: '博钰源纸箱',
    nameEn: 'Boyuyuan cartons',
    sectorCode: null, // neither stated nor evident
    stage: ProjectStage.REGISTERED,
    stageAsOf: END_OF_JULY,
    stageNote: stageAsReported,
    description: null,
    notes:
      '截至2025年7月底已申报入库(统计项目库),是全区7个申报入库项目之一。' +
      ' / Submitted for registration in the statistical project database by the end of July 2025; one of 7.',
  },
  {
    code: 'LZ-2025-009',
    name: '中科凌胜',
    nameEn: 'Zhongke Lingsheng',
    sectorCode: 'science-technology', // by context: the report lists 中科凌胜齿轮油 as science & technology
    stage: ProjectStage.UNDER_CONSTRUCTION,
    stageAsOf: END_OF_JULY,
    stageNote: stageAsReported,
    description: null,
    notes:
      '截至2025年7月底实现开复工,是全区105个开复工重点项目之一。报告另将"中科凌胜齿轮油"列为下一步推进的科技创新项目,未说明二者是否为同一项目。' +
      ' / Started or resumed construction by the end of July 2025; one of the 105 key projects that did.' +
      ' The report separately names 中科凌胜齿轮油 (Zhongke Lingsheng gear oil) as a next step and does not say whether they are the same project.',
  },
  {
    code: 'LZ-2025-010',
    name: '中建材废旧轮胎处理',
    nameEn: 'CNBM waste-tyre processing',
    sectorCode: 'energy-environment', // by name
    stage: ProjectStage.UNDER_CONSTRUCTION,
    stageAsOf: END_OF_JULY,
    stageNote: stageAsReported,
    description: null,
    notes:
      '截至2025年7月底实现开复工,是全区105个开复工重点项目之一。' +
      ' / Started or resumed construction by the end of July 2025; one of the 105 key projects that did.',
  },
  {
    code: 'LZ-2025-011',
    name: '西部供水',
    nameEn: 'Western water supply',
    sectorCode: 'infrastructure', // by name
    stage: ProjectStage.UNDER_CONSTRUCTION,
    stageAsOf: END_OF_JULY,
    stageNote: stageAsReported,
    description: null,
    notes:
      '截至2025年7月底实现开复工,是全区105个开复工重点项目之一。' +
      ' / Started or resumed construction by the end of July 2025; one of the 105 key projects that did.',
  },

  // B. Completion and operation, so far.
  {
    code: 'LZ-2025-012',
    name: '益嘉农产品',
    nameEn: 'Yijia agricultural products',
    sectorCode: 'agri-processing', // by name; the report counts it in the industrial field 工业领域
    stage: ProjectStage.AT_CAPACITY,
    stageAsOf: SO_FAR,
    stageNote: stageAsReported,
    description: '工业领域项目。 / A project in the industrial field.',
    notes:
      '经过技术改造实现产能跃升,2025年产值较上年同期净增5000万元。' +
      ' / A technical upgrade achieved a capacity leap; 2025 output value is up 50 million yuan (5000万元) on the same period of the year before.',
  },
  {
    code: 'LZ-2025-013',
    name: '中永消防设备',
    nameEn: 'Zhongyong fire equipment',
    sectorCode: 'advanced-equipment', // by name; the report counts it in the industrial field 工业领域
    stage: ProjectStage.IN_OPERATION,
    stageAsOf: SO_FAR,
    stageNote: stageAsReported,
    description: '工业领域项目。 / A project in the industrial field.',
    notes:
      '进入小升规培育库,预计年底前升规入统(成为规模以上企业)。' +
      ' / Entered the 小升规 (small-to-above-scale) cultivation pool; expected to become an above-scale enterprise in the statistics by year end.',
  },
  {
    code: 'LZ-2025-014',
    name: '昊明白羽鸡养殖',
    nameEn: 'Haoming white-feather chicken farming',
    sectorCode: 'agriculture', // stated: 农业项目
    stage: ProjectStage.IN_OPERATION,
    stageAsOf: SO_FAR,
    stageNote: stageAsReported,
    description: '农业项目。 / An agricultural project.',
    notes:
      '已竣工投产,是全区6个竣工投产的农业项目之一;6个项目合计预计实现产值1.6亿元(报告未给出单个项目产值)。' +
      ' / Completed and in operation; one of 6 agricultural projects that are. The 6 together are expected to reach an output value of 160 million yuan (1.6亿元); the report gives no figure per project.',
  },
  {
    code: 'LZ-2025-015',
    name: '申信金墅花园二期',
    nameEn: 'Shenxin Jinshu Garden phase II',
    sectorCode: 'real-estate', // stated: 房地产项目
    stage: ProjectStage.COMPLETED,
    stageAsOf: SO_FAR,
    stageNote: stageAsReported,
    description: '房地产项目。 / A real-estate project.',
    notes:
      '已竣工,是全区2个竣工的房地产项目之一;2个项目共1500套现房交付使用(报告未给出各项目套数)。' +
      ' / Completed; one of 2 real-estate projects completed, which together delivered 1500 homes (the report gives no split).',
  },

  // C. Investment attraction, so far.
  {
    code: 'LZ-2025-016',
    name: '崖州湾国家实验室区域中心',
    nameEn: 'Yazhou Bay National Laboratory regional centre',
    sectorCode: 'science-technology', // by name
    stage: ProjectStage.PLANNED,
    stageAsOf: SO_FAR,
    stageNote:
      '来源报告称已启动申报,记为计划阶段。 / The source says the application has started; recorded as planned.',
    description: null,
    notes:
      '"三争取"工作中启动申报。 / Application started, as part of the 三争取 ("three secures") work.',
  },
  {
    code: 'LZ-2025-017',
    name: '中建三局集中式风电',
    nameEn: 'CSCEC 3rd Bureau centralised wind power',
    sectorCode: 'new-energy', // by name
    stage: ProjectStage.SIGNED,
    stageAsOf: SO_FAR,
    stageNote: stageAsReported,
    description: null,
    notes:
      '已签约,是全区70个已签约的亿元以上项目之一(报告未给出本项目金额)。' +
      ' / Signed; one of the 70 signed projects of 100 million yuan (1亿元) and more (the report gives no amount for this project).',
  },
  {
    code: 'LZ-2025-018',
    name: '中化循环低碳',
    nameEn: 'Sinochem circular low-carbon',
    sectorCode: 'energy-environment', // by name
    stage: ProjectStage.LANDED,
    stageAsOf: SO_FAR,
    stageNote: stageAsReported,
    description: null,
    notes: '已落地,是全区38个落地项目之一。 / Landed; one of the 38 landed projects.',
  },
  {
    code: 'LZ-2025-019',
    name: '再生家电拆解',
    nameEn: 'Recycled home-appliance dismantling',
    sectorCode: 'energy-environment', // by name
    stage: ProjectStage.NEGOTIATING,
    stageAsOf: SO_FAR,
    stageNote: stageAsReported,
    description: null,
    notes: '在谈项目。 / In negotiation.',
  },
  {
    code: 'LZ-2025-020',
    name: '海辰储能电池',
    nameEn: 'Hithium energy-storage batteries',
    sectorCode: 'new-energy', // by name
    stage: ProjectStage.NEGOTIATING,
    stageAsOf: SO_FAR,
    stageNote: stageAsReported,
    description: null,
    notes: '在谈项目。 / In negotiation.',
  },

  // F. Next steps named (stage not stated).
  {
    code: 'LZ-2025-021',
    name: '天彤电力工程',
    nameEn: 'Tiantong power engineering',
    sectorCode: null, // the report says only 产业项目 (industrial)
    stage: ProjectStage.PLANNED,
    stageAsOf: SO_FAR,
    stageNote: stageNotStated,
    description: '产业项目。 / An industrial project.',
    notes: '下一步全力加快推进。 / To be accelerated next.',
  },
  {
    code: 'LZ-2025-022',
    name: '昊明鸡肉粉',
    nameEn: 'Haoming chicken meal',
    sectorCode: 'agri-processing', // by name; the report says 产业项目 (industrial)
    stage: ProjectStage.PLANNED,
    stageAsOf: SO_FAR,
    stageNote: stageNotStated,
    description: '产业项目。 / An industrial project.',
    notes: '下一步全力加快推进。 / To be accelerated next.',
  },
  {
    code: 'LZ-2025-023',
    name: '二中分校',
    nameEn: 'No.2 Middle School branch',
    sectorCode: 'livelihood', // stated: 民生工程
    stage: ProjectStage.PLANNED,
    stageAsOf: SO_FAR,
    stageNote: stageNotStated,
    description: '民生工程。 / A livelihood project.',
    notes: '下一步全力加快推进。 / To be accelerated next.',
  },
  {
    code: 'LZ-2025-024',
    name: '北四路至烈士塔段打通工程',
    nameEn: "North 4th Road to Martyrs' Tower link",
    sectorCode: 'livelihood', // stated: 民生工程
    stage: ProjectStage.PLANNED,
    stageAsOf: SO_FAR,
    stageNote: stageNotStated,
    description: '民生工程。 / A livelihood project.',
    notes: '下一步全力加快推进。 / To be accelerated next.',
  },
  {
    code: 'LZ-2025-025',
    name: '中科超算中心',
    nameEn: 'Zhongke supercomputing centre',
    sectorCode: 'science-technology', // stated: 科技创新项目
    stage: ProjectStage.PLANNED,
    stageAsOf: SO_FAR,
    stageNote: stageNotStated,
    description: '科技创新项目。 / A science and technology innovation project.',
    notes: '下一步全力加快推进。 / To be accelerated next.',
  },
  {
    code: 'LZ-2025-026',
    name: '中科凌胜齿轮油',
    nameEn: 'Zhongke Lingsheng gear oil',
    sectorCode: 'science-technology', // stated: 科技创新项目
    stage: ProjectStage.PLANNED,
    stageAsOf: SO_FAR,
    stageNote: stageNotStated,
    description: '科技创新项目。 / A science and technology innovation project.',
    notes:
      '下一步全力加快推进。报告另称"中科凌胜"截至7月底已开复工,未说明二者是否为同一项目。' +
      ' / To be accelerated next. The report separately names 中科凌胜 (Zhongke Lingsheng) among projects started by the end of July and does not say whether they are the same project.',
  },
  {
    code: 'LZ-2025-027',
    name: '京抚线红庙子大桥',
    nameEn: 'Jing-Fu line Hongmiaozi bridge',
    sectorCode: 'infrastructure', // stated: 基础设施项目
    stage: ProjectStage.PLANNED,
    stageAsOf: SO_FAR,
    stageNote: stageNotStated,
    description: '基础设施项目。 / An infrastructure project.',
    notes: '下一步全力加快推进。 / To be accelerated next.',
  },
  {
    code: 'LZ-2025-028',
    name: '安辽畜禽养殖污水处理',
    nameEn: 'Anliao livestock wastewater treatment',
    sectorCode: 'energy-environment', // stated: 环保项目
    stage: ProjectStage.PLANNED,
    stageAsOf: SO_FAR,
    stageNote: stageNotStated,
    description: '环保项目。 / An environmental project.',
    notes: '下一步全力加快推进。 / To be accelerated next.',
  },
  {
    code: 'LZ-2025-029',
    name: '安澜粪污资源化利用',
    nameEn: 'Anlan manure reuse',
    sectorCode: 'energy-environment', // stated: 环保项目
    stage: ProjectStage.PLANNED,
    stageAsOf: SO_FAR,
    stageNote: stageNotStated,
    description: '环保项目。 / An environmental project.',
    notes: '下一步全力加快推进。 / To be accelerated next.',
  },
  {
    code: 'LZ-2025-030',
    name: '郡威天宝家园二期',
    nameEn: 'Junwei Tianbao Homeland phase II',
    sectorCode: 'real-estate', // stated: 房地产项目
    stage: ProjectStage.PLANNED,
    stageAsOf: SO_FAR,
    stageNote: stageNotStated,
    description: '房地产项目。 / A real-estate project.',
    notes: '下一步启动。 / To be started next.',
  },
  {
    code: 'LZ-2025-031',
    name: '老客运站',
    nameEn: 'Old bus station',
    sectorCode: 'real-estate', // stated: 房地产项目
    stage: ProjectStage.PLANNED,
    stageAsOf: SO_FAR,
    stageNote: stageNotStated,
    description: '房地产项目。 / A real-estate project.',
    notes: '下一步启动。 / To be started next.',
  },
];

// D. Parks and channels: 一区三园两通道. The report does not say which parks are the 三园.
const parks: SeedPark[] = [
  {
    code: 'comprehensive-bonded-zone',
    name: '综保区',
    nameEn: 'Comprehensive bonded zone',
    kind: ParkKind.BONDED_ZONE,
    description:
      '报告所称"一区"。 / The "one zone" of the report\'s "one zone, three parks, two channels".',
  },
  {
    code: 'china-russia-park',
    name: '中俄园',
    nameEn: 'China-Russia park',
    kind: ParkKind.PARK,
    description: null,
  },
  {
    code: 'environmental-park-b',
    name: '环保B园',
    nameEn: 'Environmental park B',
    kind: ParkKind.PARK,
    description: null,
  },
  {
    code: 'surface-finishing-park',
    name: '表面精饰产业园',
    nameEn: 'Surface-finishing industrial park',
    kind: ParkKind.PARK,
    description: null,
  },
];

const facilities: SeedFacility[] = [
  {
    code: 'comprehensive-bonded-zone-phase-1',
    name: '综保区一期',
    nameEn: 'Comprehensive bonded zone phase 1',
    parkCode: 'comprehensive-bonded-zone',
    phase: 1,
    description: '标准化厂房。 / Standard factory buildings.',
  },
  {
    code: 'comprehensive-bonded-zone-phase-2',
    name: '综保区二期',
    nameEn: 'Comprehensive bonded zone phase 2',
    parkCode: 'comprehensive-bonded-zone',
    phase: 2,
    description: null,
  },
  {
    code: 'liaozhong-no-1',
    name: '辽中壹号',
    nameEn: 'Liaozhong No.1',
    parkCode: null,
    phase: null,
    description: null,
  },
  {
    code: 'environmental-park-b-rainwater-renovation',
    name: '环保B园雨水系统改造',
    nameEn: 'Environmental park B rainwater system renovation',
    parkCode: 'environmental-park-b',
    phase: 1,
    description: '本条记录为改造一期。 / This row is phase 1 of the renovation.',
  },
  {
    code: 'development-zone-industrial-wastewater-plant',
    name: '开发区工业污水处理厂',
    nameEn: 'Development-zone industrial wastewater plant',
    parkCode: null,
    phase: null,
    description: null,
  },
];

const snapshots: SeedParkSnapshot[] = [
  {
    facilityCode: 'comprehensive-bonded-zone-phase-1',
    asOf: SO_FAR,
    status: FacilityStatus.COMPLETED,
    statusNote: '28万㎡标准化厂房建设完成 / 280,000 m² of standard factory buildings completed',
    floorAreaM2: '280000.00',
    enterprisesRegistered: null,
    enterprisesSigned: null,
    note: null,
  },
  {
    facilityCode: 'comprehensive-bonded-zone-phase-2',
    asOf: SO_FAR,
    status: FacilityStatus.UNDER_CONSTRUCTION,
    statusNote: '完成合围 / site enclosure completed',
    floorAreaM2: null,
    enterprisesRegistered: null,
    enterprisesSigned: null,
    note: null,
  },
  {
    facilityCode: 'liaozhong-no-1',
    asOf: SO_FAR,
    status: FacilityStatus.FITTING_OUT,
    statusNote: '正在加紧内部装修 / interior fit-out under way',
    floorAreaM2: null,
    enterprisesRegistered: null,
    enterprisesSigned: null,
    note: null,
  },
  {
    parkCode: 'china-russia-park',
    asOf: SO_FAR,
    status: null,
    statusNote: null,
    floorAreaM2: null,
    enterprisesRegistered: 72,
    enterprisesSigned: null,
    note: "新注册企业72家:是新注册的数量,不是园区企业总数。 / 72 newly registered enterprises: new registrations, not the park's total.",
  },
  {
    facilityCode: 'environmental-park-b-rainwater-renovation',
    asOf: SO_FAR,
    status: FacilityStatus.COMPLETED,
    statusNote: '雨水系统改造一期完工 / rainwater system renovation phase 1 completed',
    floorAreaM2: null,
    enterprisesRegistered: null,
    enterprisesSigned: null,
    note: null,
  },
  {
    facilityCode: 'development-zone-industrial-wastewater-plant',
    asOf: SO_FAR,
    status: FacilityStatus.UNDER_CONSTRUCTION,
    statusNote: '进场施工 / construction crews on site',
    floorAreaM2: null,
    enterprisesRegistered: null,
    enterprisesSigned: null,
    note: null,
  },
  {
    parkCode: 'surface-finishing-park',
    asOf: SO_FAR,
    status: null,
    statusNote: null,
    floorAreaM2: null,
    enterprisesRegistered: null,
    enterprisesSigned: 15,
    note: '签约入园企业15家。 / 15 enterprises signed to enter the park.',
  },
];

const channels: SeedChannel[] = [
  {
    code: 'china-russia-freight-train',
    name: '中俄国际班列',
    nameEn: 'China-Russia international freight train',
    kind: ChannelKind.RAIL_FREIGHT,
    description: '"两通道"之一。 / One of the "two channels".',
  },
  {
    code: 'tir-road-transport',
    name: 'TIR国际道路运输',
    nameEn: 'TIR international road transport',
    kind: ChannelKind.ROAD_TIR,
    description: '"两通道"之一。 / One of the "two channels".',
  },
];

const observations: SeedObservation[] = [
  {
    channelCode: 'china-russia-freight-train',
    metric: 'service_status',
    value: null,
    textValue: '开通运行',
    unit: null,
    periodStart: null,
    periodEnd: SO_FAR,
    nationalRank: null,
    note: '中俄国际班列开通运行。 / The China-Russia international freight train has opened and is running.',
  },
  {
    channelCode: 'tir-road-transport',
    metric: 'dispatches',
    value: null,
    textValue: null,
    unit: 'vehicle trips',
    periodStart: '2025-01-01',
    periodEnd: SO_FAR,
    nationalRank: 2,
    note:
      'TIR年初以来发送车次数位居全国第二;报告未给出车次数。' +
      ' / TIR dispatches (vehicle trips) since the start of the year rank 2nd nationally; the report gives the rank, not the number.',
  },
  {
    channelCode: 'tir-road-transport',
    metric: 'assembly_centre',
    value: null,
    textValue:
      '全国第三个拥有单证签发和车辆检测功能、东北地区功能最为完善的集结中心 / ' +
      'the 3rd assembly centre in China with both document issuance and vehicle inspection, and the most complete in Northeast China',
    unit: null,
    periodStart: null,
    periodEnd: SO_FAR,
    // "第三个" is the order in which centres gained these functions, not a ranking: kept in text.
    nationalRank: null,
    note: null,
  },
];

const provincialOverlap =
  '报告未说明4.6亿元省级及以上资金是否包含2.5亿元中央项目资金:两者均按报告原数保存,不可相加。' +
  ' / The report does not say whether the 460 million yuan of provincial-and-above funds includes the 250 million yuan of central project funds: both are kept as reported and must never be added up.';

const fundingAwards: SeedFundingAward[] = [
  {
    code: 'lz-2025-central-project-funds',
    sourceLevel: FundingSourceLevel.CENTRAL,
    instrument: FundingInstrument.UNSPECIFIED,
    programme: '国家级现代农业产业园等中央项目资金',
    programmeEn:
      'Central government project funds, including the national modern agricultural industrial park',
    amount: '250000000.00',
    year: YEAR,
    asOf: SO_FAR,
    reportedTotal: true,
    overlapNote: provincialOverlap,
    note: '获批中央项目资金2.5亿元("三争取")。 / 250 million yuan (2.5亿元) of central project funds approved (三争取).',
  },
  {
    code: 'lz-2025-provincial-and-above-funds',
    sourceLevel: FundingSourceLevel.PROVINCIAL_AND_ABOVE,
    instrument: FundingInstrument.UNSPECIFIED,
    programme: '省级及以上资金',
    programmeEn: 'Provincial-level-and-above funds',
    amount: '460000000.00',
    year: YEAR,
    asOf: SO_FAR,
    reportedTotal: true,
    overlapNote: provincialOverlap,
    note: '争取省级及以上资金4.6亿元("三争取")。 / 460 million yuan (4.6亿元) of provincial-level-and-above funds secured (三争取).',
  },
  {
    code: 'lz-2025-policy-bank-financing',
    sourceLevel: FundingSourceLevel.POLICY_BANK,
    instrument: FundingInstrument.LOAN,
    programme: '政策性银行融资',
    programmeEn: 'Policy-bank financing',
    amount: '980000000.00',
    year: YEAR,
    asOf: SO_FAR,
    reportedTotal: true,
    overlapNote: null,
    note: '政策性银行融资9.8亿元("三争取")。 / 980 million yuan (9.8亿元) of policy-bank financing (三争取).',
  },
];

/** Section A figures: exact as of 2025-07-31. */
function endOfJuly(
  f: Omit<SeedFigure, 'asOf' | 'approximate' | 'year' | 'qualifier' | 'projectCode' | 'textValue'>,
): SeedFigure {
  return {
    ...f,
    textValue: null,
    qualifier: FigureQualifier.EXACT,
    asOf: END_OF_JULY,
    approximate: false,
    year: YEAR,
    projectCode: null,
  };
}

/** Figures the report gives "so far": as-of month 2025-08, approximate. */
function soFar(
  f: Omit<SeedFigure, 'asOf' | 'approximate' | 'year' | 'qualifier' | 'projectCode' | 'textValue'> &
    Partial<Pick<SeedFigure, 'qualifier' | 'projectCode' | 'textValue'>>,
): SeedFigure {
  return {
    textValue: null,
    qualifier: FigureQualifier.EXACT,
    projectCode: null,
    ...f,
    asOf: SO_FAR,
    approximate: true,
    year: YEAR,
  };
}

const figures: SeedFigure[] = [
  // A. Approvals and construction starts, as of 2025-07-31.
  endOfJuly({
    code: 'lz-2025-approvals-completed',
    label: '完成审批(备案)手续的项目',
    labelEn: 'Projects that completed approval (filing) procedures',
    category: 'approval',
    value: '176',
    unit: 'projects',
    note: '含昊明预制菜、远程摩擦智能生产线等。 / Including Haoming prepared dishes and Yuancheng friction smart production line.',
  }),
  endOfJuly({
    code: 'lz-2025-tenders-completed',
    label: '完成招投标程序的项目',
    labelEn: 'Projects that completed tendering',
    category: 'tender',
    value: '13',
    unit: 'projects',
    note: '含农村综合改革试点试验、城镇生活污水处理厂等。 / Including the rural comprehensive reform pilot and the town domestic sewage plant.',
  }),
  endOfJuly({
    code: 'lz-2025-industrial-land-parcels-won',
    label: '产业用地摘牌',
    labelEn: 'Industrial land parcels won',
    category: 'land',
    value: '10',
    unit: 'parcels',
    note: '含鲨鱼饲料、屹美新材料等。 / Including Shark feed and Yimei new materials.',
  }),
  endOfJuly({
    code: 'lz-2025-registration-submissions',
    label: '申报入库项目',
    labelEn: 'Projects submitted for registration in the statistical project database',
    category: 'registration',
    value: '7',
    unit: 'projects',
    note: '含韵达东北总部基地、博钰源纸箱等。 / Including Yunda Northeast HQ base and Boyuyuan cartons.',
  }),
  endOfJuly({
    code: 'lz-2025-key-projects-started',
    label: '实现开复工的重点项目',
    labelEn: 'Key projects that started or resumed construction',
    category: 'construction',
    value: '105',
    unit: 'projects',
    note: '含中科凌胜、中建材废旧轮胎处理、西部供水等。 / Including Zhongke Lingsheng, CNBM waste-tyre processing and the western water supply.',
  }),

  // B. Completion and operation, so far.
  soFar({
    code: 'lz-2025-projects-in-operation',
    label: '已实现投产运营的项目',
    labelEn: 'Projects in operation so far',
    category: 'operation',
    value: '26',
    unit: 'projects',
    note: '全年计划竣工项目60个,完成率43.3%。 / Against 60 completions planned for the year: 43.3% as reported.',
  }),
  soFar({
    code: 'lz-2025-cumulative-investment-completed',
    label: '累计完成投资',
    labelEn: 'Cumulative investment completed',
    category: 'investment',
    value: '1700000000.00',
    unit: 'CNY',
    note: '17亿元。 / 1.7 billion yuan (17亿元).',
  }),
  soFar({
    code: 'lz-2025-yijia-output-increase',
    label: '益嘉农产品2025年产值较上年同期净增',
    labelEn:
      'Yijia agricultural products: 2025 output value increase on the same period of the year before',
    category: 'output',
    value: '50000000.00',
    unit: 'CNY',
    projectCode: 'LZ-2025-012',
    note: '5000万元,经过技术改造实现产能跃升。 / 50 million yuan (5000万元), after a technical upgrade achieved a capacity leap.',
  }),
  soFar({
    code: 'lz-2025-agricultural-projects-in-operation',
    label: '竣工投产的农业项目',
    labelEn: 'Agricultural projects completed and in operation',
    category: 'operation',
    value: '6',
    unit: 'projects',
    note: '含昊明白羽鸡养殖等。 / Including Haoming white-feather chicken farming.',
  }),
  soFar({
    code: 'lz-2025-agricultural-projects-expected-output',
    label: '6个竣工投产农业项目预计实现产值',
    labelEn: 'Expected output value of the 6 agricultural projects completed and in operation',
    category: 'output',
    value: '160000000.00',
    unit: 'CNY',
    qualifier: FigureQualifier.APPROXIMATE,
    note: '预计1.6亿元,6个项目合计。 / Expected (预计) 160 million yuan (1.6亿元), the 6 projects together.',
  }),
  soFar({
    code: 'lz-2025-real-estate-projects-completed',
    label: '竣工的房地产项目',
    labelEn: 'Real-estate projects completed',
    category: 'completion',
    value: '2',
    unit: 'projects',
    note: '含申信金墅花园二期等。 / Including Shenxin Jinshu Garden phase II.',
  }),
  soFar({
    code: 'lz-2025-homes-delivered',
    label: '交付使用的现房',
    labelEn: 'Completed homes delivered',
    category: 'completion',
    value: '1500',
    unit: 'homes',
    note: '2个竣工房地产项目共1500套现房交付使用。 / 1500 homes delivered by the 2 completed real-estate projects together.',
  }),

  // C. Investment attraction, so far. (Funding amounts are FundingAwards.)
  soFar({
    code: 'lz-2025-policies-secured',
    label: '"三争取"争取到位政策',
    labelEn: 'Policies secured ("three secures")',
    category: 'attraction',
    value: '6',
    unit: 'policies',
    note: null,
  }),
  soFar({
    code: 'lz-2025-projects-secured',
    label: '"三争取"争取项目',
    labelEn: 'Projects secured ("three secures")',
    category: 'attraction',
    value: '5',
    unit: 'projects',
    note: null,
  }),
  soFar({
    code: 'lz-2025-investment-promotion-events',
    label: '开展招商活动',
    labelEn: 'Investment promotion events held',
    category: 'attraction',
    value: '88',
    unit: 'events',
    note: '"走出去""请进来"开展招商活动。 / Events held both going out and inviting in.',
  }),
  soFar({
    code: 'lz-2025-signed-projects-100m-plus',
    label: '已签约1亿元以上项目',
    labelEn: 'Signed projects of 100 million yuan (1亿元) and more',
    category: 'attraction',
    value: '70',
    unit: 'projects',
    note:
      '数量为确数;"1亿元以上"指单个项目规模。含中建三局集中式风电等。' +
      ' / The count is exact; "1亿元以上" is the size of each project. Including CSCEC 3rd Bureau centralised wind power.',
  }),
  soFar({
    code: 'lz-2025-landed-projects',
    label: '已落地项目',
    labelEn: 'Landed projects',
    category: 'attraction',
    value: '38',
    unit: 'projects',
    note: '含中化循环低碳等。 / Including Sinochem circular low-carbon.',
  }),
  soFar({
    code: 'lz-2025-attraction-working-rhythm',
    label: '招商工作节奏',
    labelEn: 'Investment attraction working rhythm',
    category: 'attraction',
    value: null,
    textValue: '日联、周跑、月跟进、季落地',
    unit: 'text',
    note: 'Contact daily, visit weekly, follow up monthly, land quarterly.',
  }),

  // E. Government service, so far.
  soFar({
    code: 'lz-2025-approval-departments-integrated',
    label: '整合审批资源的部门',
    labelEn: 'Departments whose approval resources were integrated',
    category: 'service',
    value: '13',
    unit: 'departments',
    note: '城建、发改、自然资源等。 / Urban construction, development and reform, natural resources and others.',
  }),
  soFar({
    code: 'lz-2025-construction-project-items-relisted',
    label: '重新梳理区级建设项目事项清单',
    labelEn: 'District construction-project items re-listed',
    category: 'service',
    value: '110',
    unit: 'items',
    note: null,
  }),
  soFar({
    code: 'lz-2025-approval-time-limit',
    label: '建设项目审批时限',
    labelEn: 'Construction-project approval time limit',
    category: 'service',
    value: '35',
    unit: 'working_days',
    qualifier: FigureQualifier.AT_MOST,
    note: '压缩至35个工作日。 / Compressed to 35 working days.',
  }),
  soFar({
    code: 'lz-2025-assisted-approval-items',
    label: '"全程代办+帮你办"审批手续',
    labelEn: 'Approval items under the full-agency + help-you-do service',
    category: 'service',
    value: '9',
    unit: 'items',
    note: '规划许可、施工许可等9项审批手续。 / 9 approvals, including the planning permit and the construction permit.',
  }),
  soFar({
    code: 'lz-2025-assisted-approval-average-time',
    label: '9项审批手续平均审批时效',
    labelEn: 'Average approval time of the 9 assisted approval items',
    category: 'service',
    value: '7',
    unit: 'working_days',
    qualifier: FigureQualifier.AT_MOST,
    note: '平均审批时效压缩至7个工作日内。 / On average within 7 working days.',
  }),
];

const targets: SeedTarget[] = [
  {
    code: 'lz-2025-target-completions',
    label: '全年计划竣工项目',
    labelEn: 'Project completions planned for the year',
    year: YEAR,
    value: '60',
    unit: 'projects',
    dueBy: YEAR_END,
    actualFigureCode: 'lz-2025-projects-in-operation',
    reportedRate: '43.30',
    note: '报告以已投产运营的26个项目计完成率43.3%。 / The report measures it by the 26 projects in operation: 43.3%.',
  },
  {
    code: 'lz-2025-target-key-projects-started',
    label: '全年重点项目开复工',
    labelEn: 'Key projects started or resumed construction in the year',
    year: YEAR,
    value: '150',
    unit: 'projects',
    dueBy: YEAR_END,
    actualFigureCode: 'lz-2025-key-projects-started',
    reportedRate: null,
    note: '确保全年重点项目开复工150个;截至7月底已开复工105个。 / To ensure 150 key projects start or resume in 2025; 105 had by the end of July.',
  },
  {
    code: 'lz-2025-target-registration-projects',
    label: '年底前重点项目分批入库(项目数)',
    labelEn: 'Key projects registered in batches by year end (projects)',
    year: YEAR,
    value: '41',
    unit: 'projects',
    dueBy: YEAR_END,
    actualFigureCode: null,
    reportedRate: null,
    note:
      '报告称"预计年底前可完成41个重点项目52.3亿元投资分批入库目标"。未关联实际值:截至7月底"申报入库"的7个项目是另一口径。' +
      ' / The report says it is expected (预计) to reach this by year end. No actual is linked: the 7 projects submitted for registration by the end of July are a different measure.',
  },
  {
    code: 'lz-2025-target-registration-investment',
    label: '年底前重点项目分批入库(投资额)',
    labelEn: 'Investment of the key projects registered in batches by year end',
    year: YEAR,
    value: '5230000000.00',
    unit: 'CNY',
    dueBy: YEAR_END,
    actualFigureCode: null,
    reportedRate: null,
    note:
      '52.3亿元;报告称"预计"年底前完成。未关联实际值:报告未给出已入库投资额。' +
      ' / 5.23 billion yuan (52.3亿元), expected (预计) by year end. No actual is linked: the report gives no registered investment so far.',
  },
];

/** Everything the 2025 report says, as seed rows. */
export const liaozhong2025: SeedData = {
  source,
  sectors,
  parks,
  facilities,
  projects,
  channels,
  observations,
  snapshots,
  fundingAwards,
  figures,
  targets,
};
