/**
 * The live stage-event feed behind `projectStageChanged`: every event after a position, from the
 * log, in sequence order, then live, with no gap and no duplicate.
 *
 * The log is the only source of events; the bus only rings a bell. `openStageFeed`
 * 1. starts listening on the bus (so nothing committed from now on goes unheard),
 * 2. reads the head of the log: the position to start from when no `after` is given,
 * 3. then repeatedly reads every matching event in (position, head], yields them in order and
 *    moves the position to head, and waits for the bell (a `stageChanged` with a sequence past
 *    the position) or the poll interval, whichever comes first.
 * Because the log is commit-ordered (./stage-log.ts), once the head is N every event up to N
 * that will ever exist is already visible: reading (position, N] can miss nothing and no event
 * is read twice. The switch from replay to live is the same loop, so there is no seam to get
 * wrong. The poll is a safety net for a notification lost in transit; normally the bell rings
 * within milliseconds of the commit.
 */
import type { Prisma, PrismaClient } from '../generated/prisma/client.ts';
import type { HubPubSub } from '../pubsub.ts';
import { ValidationError } from './errors.ts';
import { projectWhere, type ProjectFilterValues } from './project-filter.ts';

/**
 * A ProjectFilter applied to stage events. `stage` matches an event into or out of one of the
 * stages (a wall display of "under construction" hears a project arrive and leave); every other
 * condition applies to the event's project as it is when the event is read.
 */
export function stageEventWhere(filter: ProjectFilterValues | null | undefined): Prisma.ProjectStageEventWhereInput {
  if (!filter) return {};
  const { stage, ...rest } = filter;
  const and: Prisma.ProjectStageEventWhereInput[] = [];
  if (stage?.length) and.push({ OR: [{ toStage: { in: stage } }, { fromStage: { in: stage } }] });
  const project = projectWhere(rest);
  if (Object.keys(project).length) and.push({ project });
  return and.length ? { AND: and } : {};
}

/** One event the feed delivers; the subscription re-reads the row by `id`. */
export interface FeedItem {
  id: number;
  sequence: bigint;
}

export interface StageFeedOptions {
  prisma: PrismaClient;
  pubsub: Pick<HubPubSub, 'listen'>;
  /** Start after this sequence (replay first); null: only events committed from now on. */
  after?: bigint | null;
  /** Which events to deliver; evaluated when the event is read. @default every event */
  where?: Prisma.ProjectStageEventWhereInput;
  /** Read the log at least this often even if no notification arrives. @default 10_000 // 10 s */
  pollIntervalMs?: number;
  /** Rows per log read. @default 200 */
  batchSize?: number;
}

/** Rings when a sequence past the waiter's position is heard; fails when the bus is lost. */
class Bell {
  private heard = 0n;
  private failure: Error | null = null;
  private waiter: (() => void) | null = null;

  ring(sequence: bigint): void {
    if (sequence > this.heard) this.heard = sequence;
    this.wake();
  }

  fail(error: Error): void {
    this.failure ??= error;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** Waits until a sequence above `position` is heard or `timeoutMs` passes; throws a failure. */
  async wait(position: bigint, timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      while (!this.failure && this.heard <= position) {
        const woken = new Promise<'rung' | 'timeout'>((resolve) => {
          this.waiter = () => resolve('rung');
          timer = setTimeout(() => resolve('timeout'), timeoutMs);
        });
        if ((await woken) === 'timeout') break;
        clearTimeout(timer);
      }
    } finally {
      clearTimeout(timer);
      this.waiter = null;
    }
    if (this.failure) throw this.failure;
  }

  /** Releases a pending wait (the feed is closing). */
  release(): void {
    this.fail(new FeedClosedError());
  }
}

class FeedClosedError extends Error {
  override name = 'FeedClosedError';
}

/** The log's head: the highest committed sequence, 0 for an empty log. */
export async function logHead(prisma: PrismaClient): Promise<bigint> {
  const { _max } = await prisma.projectStageEvent.aggregate({ _max: { sequence: true } });
  return _max.sequence ?? 0n;
}

/**
 * Opens a feed. Listening starts and `after` is checked before this resolves, so a caller that
 * awaits it and then changes a stage will see that change. Throws ValidationError when `after`
 * is past the head of the log (a position from another database). The iterator ends with the
 * bus's PubSubLostError if the bus is lost; `return()` closes it at any time.
 */
export async function openStageFeed(options: StageFeedOptions): Promise<AsyncIterableIterator<FeedItem>> {
  const { prisma, where = {}, pollIntervalMs = 10_000, batchSize = 200 } = options;
  const bell = new Bell();
  const stopListening = options.pubsub.listen('stageChanged', {
    onEvent: (event) => bell.ring(BigInt(event.sequence)),
    onLost: (error) => bell.fail(error),
  });
  let position: bigint;
  try {
    const head = await logHead(prisma);
    if (options.after != null && options.after > head) {
      throw new ValidationError(`after ${options.after} is past the end of the stage-event log (${head})`, [
        { path: ['after'], message: 'not a position in this log' },
      ]);
    }
    position = options.after ?? head;
  } catch (error) {
    stopListening();
    throw error;
  }

  let closed = false;
  async function* run(): AsyncGenerator<FeedItem> {
    try {
      for (;;) {
        const head = await logHead(prisma);
        while (position < head) {
          const rows = await prisma.projectStageEvent.findMany({
            where: { AND: [{ sequence: { gt: position, lte: head } }, where] },
            orderBy: { sequence: 'asc' },
            take: batchSize,
            select: { id: true, sequence: true },
          });
          for (const row of rows) {
            yield row;
            position = row.sequence;
          }
          if (rows.length < batchSize) position = head;
        }
        await bell.wait(position, pollIntervalMs);
      }
    } catch (error) {
      if (error instanceof FeedClosedError) return;
      throw error;
    } finally {
      stopListening();
    }
  }

  const generator = run();
  const feed: AsyncIterableIterator<FeedItem> = {
    [Symbol.asyncIterator]: () => feed,
    next: () => (closed ? Promise.resolve({ done: true, value: undefined }) : generator.next()),
    async return() {
      closed = true;
      // A generator suspended in `bell.wait` cannot be returned until it resumes: wake it.
      bell.release();
      stopListening();
      return generator.return(undefined);
    },
  };
  return feed;
}
