/**
 * Redis for tests: TEST_REDIS_URL, or skipped with a printed reason. Each bus gets its own
 * channel prefix and connection names, so parallel test files never hear each other.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createLogger } from '../../src/logger.ts';
import { createRedisPubSub, type HubPubSub } from '../../src/realtime/event-bus.ts';

export const redisTestUrl = process.env.TEST_REDIS_URL || undefined;

const warned = new Set<string>();
/** Why a suite needing Redis (and PostgreSQL, when `needsPostgres`) must be skipped, or null. */
export function redisSkipReason(needsPostgres = false): string | null {
  const reason = !redisTestUrl
    ? 'TEST_REDIS_URL is unset: Redis tests skipped'
    : needsPostgres && !process.env.TEST_DATABASE_URL
      ? 'TEST_DATABASE_URL is unset: multi-server tests skipped'
      : null;
  if (reason && !warned.has(reason)) {
    warned.add(reason);
    console.warn(reason);
  }
  return reason;
}

/** A namespace for one test file's buses. */
export function redisNamespace(): string {
  return `lzhub-test-${randomBytes(4).toString('hex')}`;
}

/** A Redis bus named `<namespace>-<name>`, on channels prefixed by the namespace. */
export function testRedisBus(namespace: string, name: string): HubPubSub {
  return createRedisPubSub(redisTestUrl!, createLogger('silent'), {
    channelPrefix: `${namespace}:`,
    connectionName: `${namespace}-${name}`,
  });
}

/** Kills a bus's subscribe connection on the Redis server, as a network failure would. */
export async function killSubscribeConnection(namespace: string, name: string): Promise<void> {
  const admin = new Redis(redisTestUrl!);
  try {
    const list = (await admin.client('LIST')) as string;
    const line = list.split('\n').find((l) => l.includes(` name=${namespace}-${name}-subscribe `));
    const id = line?.match(/^id=(\d+)/)?.[1];
    if (!id) throw new Error(`no Redis connection named ${namespace}-${name}-subscribe`);
    await admin.client('KILL', 'ID', id);
  } finally {
    admin.disconnect();
  }
}
