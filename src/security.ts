/**
 * Limits against abuse and the switches operators have, as Yoga/envelop plugins shared by HTTP,
 * SSE and graphql-ws: request body size, CSRF prevention, introspection, aliases and tokens
 * (graphql-armor; depth and cost are limited by @pothos/plugin-complexity in the schema), a
 * rate limit on writes and expensive reads per credential (or IP), and the optional
 * trusted-documents mode in which only the saved operations of schema/operations are accepted.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { isIPv6 } from 'node:net';
import path from 'node:path';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLError,
  getOperationAST,
  Kind,
  NoSchemaIntrospectionCustomRule,
  parse,
  print,
  type SelectionNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import proxyaddr from 'proxy-addr';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import type { HubConfig } from './config.ts';
import type { HubContext } from './context.ts';
import { operationsDir } from './explorer.ts';
import { useHiddenSuggestions } from './masked-errors.ts';
import type { HubPubSub } from './realtime/event-bus.ts';
import { AGGREGATE_READ } from './schema/builder.ts';

/** A 400 `BAD_REQUEST` for a request refused before it runs; `close` ends its connection after. */
function badRequestError(message: string, close = false): GraphQLError {
  return new GraphQLError(message, {
    extensions: {
      code: 'BAD_REQUEST',
      http: { status: 400, ...(close && { headers: { connection: 'close' } }) },
    },
  });
}

/**
 * The 413 for a request body past HUB_MAX_BODY_BYTES (the code and message Yoga's own limit
 * uses). The connection is closed after it: the rest of the body is neither read nor drained.
 */
function bodyTooLargeError(): GraphQLError {
  return new GraphQLError('Request body too large', {
    extensions: {
      code: 'REQUEST_ENTITY_TOO_LARGE',
      http: { status: 413, headers: { connection: 'close' } },
    },
  });
}

/**
 * A body without a declared length (chunked), read while counting: 413 as soon as it passes
 * `limit`. A body that cannot be read to its end (the client went away, a broken chunk) is a
 * 400 for that request, not an error of the hub's.
 */
async function readWithin(request: Request, limit: number, R: typeof Request): Promise<Request> {
  const reader = request.body!.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      size += read.value.byteLength;
      if (size > limit) {
        reader.cancel().catch(() => {});
        throw bodyTooLargeError();
      }
      chunks.push(read.value);
    }
  } catch (error) {
    if (error instanceof GraphQLError) throw error;
    throw badRequestError('Request body could not be read', true);
  }
  return new R(request.url, {
    method: request.method,
    headers: request.headers,
    body: Buffer.concat(chunks),
    signal: request.signal,
  });
}

/**
 * The request body limit (HUB_MAX_BODY_BYTES): 413 past it, 400 for a Content-Length that is not
 * one number. A declared length is checked before anything is read and, with no
 * Transfer-Encoding beside it, is all there is to check: Node's HTTP parser hands over exactly
 * that many bytes. Any other body (chunked; or a length beside Transfer-Encoding, which Node's
 * strict parser refuses and a lenient one frames as chunked) is counted as it is read.
 * In place of Yoga's `maxRequestBodySize` (off in server/yoga.ts), which pipes every body through
 * a counting stream whatever its headers say: about 3.5% of the CPU of a `node(id)` the response
 * cache cannot answer, in a profile taken side by side. Like Yoga's, it wraps the request parser
 * chosen before it, so it comes after every plugin that may set one (last in server/yoga.ts).
 */
export function useBodySizeLimit(limit: number): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const declared = request.headers.get('content-length');
      if (declared !== null) {
        if (!/^\d+$/.test(declared)) throw badRequestError('Content-Length header is invalid');
        if (Number(declared) > limit) throw bodyTooLargeError();
        if (!request.headers.has('transfer-encoding')) return;
      }
      if (!request.body || !requestParser) return;
      setRequestParser(async (req) =>
        requestParser(await readWithin(req, limit, fetchAPI.Request)),
      );
    },
  };
}

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
  return badRequestError(`Variables and extensions may nest at most ${MAX_JSON_DEPTH} levels deep`);
}

/** Refuses, with 400, GraphQL parameters whose JSON nests deeper than MAX_JSON_DEPTH (HTTP; graphql-ws checks in app.ts). */
function useJsonDepthLimit(): Plugin {
  return {
    onRequestParse() {
      return {
        onRequestParseDone({ requestParserResult }) {
          for (const params of Array.isArray(requestParserResult)
            ? requestParserResult
            : [requestParserResult]) {
            if (
              nestsDeeperThan(params.variables, MAX_JSON_DEPTH) ||
              nestsDeeperThan(params.extensions, MAX_JSON_DEPTH)
            )
              throw tooDeepError();
          }
        },
      };
    },
  };
}

/**
 * Deepest nesting of `{`, `[` and `(` a document's text may have. The depth limit (HUB_MAX_DEPTH)
 * is checked on the parsed document, but parsing itself (and graphql-armor's token count, which
 * parses too) recurses once per level: a document thousands of levels deep would overflow the
 * stack first. It is refused with 400 before any parser sees it.
 */
export const MAX_DOCUMENT_NESTING = 64;

/** Whether a document's text nests brackets deeper than `limit`, strings and comments aside. */
export function documentNestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '#') {
      while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
    } else if (c === '"') {
      const block = text.startsWith('"""', i);
      const end = block ? text.indexOf('"""', i + 3) : -1;
      if (block) i = end < 0 ? text.length : end + 2;
      else
        for (i++; i < text.length && text[i] !== '"' && text[i] !== '\n'; i++)
          if (text[i] === '\\') i++;
    } else if (c === '{' || c === '[' || c === '(') {
      if (++depth > limit) return true;
    } else if (c === '}' || c === ']' || c === ')') depth--;
  }
  return false;
}

/** Refuses, with 400, a document nested deeper than MAX_DOCUMENT_NESTING (every transport: it checks at parse). */
function useDocumentNestingLimit(): Plugin {
  return {
    onParse({ params }) {
      const text = typeof params.source === 'string' ? params.source : params.source.body;
      if (documentNestsDeeperThan(text, MAX_DOCUMENT_NESTING)) {
        throw new GraphQLError(`The document nests more than ${MAX_DOCUMENT_NESTING} levels deep`, {
          extensions: { code: 'QUERY_TOO_COMPLEX', http: { status: 400 } },
        });
      }
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
 * Express uses it). Without trusted proxies the header is ignored: anyone can write it. An IPv6
 * client is its /64 network (`ipv6Network`).
 */
export function clientAddressResolver(
  trustedProxies: readonly string[],
): (req: IncomingMessage) => string {
  const trust = proxyaddr.compile([...trustedProxies]);
  return (req) => {
    if (!req.socket?.remoteAddress) return 'unknown';
    const address = proxyaddr(req, trust);
    return isIPv6(address) && !address.includes('.') ? ipv6Network(address) : address;
  };
}

/**
 * The /64 network of an IPv6 address, as `2001:db8:0:1::/64`: one host is commonly given a whole
 * /64, so counting its addresses one by one would give it as many budgets as it cares to use.
 * (An IPv4 address written as IPv6, `::ffff:192.0.2.1`, is one client: the caller leaves it.)
 */
export function ipv6Network(address: string): string {
  const [head = '', tail] = address.split('%')[0]!.split('::');
  const first = head ? head.split(':') : [];
  const last = tail ? tail.split(':') : [];
  // `::` stands for as many zero groups as make eight.
  const groups =
    tail === undefined
      ? first
      : [...first, ...Array<string>(8 - first.length - last.length).fill('0'), ...last];
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

/** The saved operations, normalised (printed from their AST) and by sha256 and name. */
export function loadTrustedDocuments(dir: string = operationsDir): {
  byKey: Map<string, string>;
  normalised: Set<string>;
} {
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
function useTrustedDocuments(): Plugin[] {
  const { byKey, normalised } = loadTrustedDocuments();
  return [
    usePersistedOperations({
      allowArbitraryOperations: true,
      // Apollo's `extensions.persistedQuery.sha256Hash`, or `documentId` (a hash, file or operation name).
      extractPersistedOperationId: (params) => {
        const p = params as {
          documentId?: unknown;
          extensions?: { persistedQuery?: { sha256Hash?: unknown } };
        };
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
            throw new GraphQLError(
              'Only the saved operations of schema/operations are accepted on this server (trusted-documents mode)',
              {
                extensions: { code: 'PERSISTED_QUERY_ONLY', http: { status: 400 } },
              },
            );
          }
        };
      },
    },
  ];
}

/** One limiter per budget: Redis when the bus is Redis (every server shares the count), else memory. */
function createLimiter(
  points: number,
  durationS: number,
  redis: HubPubSub['redis'],
  name: string,
): RateLimiterAbstract {
  const memory = new RateLimiterMemory({ points, duration: durationS, keyPrefix: name });
  if (!redis) return memory;
  return new RateLimiterRedis({
    storeClient: redis.client,
    keyPrefix: `${redis.keyPrefix}rate-limit:${name}`,
    points,
    duration: durationS,
    // While Redis does not answer, this server counts alone: a refusal must never turn into a
    // 500, nor a request wait for Redis.
    rejectIfRedisNotReady: true,
    insuranceLimiter: memory,
  });
}

/** How many times each root field of the operation is selected (aliases and fragments included). */
function rootFieldCounts(
  document: DocumentNode,
  operationName: string | null | undefined,
): Map<string, number> {
  const counts = new Map<string, number>();
  const operation = getOperationAST(document, operationName);
  if (!operation) return counts;
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((f) => [f.name.value, f]),
  );
  const seen = new Set<string>();
  const visit = (selections: readonly SelectionNode[]) => {
    for (const selection of selections) {
      if (selection.kind === Kind.FIELD)
        counts.set(selection.name.value, (counts.get(selection.name.value) ?? 0) + 1);
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet.selections);
      else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) visit(fragment.selectionSet.selections);
      }
    }
  };
  visit(operation.selectionSet.selections);
  return counts;
}

/**
 * Writes and the reads that aggregate the district (fields marked AGGREGATE_READ: the dashboard,
 * the pipeline analytics), rate-limited per credential, or per client address when anonymous
 * (the context's `clientAddress`: the socket's peer, or X-Forwarded-For from a trusted proxy).
 * Each selection of a limited field counts (five aliased mutations are five calls), and counts
 * are consumed atomically (rate-limiter-flexible), so parallel requests and servers cannot
 * overdraw a budget. Refused: 429 `RATE_LIMITED` with the seconds until the budget refills.
 */
function useRateLimits(config: HubConfig, redis: HubPubSub['redis']): Plugin {
  const { writesPerWindow, windowSeconds } = config.limits;
  const writes = createLimiter(writesPerWindow, windowSeconds, redis, 'writes');
  const aggregates = createLimiter(writesPerWindow * 5, windowSeconds, redis, 'dashboard');
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const queryFields = args.schema.getQueryType()?.getFields() ?? {};
      const { viewer, clientAddress } = args.contextValue as unknown as HubContext;
      const operation = getOperationAST(args.document, args.operationName);
      if (!operation || operation.operation === 'subscription') return;
      const who = viewer.actor === 'anonymous' ? `ip:${clientAddress}` : viewer.actor;
      for (const [field, count] of rootFieldCounts(args.document, args.operationName)) {
        const limiter =
          operation.operation === 'mutation'
            ? writes
            : queryFields[field]?.extensions.rateLimit === AGGREGATE_READ.rateLimit
              ? aggregates
              : undefined;
        if (!limiter) continue;
        try {
          await limiter.consume(`${who}:${field}`, count);
        } catch (refusal) {
          if (!(refusal instanceof RateLimiterRes)) throw refusal;
          const retryAfter = Math.max(1, Math.ceil(refusal.msBeforeNext / 1000));
          setResultAndStopExecution({
            errors: [
              new GraphQLError(
                `Too many requests: at most ${limiter.points} calls of \`${field}\` per ${windowSeconds} s; try again in ${retryAfter} s`,
                {
                  extensions: {
                    code: 'RATE_LIMITED',
                    http: { status: 429, headers: { 'Retry-After': String(retryAfter) } },
                  },
                },
              ),
            ],
          });
          return;
        }
      }
    },
  };
}

/** graphql-armor's refusals carry no code: give them one, and the 400 of a request refused before execution. */
function armorRefusal(code: string) {
  return {
    onReject: [
      (_context: unknown, error: GraphQLError) =>
        void Object.assign(error.extensions, { code, http: { status: 400 } }),
    ],
  };
}

export function securityPlugins(config: HubConfig, redis: HubPubSub['redis']): Plugin[] {
  const { limits } = config;
  return [
    // The body size limit (useBodySizeLimit) is last of all plugins, in server/yoga.ts.
    useJsonDepthLimit(),
    // Before anything parses the document (graphql-armor's token count included).
    useDocumentNestingLimit(),
    // Browsers may not send simple (non-preflighted) requests: GET and form posts need this header.
    useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf', 'graphql-preflight'] }),
    ...(config.introspection ? [] : [useNoIntrospection(), useHiddenSuggestions()]),
    maxAliasesPlugin({
      n: limits.maxAliases,
      exposeLimits: true,
      ...armorRefusal('TOO_MANY_ALIASES'),
    }) as Plugin,
    maxTokensPlugin({
      n: limits.maxTokens,
      exposeLimits: true,
      ...armorRefusal('TOO_MANY_TOKENS'),
    }) as Plugin,
    useRateLimits(config, redis),
    ...(config.trustedDocuments ? useTrustedDocuments() : []),
  ];
}
