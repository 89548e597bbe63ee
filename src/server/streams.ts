/**
 * What each client address holds on the server: the long-lived connections (SSE streams and
 * WebSockets) it keeps open, so one client cannot hold more than `maxPerClient`; and the bytes
 * its sockets hold for sending and have not sent, so one client cannot make the server keep more
 * than `maxHeldPerClient` bytes of replies it does not read, however many sockets it spreads them
 * over.
 * Also the open SSE responses, so `stop()` ends them at once rather than waiting out the grace
 * period.
 */
import type { ServerResponse } from 'node:http';

/** What an address holds: its open streams and sockets, and their counted bytes held for sending. */
interface AddressHolds {
  open: number;
  held: number;
}

/** One stream or socket: its address, and its bytes held for sending as last counted (0: not counted). */
interface Holding {
  address: string;
  held: number;
}

export class OpenStreams {
  private readonly byAddress = new Map<string, AddressHolds>();
  private readonly holdings = new WeakMap<object, Holding>();
  /** Holdings whose held bytes are counted now: while none is, a check costs one comparison. */
  private counted = 0;
  private readonly eventStreams = new Set<ServerResponse>();
  /**
   * Bytes held by one socket that are not counted: a client that reads has a few frames in flight
   * at most. So an address's sockets can hold at most `maxPerClient` times this beyond
   * `maxHeldPerClient`.
   */
  private readonly uncounted: number;
  /** Why a stream or socket is refused when its address holds the most it may. */
  readonly refusal: string;

  constructor(
    private readonly maxPerClient: number,
    private readonly maxHeldPerClient: number,
  ) {
    this.refusal = `This address holds ${maxPerClient} open streams and sockets, the most one client may; close one first`;
    this.uncounted = Math.floor(maxHeldPerClient / 256);
  }

  /** Whether `address` may open one more. */
  allows(address: string): boolean {
    return (this.byAddress.get(address)?.open ?? 0) < this.maxPerClient;
  }

  /** Counts `holder` (a socket or stream) for `address`; returns the function that releases it. */
  hold(address: string, holder: object): () => void {
    let holds = this.byAddress.get(address);
    if (!holds) {
      holds = { open: 0, held: 0 };
      this.byAddress.set(address, holds);
    }
    holds.open += 1;
    const holding: Holding = { address, held: 0 };
    this.holdings.set(holder, holding);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.count(holding, holds, 0);
      this.holdings.delete(holder);
      holds.open -= 1;
      if (holds.open === 0) this.byAddress.delete(address);
    };
  }

  /**
   * Records that `holder` holds `bytes` for sending that its client has not taken yet (it reads
   * slower than it is written to, or not at all). False when its address's holders together are
   * past `maxHeldPerClient` with this holder's bytes counted: the holder should be cut. A holder
   * with no more than `uncounted` bytes is never cut.
   */
  withinSendBudget(holder: object, bytes: number): boolean {
    if (bytes <= this.uncounted && this.counted === 0) return true;
    const holding = this.holdings.get(holder);
    if (!holding) return true;
    const holds = this.byAddress.get(holding.address)!;
    const counted = bytes > this.uncounted ? bytes : 0;
    this.count(holding, holds, counted);
    return counted === 0 || holds.held <= this.maxHeldPerClient;
  }

  /** What `holder` and its address hold for sending, as last counted (for the log). */
  heldFor(holder: object): {
    clientAddress?: string;
    heldBytes: number;
    addressHeldBytes: number;
  } {
    const holding = this.holdings.get(holder);
    if (!holding) return { heldBytes: 0, addressHeldBytes: 0 };
    return {
      clientAddress: holding.address,
      heldBytes: holding.held,
      addressHeldBytes: this.byAddress.get(holding.address)?.held ?? 0,
    };
  }

  /** Holds an SSE response for `address` until it closes. */
  holdEventStream(address: string, res: ServerResponse): void {
    const release = this.hold(address, res);
    this.eventStreams.add(res);
    res.once('close', () => {
      this.eventStreams.delete(res);
      release();
    });
  }

  /** Ends every open SSE response (the server is stopping). */
  endEventStreams(): void {
    for (const res of this.eventStreams) res.destroy();
  }

  private count(holding: Holding, holds: AddressHolds, held: number): void {
    if (held === holding.held) return;
    if (holding.held === 0) this.counted += 1;
    else if (held === 0) this.counted -= 1;
    holds.held += held - holding.held;
    holding.held = held;
  }
}
