/**
 * A minimal SSE subscription client for tests: POST /graphql with `Accept: text/event-stream`,
 * parse `event:` / `data:` lines, count keep-alive comments.
 */
import { withDefaultAuth } from './auth.ts';
import { SubscriptionRecorder, type TestSubscription } from './subscription.ts';

export interface SseSubscription<T> extends TestSubscription<T> {
  /** Keep-alive comment lines (`:`) received so far. */
  readonly pings: number;
}

/** Subscribes over SSE; resolves once the response headers (and the first ping) have arrived. */
export async function subscribeSse<T = Record<string, unknown>>(
  httpUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: { headers?: Record<string, string>; label?: string } = {},
): Promise<SseSubscription<T>> {
  const recorder = new SubscriptionRecorder<T>(options.label ?? 'sse');
  const abort = new AbortController();
  const open = () =>
    fetch(httpUrl, {
      method: 'POST',
      headers: withDefaultAuth({
        'content-type': 'application/json',
        accept: 'text/event-stream',
        ...options.headers,
      }),
      body: JSON.stringify({ query, variables }),
      signal: abort.signal,
    });
  // fetch may reuse a pooled keep-alive socket the server is just closing (ECONNRESET before any
  // response, seen on a loaded machine); nothing was subscribed then, so opening again is safe.
  const res = await open().catch((error: unknown) => {
    if ((error as { cause?: { code?: string } }).cause?.code === 'ECONNRESET') return open();
    throw error;
  });
  if (!res.ok || !res.body || !res.headers.get('content-type')?.includes('text/event-stream')) {
    throw new Error(
      `SSE subscribe failed: ${res.status} ${res.headers.get('content-type')} ${await res.text()}`,
    );
  }
  let pings = 0;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let disposed = false;
  void (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) pings += 1;
            else if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
          }
          if (event === 'next' && data.length) recorder.push(JSON.parse(data.join('\n')));
          if (event === 'complete') recorder.end({ kind: 'complete' });
        }
      }
      recorder.end({ kind: 'error', error: new Error('SSE stream ended without `complete`') });
    } catch (error) {
      recorder.end(disposed ? { kind: 'disposed' } : { kind: 'error', error });
    }
  })();
  return {
    recorder,
    get pings() {
      return pings;
    },
    async dispose() {
      disposed = true;
      recorder.end({ kind: 'disposed' });
      abort.abort();
    },
  };
}
