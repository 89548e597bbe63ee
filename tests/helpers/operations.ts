/** Stage-change operations shared by the subscription tests. */
import type { TestHub } from './server.ts';

export const STAGE_CHANGED = /* GraphQL */ `
  subscription StageChanged($after: String, $filter: ProjectFilter) {
    projectStageChanged(after: $after, filter: $filter) {
      id
      sequence
      kind
      fromStage
      toStage
      occurredOn
      note
      project { id code stage }
    }
  }`;

export const ADVANCE = /* GraphQL */ `
  mutation Advance($input: AdvanceProjectStageInput!) {
    advanceProjectStage(input: $input) {
      __typename
      ... on Error { message }
      ... on AdvanceProjectStageSuccess { event { sequence } }
    }
  }`;

export interface StageEventData {
  projectStageChanged: {
    sequence: string;
    kind: string;
    toStage: string;
    fromStage: string | null;
    project: { id: string; code: string };
  };
}

export interface AdvanceData {
  /** A union: `event` on success, `message` on an error. */
  advanceProjectStage: { __typename: string; message?: string; event?: { sequence: string } };
}

/** Changes a stage through GraphQL and returns the new event's sequence. */
export async function advance(
  hub: TestHub,
  projectId: string,
  toStage: string,
  note?: string,
): Promise<string> {
  const res = await hub.gql<AdvanceData>(ADVANCE, { input: { projectId, toStage, note } });
  const result = res.data?.advanceProjectStage;
  if (result?.__typename !== 'AdvanceProjectStageSuccess' || !result.event)
    throw new Error(`advance ${toStage} failed: ${JSON.stringify(res)}`);
  return result.event.sequence;
}
