/**
 * Node's HTTP server in front of Yoga: a Host header no URL can be built from is a 400 (it would
 * reach Yoga's URL parsing and be answered 500), and an SSE request from an address that holds
 * the most streams it may is a 429.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { OpenStreams } from './streams.ts';
import type { HubYoga } from './yoga.ts';

export function createHttpServer(
  yoga: HubYoga,
  streams: OpenStreams,
  clientAddressOf: (req: IncomingMessage) => string,
): Server {
  return createServer((req, res) => {
    if (req.headers.host !== undefined && !URL.canParse(`http://${req.headers.host}`)) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          errors: [{ message: 'Bad Host header', extensions: { code: 'BAD_REQUEST' } }],
        }),
      );
      return;
    }
    if (req.headers.accept?.includes('text/event-stream')) {
      const address = clientAddressOf(req);
      if (!streams.allows(address)) {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '5' }).end(
          JSON.stringify({
            errors: [{ message: streams.refusal, extensions: { code: 'TOO_MANY_STREAMS' } }],
          }),
        );
        return;
      }
      streams.holdEventStream(address, res);
    }
    void yoga(req, res);
  });
}
