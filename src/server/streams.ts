/**
 * Long-lived connections (SSE streams and WebSockets) each client address holds open, so one
 * client cannot hold more than `maxStreamsPerClient`; and the open SSE responses, so `stop()`
 * ends them at once rather than waiting out the grace period.
 */
import type { ServerResponse } from 'node:http';

export class OpenStreams {
  private readonly byAddress = new Map<string, number>();
  private readonly eventStreams = new Set<ServerResponse>();
  /** Why a stream or socket is refused when its address holds the most it may. */
  readonly refusal: string;

  constructor(private readonly maxPerClient: number) {
    this.refusal = `This address holds ${maxPerClient} open streams and sockets, the most one client may; close one first`;
  }

  /** Whether `address` may open one more. */
  allows(address: string): boolean {
    return this.count(address) < this.maxPerClient;
  }

  /** Counts one more for `address`; returns the function that releases it. */
  hold(address: string): () => void {
    this.byAddress.set(address, this.count(address) + 1);
    return () => {
      const left = this.count(address) - 1;
      if (left > 0) this.byAddress.set(address, left);
      else this.byAddress.delete(address);
    };
  }

  /** Holds an SSE response for `address` until it closes. */
  holdEventStream(address: string, res: ServerResponse): void {
    const release = this.hold(address);
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

  private count(address: string): number {
    return this.byAddress.get(address) ?? 0;
  }
}
