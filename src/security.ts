/**
 * Limits against abuse and the switches operators have, as Yoga/envelop plugins shared by HTTP,
 * SSE and graphql-ws: request body size, CSRF prevention, introspection, aliases and tokens
 * (graphql-armor; depth and cost are limited by @pothos/plugin-complexity in the schema), a
 * rate limit on writes and expensive reads per credential (or IP), and the optional
 * trusted-documents mode in which only the saved operations of schema/operations are accepted.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { InMemoryStore, Store, useRateLimiter, type Identity } from '@envelop/rate-limiter';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { GraphQLError, NoSchemaIntrospectionCustomRule, parse, print, type GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import proxyaddr from 'proxy-addr';
import type { HubConfig } from './config.ts';
import type { HubContext } from './context.ts';
import { operationsDir } from './explorer.ts';
import type { Logger } from './logger.ts';
import { useHiddenSuggestions } from './masked-errors.ts';
import type { HubPubSub } from './pubsub.ts';

/**
 * Deepest nesting a request's JSON values (variables, extensions) may have. The schema's inputs
 * nest a few levels; a value nested thousands deep only serves to exhaust the stack of whatever
 * walks it next (hashing, coercion, logging), so it is refused with 400 right after parsing.
 */
export const MAX_JSON_DEPTH = 32;

/** Whether a parsed JSON value nests deeper than `limit`. Iterative, so it cannot overflow itself. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/** The 400 for a request whose variables or extensions nest too deep. */
export function tooDeepError(): GraphQLError {
  return new GraphQLError(`Variables and extensions may nest at most ${MAX_JSON_DEPTH} levels deep`, {
    extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
  });
}

/** Refuses, with 400, GraphQL parameters whose JSON nests deeper than MAX_JSON_DEPTH (HTTP; graphql-ws checks in app.ts). */
function useJsonDepthLimit(): Plugin {
  return {
    onRequestParse() {
      return {
        onRequestParseDone({ requestParserResult }) {
          for (const params of Array.isArray(requestParserResult) ? requestParserResult : [requestParserResult]) {
            if (nestsDeeperThan(params.variables, MAX_JSON_DEPTH) || nestsDeeperThan(params.extensions, MAX_JSON_DEPTH)) throw tooDeepError();
          }
        },
      };
    },
  };
}

/**
 * Introspection off on every transport. Yoga's useDisableIntrospection marks requests as they
 * are parsed from HTTP, which graphql-ws operations never are; this adds the rule to every
 * validation instead. (Field suggestions, which would reveal the schema too, go with it:
 * useHiddenSuggestions and the error masker in src/masked-errors.ts.)
 */
function useNoIntrospection(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}

/**
 * The client's address, for per-client limits: the socket's peer, or, when that peer is one of
 * the trusted proxies, the nearest address in `X-Forwarded-For` that is not (proxy-addr, as
 * Express uses it). Without trusted proxies the header is ignored: anyone can write it.
 */
export function clientAddressResolver(trustedProxies: readonly string[]): (req: IncomingMessage) => string {
  const trust = proxyaddr.compile([...trustedProxies]);
  return (req) => (req.socket?.remoteAddress ? proxyaddr(req, trust) : 'unknown');
}

/** The saved operations, normalised (printed from their AST) and by sha256 and name. */
export function loadTrustedDocuments(dir: string = operationsDir): { byKey: Map<string, string>; normalised: Set<string> } {
  const byKey = new Map<string, string>();
  const normalised = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.graphql'))) {
    const source = readFileSync(path.join(dir, file), 'utf8');
    const printed = print(parse(source));
    normalised.add(printed);
    byKey.set(createHash('sha256').update(source).digest('hex'), source);
    byKey.set(path.basename(file, '.graphql'), source);
    for (const def of parse(source).definitions) {
      if (def.kind === 'OperationDefinition' && def.name) byKey.set(def.name.value, source);
    }
  }
  return { byKey, normalised };
}

/**
 * Trusted documents: a client sends a saved operation's id (`documentId`: its file name,
 * operation name or sha256) or its full text; any other document is refused. Checking at parse
 * time covers graphql-ws too, whose operations go through the same envelop.
 */
function useTrustedDocuments(): Plugin<any>[] {
  const { byKey, normalised } = loadTrustedDocuments();
  return [
    usePersistedOperations({
      allowArbitraryOperations: true,
      // Apollo's `extensions.persistedQuery.sha256Hash`, or `documentId` (a hash, file or operation name).
      extractPersistedOperationId: (params) => {
        const p = params as { documentId?: unknown; extensions?: { persistedQuery?: { sha256Hash?: unknown } } };
        const id = p.documentId ?? p.extensions?.persistedQuery?.sha256Hash;
        return typeof id === 'string' ? id : null;
      },
      getPersistedOperation: (key) => byKey.get(key) ?? null,
    }),
    {
      onParse() {
        return ({ result }) => {
          if (result instanceof Error) return;
          if (!normalised.has(print(result))) {
            throw new GraphQLError('Only the saved operations of schema/operations are accepted on this server (trusted-documents mode)', {
              extensions: { code: 'PERSISTED_QUERY_ONLY', http: { status: 400 } },
            });
          }
        };
      },
    },
  ];
}

/**
 * Where rate-limit counts live: in Redis when the bus is Redis, so N servers allow the rate
 * once, not N times; in this server's memory otherwise. While Redis does not answer, this
 * server counts alone (a refusal must never turn into a 500, nor a request wait for Redis).
 */
export class RateLimitStore extends Store {
  private readonly local = new InMemoryStore();

  constructor(
    private readonly redis: HubPubSub['redis'],
    private readonly logger: Logger,
  ) {
    super();
  }

  /** The Redis key of one caller's calls of one field, in the bus's namespace. */
  private key(identity: Identity): string {
    return `${this.redis!.keyPrefix}rate-limit:${identity.contextIdentity}:${identity.fieldIdentity}`;
  }

  /** Redis, when the bus has it and it is connected now (commands would otherwise queue). */
  private connected(): boolean {
    return this.redis?.client.status === 'ready';
  }

  async getForIdentity(identity: Identity): Promise<readonly number[]> {
    if (this.connected()) {
      try {
        const stored = await this.redis!.client.get(this.key(identity));
        return stored ? (JSON.parse(stored) as number[]) : [];
      } catch (error) {
        this.logger.warn({ err: error }, 'rate limit: Redis read failed; counting on this server alone');
      }
    }
    return this.local.getForIdentity(identity);
  }

  async setForIdentity(identity: Identity, timestamps: readonly number[], windowMs?: number): Promise<void> {
    this.local.setForIdentity(identity, timestamps);
    if (!this.connected()) return;
    try {
      const key = this.key(identity);
      const value = JSON.stringify(timestamps);
      await (windowMs ? this.redis!.client.set(key, value, 'PX', windowMs) : this.redis!.client.set(key, value));
    } catch (error) {
      this.logger.warn({ err: error }, 'rate limit: Redis write failed; counting on this server alone');
    }
  }
}

/**
 * Writes and the dashboard, rate-limited per credential, or per client address when anonymous
 * (the context's `clientAddress`: the socket's peer, or X-Forwarded-For from a trusted proxy).
 */
function useWriteRateLimit(config: HubConfig, schema: GraphQLSchema, store: Store): Plugin {
  const { writesPerWindow, windowSeconds } = config.limits;
  const window = `${windowSeconds}s`;
  const limited = [
    ...Object.keys(schema.getMutationType()?.getFields() ?? {}).map((field) => ({ type: 'Mutation', field, max: writesPerWindow })),
    { type: 'Query', field: 'dashboard', max: writesPerWindow * 5 },
  ];
  return useRateLimiter({
    store,
    identifyFn: (ctx) => {
      const { viewer, clientAddress } = ctx as HubContext;
      return viewer.actor === 'anonymous' ? `ip:${clientAddress}` : viewer.actor;
    },
    configByField: limited.map(({ type, field, max }) => ({
      type,
      field,
      max,
      window,
      message: `Too many requests: at most ${max} calls of \`${field}\` per ${windowSeconds} s; try again later`,
    })),
    transformError: (message) =>
      new GraphQLError(message, { extensions: { code: 'RATE_LIMITED', http: { status: 429, headers: { 'Retry-After': String(windowSeconds) } } } }),
  }) as Plugin;
}

/** graphql-armor's refusals carry no code: give them one, and the 400 of a request refused before execution. */
function armorRefusal(code: string) {
  return { onReject: [(_context: unknown, error: GraphQLError) => void Object.assign(error.extensions, { code, http: { status: 400 } })] };
}

export function securityPlugins(config: HubConfig, schema: GraphQLSchema, rateLimits: Store): Plugin<any>[] {
  const { limits } = config;
  return [
    // The body size is limited by Yoga itself (maxRequestBodySize in app.ts), counting the bytes read.
    useJsonDepthLimit(),
    // Browsers may not send simple (non-preflighted) requests: GET and form posts need this header.
    useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf', 'graphql-preflight'] }),
    ...(config.introspection ? [] : [useNoIntrospection(), useHiddenSuggestions()]),
    maxAliasesPlugin({ n: limits.maxAliases, exposeLimits: true, ...armorRefusal('TOO_MANY_ALIASES') }) as Plugin,
    maxTokensPlugin({ n: limits.maxTokens, exposeLimits: true, ...armorRefusal('TOO_MANY_TOKENS') }) as Plugin,
    useWriteRateLimit(config, schema, rateLimits),
    ...(config.trustedDocuments ? useTrustedDocuments() : []),
  ];
}
