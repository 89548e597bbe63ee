/** What every resolver gets: the database, the event bus, and who is asking. */
import type { PrismaClient } from './generated/prisma/client.ts';
import type { DashboardCache } from './realtime/dashboard-cache.ts';
import type { HubPubSub } from './realtime/event-bus.ts';
import type { StageLogTail } from './realtime/stage-tail.ts';

/** The caller: who they are (for audit fields) and what they may do. */
export interface Viewer {
  /** Stable name recorded on every write (`key:editor-1`, `jwt:alice`, `anonymous`). */
  actor: string;
  role: 'anonymous' | 'viewer' | 'editor' | 'admin';
  /** When the credential stops being valid (ms since epoch); a WebSocket closes then. */
  expiresAt?: number;
}

export interface HubContext {
  /** Limits on an operation's depth, breadth and cost (see schema/builder.ts). */
  queryLimits?: { depth: number; breadth: number; complexity: number };
  /** How the operation arrived: HTTP (incl. SSE) or graphql-ws. */
  transport?: 'http' | 'ws';
  prisma: PrismaClient;
  pubsub: HubPubSub;
  viewer: Viewer;
  /** The caller's address (per-client rate limits): see clientAddressResolver in security.ts. */
  clientAddress: string;
  /** The server's one reader of the stage-event log, which live stage subscriptions join. */
  stageTail: StageLogTail;
  /** Each year's dashboard, computed once per change. */
  dashboards: DashboardCache;
}
