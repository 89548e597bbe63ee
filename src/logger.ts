/** Structured logs (pino). Credentials never reach a log line: see `redact`. */
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

/** A logger writing JSON lines to stdout, or to `destination` (tests). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'liaozhong-hub' },
      redact: {
        paths: [
          'req.headers.authorization',
          'headers.authorization',
          'authorization',
          'token',
          'connectionParams.authorization',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
