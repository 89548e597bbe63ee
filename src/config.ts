/**
 * The hub's one configuration module: every environment variable is read and validated here,
 * once, so a bad setting stops start-up with a message naming the variable.
 */
import path from 'node:path';
import proxyaddr from 'proxy-addr';
import { z } from 'zod';
import { ROLE_LIST, ROLES, type Role } from './auth.ts';
import { STATEMENTS_PER_CONNECTION } from './db/prepared-statements.ts';

/** Query plans the Prisma client keeps unless configured (src/db/plan-cache.ts). */
export const PLANS_KEPT = 1000;

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

/** `role:key` pairs separated by commas, each role one of ROLES and each key 16+ characters. */
const apiKeyPair = `(${ROLES.join('|')}):[A-Za-z0-9._~+/=-]{16,}`;
const apiKeyList = new RegExp(`^\\s*${apiKeyPair}\\s*(,\\s*${apiKeyPair}\\s*)*$`);

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  HUB_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: postgresUrl.optional(),
  HUB_PREPARED_STATEMENTS: z.coerce
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(STATEMENTS_PER_CONNECTION),
  HUB_PLAN_CACHE: z.coerce.number().int().min(0).max(10_000).default(PLANS_KEPT),
  REDIS_URL: redisUrl.optional(),
  LOG_LEVEL: z.enum(logLevels).default('info'),
  HUB_SEED: booleanFlag.default('true'),
  HUB_API_KEYS: z
    .string()
    .regex(
      apiKeyList,
      `must be role:key pairs separated by commas (role ${ROLE_LIST}; key at least 16 characters)`,
    )
    .optional(),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters (HS256)').optional(),
  JWT_JWKS_URL: z.string().url().optional(),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  JWT_ROLE_CLAIM: z.string().min(1).default('role'),
  HUB_ANONYMOUS_ROLE: z.enum(['viewer', 'none']).default('viewer'),
  HUB_INTROSPECTION: booleanFlag.default('true'),
  HUB_GRAPHIQL: booleanFlag.default('true'),
  HUB_TRUSTED_DOCUMENTS: booleanFlag.default('false'),
  HUB_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1_000_000),
  HUB_MAX_DEPTH: z.coerce.number().int().min(2).max(100).default(12),
  HUB_MAX_COMPLEXITY: z.coerce.number().int().min(10).default(5_000),
  HUB_MAX_ALIASES: z.coerce.number().int().min(1).default(30),
  HUB_MAX_TOKENS: z.coerce.number().int().min(100).default(5_000),
  HUB_RATE_LIMIT_WRITES: z.coerce.number().int().min(1).default(120),
  HUB_RATE_LIMIT_WINDOW_S: z.coerce.number().int().min(1).default(60),
  HUB_TRUSTED_PROXIES: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .superRefine((list, ctx) => {
      // proxy-addr's own parser, the one that will use the list.
      try {
        proxyaddr.compile(list);
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          message: `${(error as Error).message}: use IP addresses, CIDR ranges, or loopback, linklocal, uniquelocal`,
        });
      }
    })
    .optional(),
  HUB_MAX_SUBSCRIPTIONS_PER_SOCKET: z.coerce.number().int().min(1).max(10_000).default(50),
  HUB_MAX_STREAMS_PER_CLIENT: z.coerce.number().int().min(1).default(500),
  HUB_MAX_HELD_BYTES_PER_CLIENT: z.coerce
    .number()
    .int()
    .min(16_384)
    .default(64 * 2 ** 20),
  HUB_CACHE_MS: z.coerce.number().int().min(0).max(3_600_000).default(10_000),
  HUB_CACHE_MIN_USES: z.coerce.number().int().min(1).max(100).default(2),
  HUB_KEEP_ALIVE_MS: z.coerce.number().int().min(1_000).max(120_000).default(25_000),
  OC4IDS_PUBLISHER_NAME: z.string().trim().min(1).default('辽中区'),
  OC4IDS_ID_PREFIX: z
    .string()
    .trim()
    .regex(/^\S+$/, 'must not contain spaces')
    .default('oc4ids-lzq-'),
});

export type HubConfig = {
  port: number;
  host: string;
  /** Absolute path of the embedded database's folder (used when `databaseUrl` is unset). */
  dataDir: string;
  /** PostgreSQL server URL; unset means the embedded PGlite database. */
  databaseUrl: string | undefined;
  /**
   * On PostgreSQL, statements each pooled connection keeps prepared (src/db/prepared-statements.ts);
   * 0: none, for a pooler that does not keep a connection's statements.
   */
  preparedStatements: number;
  /** Query plans the Prisma client keeps compiled (src/db/plan-cache.ts); 0: none. */
  planCache: number;
  redisUrl: string | undefined;
  logLevel: (typeof logLevels)[number];
  /** Insert the district's report data missing from the database on start. */
  seed: boolean;
  auth: {
    /** API keys and the role each grants. */
    apiKeys: { role: Role; key: string }[];
    jwtSecret: string | undefined;
    jwksUrl: string | undefined;
    jwtIssuer: string | undefined;
    jwtAudience: string | undefined;
    /** Claim holding the role (`viewer`, `editor` or `admin`). */
    jwtRoleClaim: string;
    /** What a request without credentials may do. */
    anonymousRole: 'viewer' | 'none';
  };
  introspection: boolean;
  graphiql: boolean;
  /** Accept only the saved operations under schema/operations (by name or sha256). */
  trustedDocuments: boolean;
  limits: {
    maxBodyBytes: number;
    maxDepth: number;
    maxComplexity: number;
    maxAliases: number;
    maxTokens: number;
    /** Mutations per credential (or client address when anonymous) per window. */
    writesPerWindow: number;
    windowSeconds: number;
    /** Operations (subscriptions, queries in flight) one graphql-ws socket may hold at once. */
    maxSubscriptionsPerSocket: number;
    /** SSE streams and WebSockets one client address may hold open at once. */
    maxStreamsPerClient: number;
    /** Bytes the server may hold for sending to one client address's sockets (src/server/streams.ts). */
    maxHeldBytesPerClient: number;
  };
  /**
   * The reverse proxies whose `X-Forwarded-For` is believed (addresses, CIDR ranges, or
   * `loopback`/`linklocal`/`uniquelocal`); empty: the client address is the socket's peer.
   */
  trustedProxies: string[];
  /** The OC4IDS project package (GET /oc4ids): who publishes it, and the prefix of project ids. */
  oc4ids: { publisherName: string; idPrefix: string };
  /**
   * Keep computed dashboards and query answers until a change is heard, at most this long
   * (milliseconds); 0: compute every request afresh.
   */
  cacheMs: number;
  /** Keep a query's answer from the time it is asked for this many times (1: from the first). */
  cacheMinUses: number;
  /** The graphql-ws keep-alive period, milliseconds (what it does: `keepSocketsAlive`). */
  keepAliveMs: number;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and validates the configuration from `env` (the process environment by default). */
export function loadConfig(env: Record<string, string | undefined> = process.env): HubConfig {
  // An empty variable counts as unset, as shells and .env files often leave them.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  );
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
    preparedStatements: e.HUB_PREPARED_STATEMENTS,
    planCache: e.HUB_PLAN_CACHE,
    redisUrl: e.REDIS_URL,
    logLevel: e.LOG_LEVEL,
    seed: e.HUB_SEED,
    auth: {
      apiKeys: (e.HUB_API_KEYS ?? '')
        .split(',')
        .map((pair) => pair.trim())
        .filter(Boolean)
        .map((pair) => {
          const i = pair.indexOf(':');
          return {
            role: pair.slice(0, i) as Role,
            key: pair.slice(i + 1),
          };
        }),
      jwtSecret: e.JWT_SECRET,
      jwksUrl: e.JWT_JWKS_URL,
      jwtIssuer: e.JWT_ISSUER,
      jwtAudience: e.JWT_AUDIENCE,
      jwtRoleClaim: e.JWT_ROLE_CLAIM,
      anonymousRole: e.HUB_ANONYMOUS_ROLE,
    },
    introspection: e.HUB_INTROSPECTION,
    graphiql: e.HUB_GRAPHIQL,
    trustedDocuments: e.HUB_TRUSTED_DOCUMENTS,
    limits: {
      maxBodyBytes: e.HUB_MAX_BODY_BYTES,
      maxDepth: e.HUB_MAX_DEPTH,
      maxComplexity: e.HUB_MAX_COMPLEXITY,
      maxAliases: e.HUB_MAX_ALIASES,
      maxTokens: e.HUB_MAX_TOKENS,
      writesPerWindow: e.HUB_RATE_LIMIT_WRITES,
      windowSeconds: e.HUB_RATE_LIMIT_WINDOW_S,
      maxSubscriptionsPerSocket: e.HUB_MAX_SUBSCRIPTIONS_PER_SOCKET,
      maxStreamsPerClient: e.HUB_MAX_STREAMS_PER_CLIENT,
      maxHeldBytesPerClient: e.HUB_MAX_HELD_BYTES_PER_CLIENT,
    },
    trustedProxies: e.HUB_TRUSTED_PROXIES ?? [],
    oc4ids: { publisherName: e.OC4IDS_PUBLISHER_NAME, idPrefix: e.OC4IDS_ID_PREFIX },
    cacheMs: e.HUB_CACHE_MS,
    cacheMinUses: e.HUB_CACHE_MIN_USES,
    keepAliveMs: e.HUB_KEEP_ALIVE_MS,
  };
}
