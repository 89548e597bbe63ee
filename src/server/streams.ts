/**
 * What each client address holds on the server:
 * - the long-lived connections (SSE streams and WebSockets) it keeps open, so one client cannot
 *   hold more than `maxPerClient`;
 * - what the server holds for sending to its sockets and they have not taken, so one client
 *   cannot make the server keep more than `maxHeldPerClient` bytes of replies it does not read
 *   (twice that with the sockets being closed for it), however many sockets it spreads them
 *   over: past it, its sockets that hold the most are cut.
 * Also the open SSE responses, so `stop()` ends them at once rather than waiting out the grace
 * period.
 */
import type { ServerResponse } from 'node:http';

/** What a cut is told, and what the hub logs. */
export interface HeldReport {
  clientAddress: string;
  /** What the cut holder held for sending, as last reported. */
  heldBytes: number;
  /** What its address's holders held together, the cut one included. */
  addressHeldBytes: number;
}

/** How a holder that can be cut is measured and cut. */
export interface Cuttable {
  /** What it holds for sending now. */
  measure(): number;
  cut(report: HeldReport): void;
}

/** A stream or socket counted for its address, from `OpenStreams.hold` until `release`. */
export interface Holding {
  /**
   * Records that it holds `bytes` for sending that its client has not taken yet (it reads slower
   * than it is written to, or not at all). Past its address's budget, the address's holders that
   * hold the most are cut, this one or another.
   */
  report(bytes: number): void;
  /** It has closed: no longer counted, nor what it held. Once; later calls do nothing. */
  release(): void;
}

/** What one address holds: its open holders, and those whose held bytes are counted. */
interface AddressHolds {
  open: number;
  /** Bytes counted for all its holders. */
  held: number;
  /** Of those, the bytes of holders cut and not yet released (their sockets are closing). */
  going: number;
  counted: Set<Held>;
}

class Held implements Holding {
  /** Bytes counted for it (0: not counted). */
  held = 0;
  /** Cut (or released): counted as it was until released, never reported on or cut again. */
  done = false;
  private released = false;

  constructor(
    private readonly streams: OpenStreams,
    readonly address: string,
    readonly holds: AddressHolds,
    readonly cuttable: Cuttable | undefined,
  ) {}

  report(bytes: number): void {
    // A socket whose client reads: one comparison, on every write to it.
    if (bytes <= this.streams.uncounted && this.held === 0) return;
    if (this.done) return;
    this.count(this.streams.counted(bytes));
    this.streams.cutIfPast(this.holds);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    if (this.done) this.holds.going -= this.held;
    this.done = true;
    this.count(0);
    this.streams.forget(this);
  }

  /** Counts `held` bytes for it (0: not counted). */
  count(held: number): void {
    if (held === this.held) return;
    this.holds.held += held - this.held;
    this.held = held;
    if (held > 0) this.holds.counted.add(this);
    else this.holds.counted.delete(this);
  }
}

export class OpenStreams {
  private readonly byAddress = new Map<string, AddressHolds>();
  private readonly eventStreams = new Set<ServerResponse>();
  /**
   * Bytes held by one holder that are not counted: a client that reads has a few frames in
   * flight at most. An address's holders may hold `maxPerClient` times this beyond
   * `maxHeldPerClient`.
   */
  readonly uncounted: number;
  /** Why a stream or socket is refused when its address holds the most it may. */
  readonly refusal: string;

  constructor(
    private readonly maxPerClient: number,
    readonly maxHeldPerClient: number,
  ) {
    this.refusal = `This address holds ${maxPerClient} open streams and sockets, the most one client may; close one first`;
    this.uncounted = Math.min(65_536, Math.floor(maxHeldPerClient / 256));
  }

  /** Whether `address` may open one more. */
  allows(address: string): boolean {
    return (this.byAddress.get(address)?.open ?? 0) < this.maxPerClient;
  }

  /**
   * Counts one more stream or socket for `address` until it is released. `cuttable`: how it is
   * measured and cut when its address holds too much for sending (one without is never cut).
   */
  hold(address: string, cuttable?: Cuttable): Holding {
    let holds = this.byAddress.get(address);
    if (!holds) {
      holds = { open: 0, held: 0, going: 0, counted: new Set() };
      this.byAddress.set(address, holds);
    }
    holds.open += 1;
    return new Held(this, address, holds, cuttable);
  }

  /** Holds an SSE response for `address` until it closes. */
  holdEventStream(address: string, res: ServerResponse): void {
    const holding = this.hold(address);
    this.eventStreams.add(res);
    res.once('close', () => {
      this.eventStreams.delete(res);
      holding.release();
    });
  }

  /** Ends every open SSE response (the server is stopping). */
  endEventStreams(): void {
    for (const res of this.eventStreams) res.destroy();
  }

  /**
   * Cuts holders of an address, the one that holds the most first, while those not cut hold more
   * than the budget, or all of them more than twice the budget. A cut holder stays counted until
   * it is released (what it holds goes only with its socket, within seconds): so cutting the one
   * that holds the most is enough for a client that fell behind, while one that refills the budget
   * with new sockets as its cut ones close finds its new ones cut too.
   */
  cutIfPast(holds: AddressHolds): void {
    const max = this.maxHeldPerClient;
    const past = () => holds.held - holds.going > max || holds.held > 2 * max;
    if (!past()) return;
    // Each count is as of its holder's last write: one that has drained since is not cut for it.
    for (const held of [...holds.counted])
      if (!held.done && held.cuttable) held.count(this.counted(held.cuttable.measure()));
    while (past()) {
      let largest: Held | undefined;
      for (const held of holds.counted)
        if (!held.done && held.cuttable && (!largest || held.held > largest.held)) largest = held;
      if (!largest) return;
      largest.done = true;
      holds.going += largest.held;
      largest.cuttable!.cut({
        clientAddress: largest.address,
        heldBytes: largest.held,
        addressHeldBytes: holds.held,
      });
    }
  }

  /** What of `bytes` held by one holder is counted. */
  counted(bytes: number): number {
    return bytes > this.uncounted ? bytes : 0;
  }

  /** A holder was released. */
  forget(held: Held): void {
    held.holds.open -= 1;
    if (held.holds.open === 0) this.byAddress.delete(held.address);
  }
}
