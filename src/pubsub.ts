/**
 * The hub's event bus: a typed topic map over Yoga's pub/sub. In memory on one server; with
 * REDIS_URL, through Redis so that every server sees every event.
 */
import { createPubSub, type PubSub } from 'graphql-yoga';

/** Published after a stage change has committed. Subscribers re-read the row by sequence. */
export interface StageChangedEvent {
  sequence: string;
  projectId: number;
}

export type HubTopics = {
  stageChanged: [StageChangedEvent];
};

export type HubPubSub = PubSub<HubTopics>;

export function createMemoryPubSub(): HubPubSub {
  return createPubSub<HubTopics>();
}
