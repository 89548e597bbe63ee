/**
 * The feed shapes of src/realtime/feed.ts on their own: what a reader of an Inbox gets, in which
 * order, and when its producer is told the reader has gone.
 */
import { describe, expect, it } from 'vitest';
import { Bell, handOver, Inbox } from '../src/realtime/feed.ts';

const drain = async <T>(feed: AsyncIterator<T>, count: number) => {
  const values: T[] = [];
  for (let i = 0; i < count; i++) {
    const next = await feed.next();
    if (next.done) break;
    values.push(next.value);
  }
  return values;
};

describe('Inbox', () => {
  it('should give a waiting reader what is pushed, and keep in order what no one waits for', async () => {
    const inbox = new Inbox<number>();
    const first = inbox.next();
    inbox.push(1);
    inbox.push(2);
    inbox.push(3);
    expect(await first).toEqual({ value: 1, done: false });
    expect(await drain(inbox, 2)).toEqual([2, 3]);
  });

  it('should end after what was pushed, and take nothing more once ending', async () => {
    const ended = new Inbox<number>();
    ended.push(1);
    ended.end();
    ended.push(2);
    expect(await drain(ended, 5)).toEqual([1]);

    const waiting = new Inbox<number>();
    const read = waiting.next();
    waiting.end();
    expect(await read).toEqual({ value: undefined, done: true });
  });

  it('should release once, at return (even before the first read) or when the reader reaches the end', async () => {
    let released = 0;
    const returned = new Inbox<number>(() => released++);
    returned.push(1);
    expect(await returned.return()).toEqual({ value: undefined, done: true });
    await returned.return();
    expect(released).toBe(1);
    expect(await returned.next()).toEqual({ value: undefined, done: true });

    released = 0;
    const waiting = new Inbox<number>(() => released++);
    const read = waiting.next();
    await waiting.return();
    expect(await read).toEqual({ value: undefined, done: true });
    expect(released).toBe(1);

    released = 0;
    const ended = new Inbox<number>(() => released++);
    ended.push(1);
    ended.end();
    expect(released).toBe(0);
    expect(await ended.next()).toEqual({ value: 1, done: false });
    expect(released).toBe(0);
    expect(await ended.next()).toEqual({ value: undefined, done: true });
    expect(released).toBe(1);
  });
});

describe('Inbox handing over', () => {
  const taker = () => {
    const got: number[] = [];
    let ends = 0;
    return {
      take: (n: number) => void got.push(n),
      end: () => {
        ends += 1;
      },
      got,
      ends: () => ends,
    };
  };

  it('should hand what it holds, then each push as it comes, then the end, to a taker', async () => {
    let released = 0;
    const inbox = new Inbox<number>(() => released++);
    inbox.push(1);
    inbox.push(2);
    const t = taker();
    expect(inbox[handOver](t)).toBe(true);
    expect(t.got).toEqual([1, 2]);
    inbox.push(3);
    expect(t.got).toEqual([1, 2, 3]);
    expect(released).toBe(0);
    inbox.end();
    inbox.push(4);
    expect(t.got).toEqual([1, 2, 3]);
    expect(t.ends()).toBe(1);
    expect(released).toBe(1);
    // Handed over already ended: what it held, then the end at once.
    const ended = new Inbox<number>(() => released++);
    ended.push(5);
    ended.end();
    const u = taker();
    expect(ended[handOver](u)).toBe(true);
    expect(u.got).toEqual([5]);
    expect(u.ends()).toBe(1);
  });

  it('should refuse while a reader waits or once finished, and end the taker at return()', async () => {
    const waiting = new Inbox<number>();
    const read = waiting.next();
    expect(waiting[handOver](taker())).toBe(false);
    waiting.push(1);
    expect(await read).toEqual({ value: 1, done: false });

    let released = 0;
    const returned = new Inbox<number>(() => released++);
    const t = taker();
    returned[handOver](t);
    await returned.return();
    expect(t.ends()).toBe(1);
    expect(released).toBe(1);
    expect(returned[handOver](taker())).toBe(false);
  });
});

describe('Bell', () => {
  it('should keep one ring for a wait to come, and wake every waiter with false when closed', async () => {
    const bell = new Bell();
    bell.ring();
    bell.ring();
    expect(await bell.wait()).toBe(true);
    const waiting = [bell.wait(), bell.wait()];
    bell.ring();
    expect(await waiting[0]).toBe(true);
    bell.close();
    expect(await waiting[1]).toBe(false);
    expect(await bell.wait()).toBe(false);
  });
});
