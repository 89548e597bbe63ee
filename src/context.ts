/** What every resolver gets: the database, the event bus, and who is asking. */
import type { Role } from './auth.ts';
import type { PrismaClient } from './generated/prisma/client.ts';
import type { DashboardCache } from './realtime/dashboard-cache.ts';
import type { HubPubSub } from './realtime/event-bus.ts';
import type { StageLogTail } from './realtime/stage-tail.ts';

/** The caller: who they are (for audit fields) and what they may do. */
export interface Viewer {
  /** Stable name recorded on every write (`key:editor-1`, `jwt:alice`, `anonymous`). */
  actor: string;
  role: Role | 'anonymous';
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

/** What every context of one server holds, whoever asks. */
export type ServerContext = Pick<
  HubContext,
  'prisma' | 'pubsub' | 'stageTail' | 'dashboards' | 'queryLimits'
>;

/**
 * The context of an execution shared by every subscriber of one role (shared subscription
 * results, live queries): the server's parts and the role, nothing of any one subscriber. Who the
 * viewer is, and where and how they connected, throw when read: a field that reads them would
 * answer one subscriber with another's data, so it fails instead.
 */
export function sharedContext(server: ServerContext, role: Viewer['role']): HubContext {
  const notShared = (what: string): never => {
    throw new Error(
      `${what} is not known to an execution shared by every subscriber with the role ${role}`,
    );
  };
  return {
    ...server,
    viewer: {
      role,
      get actor() {
        return notShared('viewer.actor');
      },
      get expiresAt() {
        return notShared('viewer.expiresAt');
      },
    },
    get clientAddress() {
      return notShared('clientAddress');
    },
    get transport() {
      return notShared('transport');
    },
  };
}
