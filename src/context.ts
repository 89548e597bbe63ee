/** What every resolver gets: the database, the event bus, and who is asking. */
import type { PrismaClient } from './generated/prisma/client.ts';
import type { HubPubSub } from './pubsub.ts';

/** The caller: who they are (for audit fields) and what they may do. */
export interface Viewer {
  /** Stable name recorded on every write (`key:editor-1`, `jwt:alice`, `anonymous`). */
  actor: string;
  role: 'anonymous' | 'viewer' | 'editor' | 'admin';
}

export interface HubContext {
  prisma: PrismaClient;
  pubsub: HubPubSub;
  viewer: Viewer;
}
