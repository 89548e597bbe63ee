/**
 * The hub's one configuration module: every environment variable is read and validated here,
 * once, so a bad setting stops start-up with a message naming the variable.
 */
import path from 'node:path';
import { z } from 'zod';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const postgresUrl = z
  .string()
  .url()
  .refine((u) => /^postgres(ql)?:\/\//.test(u), 'must be a postgres:// or postgresql:// URL');

const redisUrl = z
  .string()
  .url()
  .refine((u) => /^rediss?:\/\//.test(u), 'must be a redis:// or rediss:// URL');

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  HUB_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: postgresUrl.optional(),
  REDIS_URL: redisUrl.optional(),
  LOG_LEVEL: z.enum(logLevels).default('info'),
  HUB_SEED: booleanFlag.default('true'),
});

export type HubConfig = {
  port: number;
  host: string;
  /** Absolute path of the embedded database's folder (used when `databaseUrl` is unset). */
  dataDir: string;
  /** PostgreSQL server URL; unset means the embedded PGlite database. */
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  logLevel: (typeof logLevels)[number];
  /** Insert the district's report data missing from the database on start. */
  seed: boolean;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and validates the configuration from `env` (the process environment by default). */
export function loadConfig(env: Record<string, string | undefined> = process.env): HubConfig {
  // An empty variable counts as unset, as shells and .env files often leave them.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.HUB_DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    logLevel: e.LOG_LEVEL,
    seed: e.HUB_SEED,
  };
}
