/**
 * Limits against abuse and the switches operators have, as Yoga/envelop plugins shared by HTTP,
 * SSE and graphql-ws: request body size, CSRF prevention, introspection, aliases and tokens
 * (graphql-armor; depth and cost are limited by @pothos/plugin-complexity in the schema), a
 * rate limit on writes and expensive reads per credential (or IP), and the optional
 * trusted-documents mode in which only the saved operations of schema/operations are accepted.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { useRateLimiter } from '@envelop/rate-limiter';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { GraphQLError, parse, print, type GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { HubConfig } from './config.ts';
import type { HubContext } from './context.ts';
import { operationsDir } from './explorer.ts';

/** Refuses a request body above the limit with 413 before it is read. */
function useBodyLimit(maxBytes: number): Plugin {
  return {
    onRequest({ request, endResponse }) {
      const length = Number(request.headers.get('content-length') ?? 0);
      if (length > maxBytes) {
        endResponse(
          Response.json(
            { errors: [{ message: `Request body is ${length} bytes; the limit is ${maxBytes}`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] },
            { status: 413 },
          ),
        );
      }
    },
  };
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

/** Writes and the dashboard, rate-limited per credential (or per IP when anonymous). */
function useWriteRateLimit(config: HubConfig, schema: GraphQLSchema): Plugin {
  const { writesPerWindow, windowSeconds } = config.limits;
  const window = `${windowSeconds}s`;
  const mutations = Object.keys(schema.getMutationType()?.getFields() ?? {});
  return useRateLimiter({
    identifyFn: (ctx) => {
      const c = ctx as HubContext & { clientIp?: string };
      return c.viewer.role === 'anonymous' || c.viewer.actor === 'anonymous' ? `ip:${c.clientIp ?? 'unknown'}` : c.viewer.actor;
    },
    configByField: [
      ...mutations.map((field) => ({ type: 'Mutation', field, max: writesPerWindow, window })),
      { type: 'Query', field: 'dashboard', max: writesPerWindow * 5, window },
    ],
    transformError: (message) => new GraphQLError(message, { extensions: { code: 'RATE_LIMITED', http: { status: 429 } } }),
    interpolateMessage: () => `Too many requests: at most ${writesPerWindow} writes per ${windowSeconds} s; try again later`,
  }) as Plugin;
}

export function securityPlugins(config: HubConfig, schema: GraphQLSchema): Plugin<any>[] {
  const { limits } = config;
  return [
    useBodyLimit(limits.maxBodyBytes),
    // Browsers may not send simple (non-preflighted) requests: GET and form posts need this header.
    useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf', 'graphql-preflight'] }),
    ...(config.introspection ? [] : [useDisableIntrospection()]),
    maxAliasesPlugin({ n: limits.maxAliases, exposeLimits: true }) as Plugin,
    maxTokensPlugin({ n: limits.maxTokens, exposeLimits: true }) as Plugin,
    useWriteRateLimit(config, schema),
    ...(config.trustedDocuments ? useTrustedDocuments() : []),
  ];
}
