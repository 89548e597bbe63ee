/** Structured logs (pino). Credentials never reach a log line: see `redact`. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'liaozhong-hub' },
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', 'authorization', 'token', 'connectionParams.authorization'],
      censor: '[redacted]',
    },
  });
}
