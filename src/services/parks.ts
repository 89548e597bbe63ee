/**
 * Park and facility snapshots: a dated observation of one park or one facility (floor area,
 * enterprises, status), as an editor records it.
 */
import { encodeGlobalID } from '@pothos/plugin-relay';
import {
  type DatePrecision,
  type FacilityStatus,
  type ParkSnapshot,
  Prisma,
} from '../generated/prisma/client.ts';
import { NotFoundError } from './errors.ts';
import { InputChecks, NAME_MAX_LENGTH, TEXT_MAX_LENGTH, type WriteDeps } from './input-checks.ts';

/** Largest floor area, m² (the column is NUMERIC(14,2)). */
export const FLOOR_AREA_MAX = new Prisma.Decimal('999999999999.99');
/** Largest enterprise count accepted. */
export const ENTERPRISES_MAX = 1_000_000;

/** One snapshot as an editor records it. Strings are trimmed; blank optional ones mean none. */
export interface RecordParkSnapshotInput {
  /** The park observed (a row id); exactly one of `parkId` and `facilityId`. */
  parkId?: number | null;
  /** The facility observed (a row id); exactly one of `parkId` and `facilityId`. */
  facilityId?: number | null;
  /** As-of day: not in the future, aligned to `asOfPrecision`. */
  asOf: Date;
  /** @default 'DAY' */
  asOfPrecision?: DatePrecision | null;
  status?: FacilityStatus | null;
  statusNote?: string | null;
  /** m², not negative, at most 2 decimals. */
  floorAreaM2?: Prisma.Decimal | null;
  /** Not negative. */
  enterprisesRegistered?: number | null;
  /** Not negative. */
  enterprisesSigned?: number | null;
  note?: string | null;
}

/**
 * Records a snapshot of a park or a facility: checks everything first, writes it, then
 * publishes `dataChanged { domain: 'park', year: null }` (a dashboard shows the latest snapshot
 * on or before its year's end, so every later year's dashboard may change too). A snapshot
 * must record something: a status, a status note, a floor area or an enterprise count. Throws
 * ValidationError or NotFoundError (unknown park or facility), having written nothing.
 */
export async function recordParkSnapshot(
  deps: WriteDeps,
  input: RecordParkSnapshotInput,
  actor: string,
): Promise<ParkSnapshot> {
  const check = new InputChecks(deps.now?.());
  const parkId = input.parkId ?? null;
  const facilityId = input.facilityId ?? null;
  if (parkId === null && facilityId === null) {
    check.problem(
      'parkId',
      'Give parkId or facilityId: a snapshot observes one park or one facility',
    );
  } else if (parkId !== null && facilityId !== null) {
    check.problem(
      'facilityId',
      'Give parkId or facilityId, not both: a snapshot observes one park or one facility',
    );
  }
  const asOfPrecision = input.asOfPrecision ?? 'DAY';
  const data = {
    asOf: check.date('asOf', input.asOf, {
      notFuture: true,
      precision: asOfPrecision,
      precisionField: 'asOfPrecision',
    }),
    asOfPrecision,
    status: input.status ?? null,
    statusNote: check.text('statusNote', input.statusNote, NAME_MAX_LENGTH) ?? null,
    floorAreaM2:
      check.amount('floorAreaM2', input.floorAreaM2, {
        max: FLOOR_AREA_MAX,
        unitHint: 'areas are in m² with 2 decimals',
      }) ?? null,
    enterprisesRegistered:
      check.int('enterprisesRegistered', input.enterprisesRegistered, 0, ENTERPRISES_MAX) ?? null,
    enterprisesSigned:
      check.int('enterprisesSigned', input.enterprisesSigned, 0, ENTERPRISES_MAX) ?? null,
    note: check.text('note', input.note, TEXT_MAX_LENGTH) ?? null,
  };
  if (data.asOf == null) check.problem('asOf', 'asOf is required');
  const facts = [
    data.status,
    data.statusNote,
    data.floorAreaM2,
    data.enterprisesRegistered,
    data.enterprisesSigned,
  ];
  if (facts.every((fact) => fact === null)) {
    check.problem(
      'status',
      'A snapshot must record something: status, statusNote, floorAreaM2, enterprisesRegistered or enterprisesSigned',
    );
  }
  check.throwIfInvalid();

  const snapshot = await deps.prisma.$transaction(async (tx) => {
    if (
      parkId !== null &&
      !(await tx.park.findUnique({ where: { id: parkId }, select: { id: true } }))
    ) {
      throw NotFoundError.node('Park', parkId);
    }
    if (
      facilityId !== null &&
      !(await tx.facility.findUnique({ where: { id: facilityId }, select: { id: true } }))
    ) {
      throw NotFoundError.node('Facility', facilityId);
    }
    return tx.parkSnapshot.create({
      data: { ...data, asOf: data.asOf!, parkId, facilityId, recordedBy: actor },
    });
  });
  const nodes = [encodeGlobalID('ParkSnapshot', snapshot.id)];
  if (snapshot.parkId !== null) nodes.push(encodeGlobalID('Park', snapshot.parkId));
  if (snapshot.facilityId !== null) nodes.push(encodeGlobalID('Facility', snapshot.facilityId));
  deps.pubsub?.publish('dataChanged', { domain: 'park', year: null, nodes });
  return snapshot;
}
