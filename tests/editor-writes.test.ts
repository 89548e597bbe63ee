/**
 * The editor writes beside the stage changes: funding awards, logistics observations, park
 * snapshots, and (admins only) reported figures and targets. Over HTTP on both engines: each
 * write succeeds and reads back through the queries; each invalid input is a typed error that
 * leaves the database as it was and publishes nothing; a live dashboard hears a new award.
 * The rules themselves are also exercised on the services, without GraphQL.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/index.ts';
import { operationsDir } from '../src/explorer.ts';
import { Prisma, type PrismaClient } from '../src/generated/prisma/client.ts';
import type { DataChangedEvent } from '../src/realtime/event-bus.ts';
import { ConflictError, NotFoundError, ValidationError } from '../src/services/errors.ts';
import { recordFundingAward } from '../src/services/funding.ts';
import { recordLogisticsObservation } from '../src/services/logistics.ts';
import { recordParkSnapshot } from '../src/services/parks.ts';
import { setTarget } from '../src/services/targets.ts';
import { bearer } from './helpers/auth.ts';
import { describeEachEngine, openTestDatabase } from './helpers/db.ts';
import { databaseSnapshot } from './helpers/fixtures.ts';
import { useLeftovers } from './helpers/leftovers.ts';
import { type GraphQLResponse, startTestHub, type TestHub } from './helpers/server.ts';
import { waitUntil } from './helpers/subscription.ts';
import { subscribeWs } from './helpers/ws-client.ts';

const day = (iso: string) => new Date(`${iso}T00:00:00Z`);
const globalId = (typename: string, id: number) => encodeGlobalID(typename, id);
const missingId = (typename: string) => globalId(typename, 987_654);

/** Every row an editor write could touch, so "nothing written" is one comparison. */
async function writableRows(prisma: PrismaClient) {
  const [base, fundingAwards, observations, snapshots, figures, targets] = await Promise.all([
    databaseSnapshot(prisma),
    prisma.fundingAward.findMany({ orderBy: { id: 'asc' } }),
    prisma.logisticsObservation.findMany({ orderBy: { id: 'asc' } }),
    prisma.parkSnapshot.findMany({ orderBy: { id: 'asc' } }),
    prisma.reportedFigure.findMany({ orderBy: { id: 'asc' } }),
    prisma.target.findMany({ orderBy: { id: 'asc' } }),
  ]);
  return { ...base, fundingAwards, observations, snapshots, figures, targets };
}

/** A mutation's typed error, as the tests select it. */
interface TypedError {
  __typename: string;
  message?: string;
  problems?: { path: string[]; message: string }[];
}

/** The part of a recorded row that every test checks beyond its fields: who recorded it. */
interface Recorded {
  id: string;
  recordedBy: string;
}

/** An invalid input, the typed error expected, and the input field it names (ValidationError). */
type Rejection = [input: Record<string, unknown>, typename: string, field?: string];

describeEachEngine('editor writes over GraphQL', (engine) => {
  let hub: TestHub;
  /** `dataChanged` events this hub published, in order. */
  const heard: DataChangedEvent[] = [];
  const leftovers = useLeftovers();
  let ids: {
    project: string;
    park: string;
    facility: string;
    rail: string;
    tir: string;
    figureInOperation: string;
  };

  beforeAll(async () => {
    hub = await startTestHub({ engine });
    hub.app.pubsub.listen('dataChanged', {
      onEvent: (event) => void heard.push(event),
      onLost: () => undefined,
    });
    const { prisma } = hub.db;
    const byCode = async <T extends { id: number }>(find: Promise<T | null>, typename: string) =>
      globalId(typename, (await find)!.id);
    ids = {
      project: await byCode(
        prisma.project.findUnique({ where: { code: 'LZ-2025-001' } }),
        'Project',
      ),
      park: await byCode(prisma.park.findUnique({ where: { code: 'china-russia-park' } }), 'Park'),
      facility: await byCode(
        prisma.facility.findUnique({ where: { code: 'liaozhong-no-1' } }),
        'Facility',
      ),
      rail: await byCode(
        prisma.logisticsChannel.findUnique({ where: { code: 'china-russia-freight-train' } }),
        'LogisticsChannel',
      ),
      tir: await byCode(
        prisma.logisticsChannel.findUnique({ where: { code: 'tir-road-transport' } }),
        'LogisticsChannel',
      ),
      figureInOperation: await byCode(
        prisma.reportedFigure.findUnique({ where: { code: 'lz-2025-projects-in-operation' } }),
        'ReportedFigure',
      ),
    };
  });
  afterEach(async () => {
    await leftovers.flush();
  });
  afterAll(async () => {
    await hub?.close();
  });

  /**
   * The mutation's result object, asserting the response carries no GraphQL errors. `R` is what
   * the test selected: by default a typed error's fields; a success's payload when named.
   */
  function resultOf<R = TypedError>(res: GraphQLResponse, field: string, context: unknown): R {
    expect(res.errors, JSON.stringify(context)).toBeUndefined();
    return res.data![field] as R;
  }

  /**
   * Sends each invalid input and checks its typed error (and, for a ValidationError, that it
   * names the field); then checks that no row changed and nothing was published.
   */
  async function expectRejected(
    mutation: string,
    field: string,
    cases: Rejection[],
    headers?: Record<string, string>,
  ): Promise<void> {
    const before = await writableRows(hub.db.prisma);
    const heardBefore = heard.length;
    for (const [input, typename, problemField] of cases) {
      const result = resultOf(await hub.gql(mutation, { input }, headers), field, input);
      expect(result.__typename, JSON.stringify(input)).toBe(typename);
      expect(result.message, JSON.stringify(input)).toEqual(expect.any(String));
      if (problemField) {
        expect(
          result.problems?.map((p) => p.path.join('.')),
          JSON.stringify(input),
        ).toContain(`input.${problemField}`);
      }
    }
    expect(await writableRows(hub.db.prisma)).toEqual(before);
    expect(heard.slice(heardBefore)).toEqual([]);
  }

  describe('recordFundingAward', () => {
    const RECORD = /* GraphQL */ `
      mutation RecordAward($input: RecordFundingAwardInput!) {
        recordFundingAward(input: $input) {
          __typename
          ... on Error { message }
          ... on ValidationError { problems { path message } }
          ... on NotFoundError { id }
          ... on RecordFundingAwardSuccess {
            award { id code sourceLevel instrument programme programmeEn amount year awardedOn reportedTotal note recordedBy project { id } }
          }
        }
      }`;
    const valid = {
      sourceLevel: 'CENTRAL',
      instrument: 'GRANT',
      amount: '12345678.90',
      year: 2025,
      awardedOn: '2025-06-15',
    };

    it('should record an award with a generated code, read it back, and publish the year', async () => {
      const heardBefore = heard.length;
      const res = await hub.gql(RECORD, {
        input: {
          ...valid,
          programme: '  现代农业产业园  ',
          programmeEn: 'Modern agricultural park',
          projectId: ids.project,
          note: '',
        },
      });
      const result = resultOf<{ award: Recorded & { code: string } }>(
        res,
        'recordFundingAward',
        valid,
      );
      expect(result).toMatchObject({
        __typename: 'RecordFundingAwardSuccess',
        award: {
          sourceLevel: 'CENTRAL',
          instrument: 'GRANT',
          programme: '现代农业产业园',
          amount: '12345678.90',
          year: 2025,
          awardedOn: '2025-06-15',
          reportedTotal: false,
          note: null,
          project: { id: ids.project },
        },
      });
      const { award } = result;
      expect(award.code).toMatch(/^lz-2025-award-[0-9a-f]{12}$/);
      expect(award.recordedBy).toMatch(/^key:admin:/);
      // Named: the award and its project, so live queries reading them re-run.
      expect(heard.slice(heardBefore)).toEqual([
        { domain: 'funding', year: 2025, nodes: [award.id, ids.project] },
      ]);

      const read = await hub.gql<{
        node: unknown;
        fundingAwards: { edges: { node: { id: string } }[] };
        fundingTotals: { sourceLevel: string }[];
      }>(
        /* GraphQL */ `
        query ReadAward($id: ID!) {
          node(id: $id) { ... on FundingAward { code amount } }
          fundingAwards(filter: { year: 2025, reportedTotal: false }) { totalCount edges { node { id code } } }
          fundingTotals(year: 2025) { sourceLevel amount reportedAmount awardedAmount awardCount }
        }`,
        { id: award.id },
      );
      expect(read.errors).toBeUndefined();
      expect(read.data!.node).toEqual({ code: award.code, amount: '12345678.90' });
      expect(read.data!.fundingAwards.edges.map((e) => e.node.id)).toContain(award.id);
      // A single award joins its level's breakdown; the total the report gave stays the amount shown.
      expect(read.data!.fundingTotals.find((t) => t.sourceLevel === 'CENTRAL')).toEqual({
        sourceLevel: 'CENTRAL',
        amount: '250000000.00',
        reportedAmount: '250000000.00',
        awardedAmount: '12345678.90',
        awardCount: 2,
      });
    });

    it('should keep a code given, trimmed', async () => {
      const res = await hub.gql(RECORD, {
        input: { ...valid, code: '  lz-2025-award-given  ', sourceLevel: 'DISTRICT' },
      });
      expect(
        resultOf<{ award: { code: string } }>(res, 'recordFundingAward', valid).award.code,
      ).toBe('lz-2025-award-given');
    });

    it('should reject invalid awards with typed errors, writing and publishing nothing', async () => {
      await expectRejected(RECORD, 'recordFundingAward', [
        [{ ...valid, amount: '0' }, 'ValidationError', 'amount'],
        [{ ...valid, amount: '-5.00' }, 'ValidationError', 'amount'],
        [{ ...valid, amount: '1.005' }, 'ValidationError', 'amount'],
        [{ ...valid, amount: '10000000000000000.01' }, 'ValidationError', 'amount'],
        [{ ...valid, year: 1999 }, 'ValidationError', 'year'],
        [{ ...valid, year: 2101 }, 'ValidationError', 'year'],
        [{ ...valid, awardedOn: '2999-01-01' }, 'ValidationError', 'awardedOn'],
        [{ ...valid, programme: '项'.repeat(201) }, 'ValidationError', 'programme'],
        [{ ...valid, note: 'n'.repeat(4001) }, 'ValidationError', 'note'],
        [{ ...valid, code: 'bad code!' }, 'ValidationError', 'code'],
        [{ ...valid, code: 'lz-2025-central-project-funds' }, 'ConflictError'],
        [{ ...valid, projectId: missingId('Project') }, 'NotFoundError'],
        [{ ...valid, projectId: ids.park }, 'NotFoundError'],
        [{ ...valid, projectId: 'not-a-global-id' }, 'NotFoundError'],
      ]);
      // Several problems at once: one ValidationError listing each.
      const res = await hub.gql(RECORD, {
        input: { ...valid, amount: '0', year: 1800, awardedOn: '2999-01-01' },
      });
      const paths = resultOf(res, 'recordFundingAward', 'several').problems!.map((p) =>
        p.path.at(-1),
      );
      expect(paths).toEqual(['amount', 'year', 'awardedOn']);
    });

    it('should refuse a date that does not exist before any resolver runs', async () => {
      const before = await writableRows(hub.db.prisma);
      const res = await hub.gql(RECORD, { input: { ...valid, awardedOn: '2025-02-30' } });
      expect(res.errors?.[0]?.message).toMatch(/real calendar date/);
      expect(await writableRows(hub.db.prisma)).toEqual(before);
    });

    it('should be refused to a viewer', async () => {
      const before = await writableRows(hub.db.prisma);
      const res = await hub.gql(RECORD, { input: valid }, { authorization: bearer('viewer') });
      expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(await writableRows(hub.db.prisma)).toEqual(before);
    });

    it('should update a live dashboard of the year once the 2025 funding totals change', async () => {
      type Data = {
        dashboardUpdated: {
          year: number;
          funding: { sourceLevel: string; amount: string; awardedAmount: string | null }[];
        };
      };
      const sub = await subscribeWs<Data>(
        hub.url,
        /* GraphQL */ `
          subscription LiveFunding($year: Int) {
            dashboardUpdated(year: $year) { year funding { sourceLevel amount awardedAmount } }
          }`,
        { year: 2025 },
        { connectionParams: { authorization: bearer('viewer') } },
      );
      leftovers.push(sub);
      await sub.recorder.waitForResults(1);
      const municipal = (d: Data) =>
        d.dashboardUpdated.funding.find((f) => f.sourceLevel === 'MUNICIPAL');
      expect(municipal(sub.recorder.data()[0]!)).toBeUndefined();
      await waitUntil(
        () => hub.app.pubsub.listenerCount('dataChanged') >= 2,
        'the dashboard feed to listen',
      );

      const res = await hub.gql(
        RECORD,
        { input: { ...valid, sourceLevel: 'MUNICIPAL', amount: '3000000.00' } },
        { authorization: bearer('editor') },
      );
      const result = resultOf<{ award: { recordedBy: string } }>(
        res,
        'recordFundingAward',
        'municipal',
      );
      expect(result.award.recordedBy).toMatch(/^key:editor:/);
      await waitUntil(
        () => municipal(sub.recorder.data().at(-1)!) !== undefined,
        'a dashboard with the municipal award',
      );
      expect(municipal(sub.recorder.data().at(-1)!)).toEqual({
        sourceLevel: 'MUNICIPAL',
        amount: '3000000.00',
        awardedAmount: '3000000.00',
      });
    });
  });

  describe('recordLogisticsObservation', () => {
    const RECORD = /* GraphQL */ `
      mutation RecordObservation($input: RecordLogisticsObservationInput!) {
        recordLogisticsObservation(input: $input) {
          __typename
          ... on Error { message }
          ... on ValidationError { problems { path message } }
          ... on NotFoundError { id }
          ... on RecordLogisticsObservationSuccess {
            observation { id metric value textValue unit periodStart periodEnd periodPrecision nationalRank note recordedBy channel { id code } }
          }
        }
      }`;
    const valid = () => ({
      channelId: ids.tir,
      metric: 'dispatches',
      value: '420',
      unit: 'vehicle trips',
      periodStart: '2025-01-01',
      periodEnd: '2025-09-30',
    });

    it('should record an observation and read it back in the channel series and as the latest rank', async () => {
      const heardBefore = heard.length;
      const res = await hub.gql(RECORD, {
        input: { ...valid(), nationalRank: 2, note: '  前三季度  ' },
      });
      const { observation } = resultOf<{ observation: Recorded }>(
        res,
        'recordLogisticsObservation',
        valid(),
      );
      expect(observation).toMatchObject({
        metric: 'dispatches',
        value: '420.00',
        textValue: null,
        unit: 'vehicle trips',
        periodStart: '2025-01-01',
        periodEnd: '2025-09-30',
        periodPrecision: 'DAY',
        nationalRank: 2,
        note: '前三季度',
        channel: { id: ids.tir, code: 'tir-road-transport' },
      });
      expect(observation.recordedBy).toMatch(/^key:admin:/);
      expect(heard.slice(heardBefore)).toMatchObject([
        {
          domain: 'logistics',
          year: null,
          nodes: [expect.stringMatching(/./), expect.stringMatching(/./)],
        },
      ]);

      const read = await hub.gql<{
        logisticsChannels: { id: string; observations: unknown[]; latestNationalRank: unknown }[];
      }>(/* GraphQL */ `
        query ReadObservations {
          logisticsChannels { id observations(metric: "dispatches") { id value } latestNationalRank { id nationalRank } }
        }`);
      expect(read.errors).toBeUndefined();
      const tir = read.data!.logisticsChannels.find((c) => c.id === ids.tir)!;
      expect(tir.observations.at(-1)).toEqual({ id: observation.id, value: '420.00' });
      expect(tir.latestNationalRank).toEqual({ id: observation.id, nationalRank: 2 });
    });

    it('should record a textual observation known to the month', async () => {
      const res = await hub.gql(RECORD, {
        input: {
          channelId: ids.rail,
          metric: 'service_status',
          textValue: '常态化运行',
          periodEnd: '2025-09-01',
          periodPrecision: 'MONTH',
        },
      });
      expect(
        resultOf<{ observation: Recorded }>(res, 'recordLogisticsObservation', 'text').observation,
      ).toMatchObject({
        value: null,
        textValue: '常态化运行',
        periodStart: null,
        periodEnd: '2025-09-01',
        periodPrecision: 'MONTH',
      });
    });

    it('should reject invalid observations with typed errors, writing and publishing nothing', async () => {
      const base = valid();
      await expectRejected(RECORD, 'recordLogisticsObservation', [
        [{ ...base, metric: '   ' }, 'ValidationError', 'metric'],
        [{ ...base, metric: 'Dispatches' }, 'ValidationError', 'metric'],
        [{ ...base, metric: 'vehicle trips' }, 'ValidationError', 'metric'],
        [{ ...base, metric: 'double__underscore' }, 'ValidationError', 'metric'],
        [{ ...base, metric: 'm'.repeat(65) }, 'ValidationError', 'metric'],
        [{ ...base, value: null, textValue: '  ' }, 'ValidationError', 'value'],
        [{ ...base, value: '-1' }, 'ValidationError', 'value'],
        [{ ...base, periodStart: '2025-10-01' }, 'ValidationError', 'periodStart'],
        [{ ...base, periodEnd: '2999-12-31', periodStart: null }, 'ValidationError', 'periodEnd'],
        [
          { ...base, periodEnd: '2025-09-15', periodPrecision: 'MONTH' },
          'ValidationError',
          'periodEnd',
        ],
        [
          { ...base, periodEnd: '2025-08-01', periodPrecision: 'QUARTER' },
          'ValidationError',
          'periodEnd',
        ],
        [{ ...base, nationalRank: 0 }, 'ValidationError', 'nationalRank'],
        [{ ...base, unit: 'u'.repeat(65) }, 'ValidationError', 'unit'],
        [{ ...base, textValue: 't'.repeat(1001) }, 'ValidationError', 'textValue'],
        [{ ...base, channelId: missingId('LogisticsChannel') }, 'NotFoundError'],
        [{ ...base, channelId: ids.park }, 'NotFoundError'],
      ]);
    });
  });

  describe('recordParkSnapshot', () => {
    const RECORD = /* GraphQL */ `
      mutation RecordSnapshot($input: RecordParkSnapshotInput!) {
        recordParkSnapshot(input: $input) {
          __typename
          ... on Error { message }
          ... on ValidationError { problems { path message } }
          ... on NotFoundError { id }
          ... on RecordParkSnapshotSuccess {
            snapshot {
              id asOf asOfPrecision status statusNote floorAreaM2 enterprisesRegistered enterprisesSigned note recordedBy
              park { id } facility { id }
            }
          }
        }
      }`;

    it("should record a park snapshot that becomes the park's latest", async () => {
      const heardBefore = heard.length;
      const res = await hub.gql(RECORD, {
        input: {
          parkId: ids.park,
          asOf: '2025-09-01',
          asOfPrecision: 'MONTH',
          enterprisesRegistered: 80,
        },
      });
      const { snapshot } = resultOf<{ snapshot: Recorded }>(res, 'recordParkSnapshot', 'park');
      expect(snapshot).toMatchObject({
        asOf: '2025-09-01',
        asOfPrecision: 'MONTH',
        enterprisesRegistered: 80,
        enterprisesSigned: null,
        park: { id: ids.park },
        facility: null,
      });
      expect(snapshot.recordedBy).toMatch(/^key:admin:/);
      expect(heard.slice(heardBefore)).toMatchObject([
        { domain: 'park', year: null, nodes: expect.arrayContaining([expect.stringMatching(/./)]) },
      ]);
      const read = await hub.gql<{ parks: { id: string; latestSnapshot: unknown }[] }>(
        /* GraphQL */ `query ReadParks { parks { id latestSnapshot { id enterprisesRegistered } } }`,
      );
      expect(read.data!.parks.find((p) => p.id === ids.park)!.latestSnapshot).toEqual({
        id: snapshot.id,
        enterprisesRegistered: 80,
      });
    });

    it('should record a facility snapshot with a floor area and a status', async () => {
      const res = await hub.gql(RECORD, {
        input: {
          facilityId: ids.facility,
          asOf: '2025-09-20',
          status: 'IN_OPERATION',
          statusNote: ' 投入使用 ',
          floorAreaM2: '52000.50',
        },
      });
      const { snapshot } = resultOf<{ snapshot: Recorded }>(res, 'recordParkSnapshot', 'facility');
      expect(snapshot).toMatchObject({
        status: 'IN_OPERATION',
        statusNote: '投入使用',
        floorAreaM2: '52000.50',
        park: null,
        facility: { id: ids.facility },
      });
      const read = await hub.gql<{ facilities: { id: string; latestSnapshot: unknown }[] }>(
        /* GraphQL */ `query ReadFacilities { facilities { id latestSnapshot { id status } } }`,
      );
      expect(read.data!.facilities.find((f) => f.id === ids.facility)!.latestSnapshot).toEqual({
        id: snapshot.id,
        status: 'IN_OPERATION',
      });
    });

    it('should reject invalid snapshots with typed errors, writing and publishing nothing', async () => {
      const base = { parkId: ids.park, asOf: '2025-09-10', enterprisesSigned: 3 };
      await expectRejected(RECORD, 'recordParkSnapshot', [
        [{ asOf: '2025-09-10', enterprisesSigned: 3 }, 'ValidationError', 'parkId'],
        [{ ...base, facilityId: ids.facility }, 'ValidationError', 'facilityId'],
        [{ ...base, enterprisesSigned: -1 }, 'ValidationError', 'enterprisesSigned'],
        [{ ...base, enterprisesRegistered: -3 }, 'ValidationError', 'enterprisesRegistered'],
        [{ ...base, floorAreaM2: '-0.01' }, 'ValidationError', 'floorAreaM2'],
        [{ ...base, floorAreaM2: '10.005' }, 'ValidationError', 'floorAreaM2'],
        [{ ...base, asOf: '2999-01-01' }, 'ValidationError', 'asOf'],
        [{ ...base, asOf: '2025-09-10', asOfPrecision: 'YEAR' }, 'ValidationError', 'asOf'],
        [{ ...base, statusNote: '状'.repeat(201) }, 'ValidationError', 'statusNote'],
        [
          { parkId: ids.park, asOf: '2025-09-10', note: 'nothing observed' },
          'ValidationError',
          'status',
        ],
        [{ ...base, parkId: missingId('Park') }, 'NotFoundError'],
        [{ ...base, parkId: ids.facility }, 'NotFoundError'],
        [
          { asOf: '2025-09-10', enterprisesSigned: 3, facilityId: missingId('Facility') },
          'NotFoundError',
        ],
      ]);
    });
  });

  describe('recordReportedFigure (admin)', () => {
    const RECORD = /* GraphQL */ `
      mutation RecordFigure($input: RecordReportedFigureInput!) {
        recordReportedFigure(input: $input) {
          __typename
          ... on Error { message }
          ... on ValidationError { problems { path message } }
          ... on RecordReportedFigureSuccess {
            figure { id code label labelEn category value textValue unit qualifier asOf asOfPrecision approximate year note recordedBy project { id } }
          }
        }
      }`;
    const valid = {
      code: 'lz-2025-09-approvals-completed',
      label: '完成审批(备案)手续的项目',
      labelEn: 'Projects that completed approval (filing) procedures',
      category: 'approval',
      value: '190',
      unit: 'projects',
      asOf: '2025-09-30',
      year: 2025,
    };

    it('should record a figure and read it back by code', async () => {
      const heardBefore = heard.length;
      const res = await hub.gql(RECORD, {
        input: { ...valid, qualifier: 'AT_LEAST', projectId: ids.project },
      });
      const { figure } = resultOf<{ figure: Recorded }>(res, 'recordReportedFigure', valid);
      expect(figure).toMatchObject({
        code: valid.code,
        value: '190.00',
        qualifier: 'AT_LEAST',
        asOfPrecision: 'DAY',
        approximate: false,
        project: { id: ids.project },
      });
      expect(figure.recordedBy).toMatch(/^key:admin:/);
      expect(heard.slice(heardBefore)).toMatchObject([
        {
          domain: 'figure',
          year: 2025,
          nodes: expect.arrayContaining([expect.stringMatching(/./)]),
        },
      ]);
      const read = await hub.gql(
        `query ReadFigure($code: String!) { reportedFigure(code: $code) { id value } }`,
        { code: valid.code },
      );
      expect(read.data!.reportedFigure).toEqual({ id: figure.id, value: '190.00' });
    });

    it('should be refused to an editor, writing nothing', async () => {
      const before = await writableRows(hub.db.prisma);
      const res = await hub.gql(
        RECORD,
        { input: { ...valid, code: 'lz-2025-by-an-editor' } },
        { authorization: bearer('editor') },
      );
      expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(await writableRows(hub.db.prisma)).toEqual(before);
    });

    it('should reject invalid figures with typed errors, writing and publishing nothing', async () => {
      const fresh = { ...valid, code: 'lz-2025-fresh' };
      await expectRejected(RECORD, 'recordReportedFigure', [
        [{ ...valid }, 'ConflictError'],
        [{ ...fresh, code: '  ' }, 'ValidationError', 'code'],
        [{ ...fresh, label: ' ' }, 'ValidationError', 'label'],
        [{ ...fresh, labelEn: '' }, 'ValidationError', 'labelEn'],
        [{ ...fresh, category: 'Approvals!' }, 'ValidationError', 'category'],
        [{ ...fresh, unit: '   ' }, 'ValidationError', 'unit'],
        [{ ...fresh, value: null }, 'ValidationError', 'value'],
        [{ ...fresh, value: '-1' }, 'ValidationError', 'value'],
        [{ ...fresh, asOf: '2999-01-01' }, 'ValidationError', 'asOf'],
        [{ ...fresh, asOf: '2025-09-02', asOfPrecision: 'MONTH' }, 'ValidationError', 'asOf'],
        [{ ...fresh, year: 1990 }, 'ValidationError', 'year'],
        [{ ...fresh, projectId: missingId('Project') }, 'NotFoundError'],
      ]);
    });
  });

  describe('setTarget (admin)', () => {
    const SET = /* GraphQL */ `
      mutation SetTarget($input: SetTargetInput!) {
        setTarget(input: $input) {
          __typename
          ... on Error { message }
          ... on ValidationError { problems { path message } }
          ... on NotFoundError { id }
          ... on SetTargetSuccess {
            created
            target {
              id code label labelEn year value unit dueBy reportedRate note
              actual { code }
              progress { actualValue computedRate reportedRate rateMismatch }
            }
          }
        }
      }`;
    const fresh = {
      code: 'lz-2025-target-approvals',
      label: '全年完成审批项目',
      labelEn: 'Projects approved in the year',
      year: 2025,
      value: '200',
      unit: 'projects',
      dueBy: '2025-12-31',
    };

    it('should create a target, link its actual by code, then update it by code and keep what is omitted', async () => {
      const heardBefore = heard.length;
      const created = resultOf<{ target: { id: string } }>(
        await hub.gql(SET, {
          input: { ...fresh, actualFigureCode: 'lz-2025-approvals-completed', reportedRate: '88' },
        }),
        'setTarget',
        'create',
      );
      expect(created).toMatchObject({
        __typename: 'SetTargetSuccess',
        created: true,
        target: {
          code: fresh.code,
          value: '200.00',
          dueBy: '2025-12-31',
          actual: { code: 'lz-2025-approvals-completed' },
          progress: {
            actualValue: '176.00',
            computedRate: '88.00',
            reportedRate: '88.00',
            rateMismatch: false,
          },
        },
      });
      const updated = resultOf(
        await hub.gql(SET, {
          input: { code: fresh.code, value: '220', reportedRate: null, note: '调增' },
        }),
        'setTarget',
        'update',
      );
      expect(updated).toMatchObject({
        created: false,
        target: {
          id: created.target.id,
          label: fresh.label,
          value: '220.00',
          reportedRate: null,
          note: '调增',
          actual: { code: 'lz-2025-approvals-completed' },
          progress: { computedRate: '80.00' },
        },
      });
      expect(heard.slice(heardBefore)).toMatchObject([
        { domain: 'target', year: 2025, nodes: [expect.stringMatching(/./)] },
        { domain: 'target', year: 2025, nodes: [expect.stringMatching(/./)] },
      ]);
      const row = await hub.db.prisma.target.findUniqueOrThrow({ where: { code: fresh.code } });
      expect(row.recordedBy).toMatch(/^key:admin:/);
    });

    it("should relink an existing target by the figure's global id, and unlink with null", async () => {
      const code = 'lz-2025-target-completions';
      const linked = resultOf(
        await hub.gql(SET, { input: { code, actualFigureId: ids.figureInOperation } }),
        'setTarget',
        'relink',
      );
      expect(linked).toMatchObject({
        created: false,
        target: { actual: { code: 'lz-2025-projects-in-operation' }, value: '60.00' },
      });
      const unlinked = resultOf<{ target: unknown }>(
        await hub.gql(SET, { input: { code, actualFigureCode: null } }),
        'setTarget',
        'unlink',
      );
      expect(unlinked.target).toMatchObject({
        actual: null,
        progress: { computedRate: null, reportedRate: '43.30' },
      });
      const read = await hub.gql(
        `query ReadTarget($code: String!) { target(code: $code) { actual { code } } }`,
        { code },
      );
      expect(read.data!.target).toEqual({ actual: null });
    });

    it('should be refused to an editor, writing nothing', async () => {
      const before = await writableRows(hub.db.prisma);
      const res = await hub.gql(
        SET,
        { input: { ...fresh, code: 'lz-2025-target-by-an-editor' } },
        { authorization: bearer('editor') },
      );
      expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(await writableRows(hub.db.prisma)).toEqual(before);
    });

    it('should reject invalid targets with typed errors, writing and publishing nothing', async () => {
      const other = { ...fresh, code: 'lz-2025-target-other' };
      const existing = 'lz-2025-target-key-projects-started';
      await expectRejected(SET, 'setTarget', [
        [{ code: 'lz-2025-target-new-and-bare' }, 'ValidationError', 'label'],
        [{ ...other, unit: undefined }, 'ValidationError', 'unit'],
        [{ ...other, code: 'bad code!' }, 'ValidationError', 'code'],
        [{ ...other, value: '-1' }, 'ValidationError', 'value'],
        [{ ...other, year: 2200 }, 'ValidationError', 'year'],
        [{ ...other, reportedRate: '1000.01' }, 'ValidationError', 'reportedRate'],
        [{ ...other, reportedRate: '-0.5' }, 'ValidationError', 'reportedRate'],
        [{ ...other, reportedRate: '43.333' }, 'ValidationError', 'reportedRate'],
        [
          {
            ...other,
            actualFigureCode: 'lz-2025-approvals-completed',
            actualFigureId: ids.figureInOperation,
          },
          'ValidationError',
          'actualFigureId',
        ],
        [
          { ...other, actualFigureCode: 'lz-2025-attraction-working-rhythm' },
          'ValidationError',
          'actualFigureCode',
        ],
        [
          { ...other, actualFigureCode: 'lz-2025-cumulative-investment-completed' },
          'ValidationError',
          'actualFigureCode',
        ],
        [{ ...other, actualFigureCode: 'lz-2025-no-such-figure' }, 'NotFoundError'],
        [{ ...other, actualFigureId: missingId('ReportedFigure') }, 'NotFoundError'],
        [{ ...other, actualFigureId: ids.project }, 'NotFoundError'],
        [{ code: existing, label: '  ' }, 'ValidationError', 'label'],
        [{ code: existing, value: null }, 'ValidationError', 'value'],
        [{ code: existing, unit: 'CNY' }, 'ValidationError', 'unit'],
      ]);
    });
  });
});

describeEachEngine('editor write services', (engine) => {
  let db: Database;
  const published: DataChangedEvent[] = [];
  const pubsub = {
    publish: (_topic: string, payload: unknown) => void published.push(payload as DataChangedEvent),
  };
  /** "Now" as 2025-09-30 16:30 UTC: already 1 October in Liaozhong. */
  const now = () => new Date('2025-09-30T16:30:00Z');

  beforeAll(async () => {
    db = await openTestDatabase(engine, { seeded: true });
  });
  afterAll(async () => {
    await db?.close();
  });

  const rejection = (promise: Promise<unknown>) =>
    promise.then(
      () => null,
      (error: unknown) => error,
    );

  it("should take 'the future' in Liaozhong time", async () => {
    const deps = { prisma: db.prisma, pubsub, now };
    const input = {
      sourceLevel: 'DISTRICT' as const,
      amount: new Prisma.Decimal('100.00'),
      year: 2025,
    };
    const award = await recordFundingAward(
      deps,
      { ...input, awardedOn: day('2025-10-01') },
      'test:editor',
    );
    expect(award.awardedOn?.toISOString().slice(0, 10)).toBe('2025-10-01');
    expect(
      await rejection(
        recordFundingAward(deps, { ...input, awardedOn: day('2025-10-02') }, 'test:editor'),
      ),
    ).toBeInstanceOf(ValidationError);
  });

  it('should check the dates of every precision: first of the month, of the quarter, of the year', async () => {
    const channel = await db.prisma.logisticsChannel.findUniqueOrThrow({
      where: { code: 'tir-road-transport' },
    });
    const deps = { prisma: db.prisma, now };
    const observe = (periodEnd: string, periodPrecision: 'MONTH' | 'QUARTER' | 'YEAR') =>
      rejection(
        recordLogisticsObservation(
          deps,
          {
            channelId: channel.id,
            metric: 'dispatches',
            value: new Prisma.Decimal(1),
            periodEnd: day(periodEnd),
            periodPrecision,
          },
          't',
        ),
      );
    expect(await observe('2025-07-01', 'QUARTER')).toBeNull();
    expect(await observe('2025-01-01', 'YEAR')).toBeNull();
    expect(await observe('2025-09-01', 'MONTH')).toBeNull();
    expect(await observe('2025-08-01', 'QUARTER')).toBeInstanceOf(ValidationError);
    expect(await observe('2025-02-01', 'YEAR')).toBeInstanceOf(ValidationError);
    expect(await observe('2025-09-02', 'MONTH')).toBeInstanceOf(ValidationError);
  });

  it('should name every problem of a snapshot at once, and check ids only once the input is valid', async () => {
    const error = await rejection(
      recordParkSnapshot(
        { prisma: db.prisma, now },
        { parkId: 987_654, facilityId: 1, asOf: day('2025-09-01'), enterprisesSigned: -1 },
        't',
      ),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems.map((p) => p.path.at(-1))).toEqual([
      'facilityId',
      'enterprisesSigned',
    ]);
    expect(
      await rejection(
        recordParkSnapshot(
          { prisma: db.prisma, now },
          { parkId: 987_654, asOf: day('2025-09-01'), enterprisesSigned: 1 },
          't',
        ),
      ),
    ).toBeInstanceOf(NotFoundError);
  });

  it('should map two concurrent creates of one target code to a ConflictError for the loser', async () => {
    const input = {
      code: 'lz-2025-target-race',
      label: '竞争',
      labelEn: 'Race',
      year: 2025,
      value: new Prisma.Decimal(1),
      unit: 'projects',
    };
    const results = await Promise.allSettled([
      setTarget({ prisma: db.prisma, now }, input, 'a'),
      setTarget({ prisma: db.prisma, now }, input, 'b'),
    ]);
    // PGlite runs transactions one after the other: the second finds the first and updates it.
    const outcomes = results.map((r) =>
      r.status === 'fulfilled'
        ? r.value.created
          ? 'created'
          : 'updated'
        : (r.reason as Error).name,
    );
    expect(outcomes.filter((o) => o === 'created')).toHaveLength(1);
    for (const o of outcomes) expect(['created', 'updated', ConflictError.name]).toContain(o);
    expect(await db.prisma.target.count({ where: { code: input.code } })).toBe(1);
  });

  it('should publish nothing when an update changes nothing', async () => {
    const before = published.length;
    const { created } = await setTarget(
      { prisma: db.prisma, pubsub, now },
      { code: 'lz-2025-target-completions' },
      't',
    );
    expect(created).toBe(false);
    expect(published.length).toBe(before);
  });
});

describe('saved example operations of the editor writes', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await startTestHub({ listen: false });
  });
  afterAll(async () => {
    await hub?.close();
  });

  const files = readdirSync(operationsDir)
    .filter((file) => /^9[1-9]-.*\.graphql$/.test(file))
    .sort();

  it('should cover every editor write', () => {
    const text = files
      .map((file) => readFileSync(path.join(operationsDir, file), 'utf8'))
      .join('\n');
    for (const field of [
      'recordFundingAward',
      'recordLogisticsObservation',
      'recordParkSnapshot',
      'recordReportedFigure',
      'setTarget',
    ]) {
      expect(text, field).toContain(`${field}(`);
    }
  });

  // In file order: 95-set-target links the figure 94-record-reported-figure records.
  it('should succeed as written, in file order, on the seeded district', async () => {
    for (const file of files) {
      const variablesFile = path.join(operationsDir, file.replace(/\.graphql$/, '.variables.json'));
      const variables = existsSync(variablesFile)
        ? JSON.parse(readFileSync(variablesFile, 'utf8'))
        : undefined;
      const res = await hub.gql(readFileSync(path.join(operationsDir, file), 'utf8'), variables);
      expect(res.errors, file).toBeUndefined();
      const [result] = Object.values(res.data!) as { __typename: string }[];
      expect(result!.__typename, `${file}: ${JSON.stringify(result)}`).toMatch(/Success$/);
    }
  });
});
