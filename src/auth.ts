/**
 * Who is calling. Credentials come as `Authorization: Bearer <token>` (HTTP, SSE) or as
 * `{ authorization: 'Bearer <token>' }` in graphql-ws connectionParams. A token is either an
 * API key from configuration (compared in constant time) or a JWT (HS256 secret or a JWKS URL,
 * the role in a claim, expiry honoured). No credentials: the configured anonymous role.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { HubConfig } from './config.ts';
import type { Viewer } from './context.ts';

/** The roles, ordered by power: admin can do all an editor can, an editor all a viewer can. */
export const ROLES = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];
/** The roles as a message names them: `viewer, editor or admin`. */
export const ROLE_LIST = `${ROLES.slice(0, -1).join(', ')} or ${ROLES.at(-1)}`;

/** A credential was given but is not valid: the request is refused with 401. */
export class AuthenticationError extends Error {
  override name = 'AuthenticationError';
}

/** Whether `role` may do what `needed` may (ROLES order). */
export function roleAtLeast(role: Viewer['role'], needed: Role): boolean {
  return role !== 'anonymous' && ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

function isRole(value: unknown): value is Role {
  return (ROLES as readonly unknown[]).includes(value);
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export interface Authenticator {
  /** Resolves the caller from an Authorization header value (or undefined). */
  authenticate(authorization: string | undefined | null): Promise<Viewer>;
}

export function createAuthenticator(auth: HubConfig['auth']): Authenticator {
  // Keys are compared by their digests, so every comparison has the same length and time.
  const keys = auth.apiKeys.map(({ role, key }) => ({
    role,
    digest: digest(key),
    label: `key:${role}:${digest(key).toString('hex').slice(0, 8)}`,
  }));
  const secret = auth.jwtSecret ? new TextEncoder().encode(auth.jwtSecret) : undefined;
  const jwks: JWTVerifyGetKey | undefined = auth.jwksUrl
    ? createRemoteJWKSet(new URL(auth.jwksUrl))
    : undefined;
  const anonymous: Viewer = {
    actor: 'anonymous',
    role: auth.anonymousRole === 'viewer' ? 'viewer' : 'anonymous',
  };

  async function verifyJwt(token: string): Promise<Viewer> {
    const options = {
      issuer: auth.jwtIssuer,
      audience: auth.jwtAudience,
      algorithms: secret ? ['HS256'] : ['RS256', 'ES256', 'PS256', 'EdDSA'],
      requiredClaims: ['exp'],
    };
    try {
      const { payload } = secret
        ? await jwtVerify(token, secret, options)
        : await jwtVerify(token, jwks!, options);
      const role = payload[auth.jwtRoleClaim];
      if (!isRole(role)) {
        throw new AuthenticationError(
          `token has no valid \`${auth.jwtRoleClaim}\` claim (${ROLE_LIST})`,
        );
      }
      const subject = typeof payload.sub === 'string' ? payload.sub : 'unknown';
      return {
        actor: `jwt:${subject}`,
        role,
        expiresAt: payload.exp ? payload.exp * 1000 : undefined,
      };
    } catch (error) {
      if (error instanceof AuthenticationError) throw error;
      const code = (error as { code?: string }).code;
      throw new AuthenticationError(code === 'ERR_JWT_EXPIRED' ? 'token expired' : 'invalid token');
    }
  }

  return {
    async authenticate(authorization) {
      if (!authorization) return anonymous;
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      if (!match) throw new AuthenticationError('Authorization must be "Bearer <token>"');
      const token = match[1]!;
      const d = digest(token);
      let found: (typeof keys)[number] | undefined;
      for (const k of keys) if (timingSafeEqual(k.digest, d)) found = k;
      if (found) return { actor: found.label, role: found.role };
      if (token.split('.').length === 3 && (secret || jwks)) return verifyJwt(token);
      throw new AuthenticationError('invalid token');
    },
  };
}

/**
 * The embedded default must be easy to try: with no API key and no JWT configured, the first
 * start creates an editor key in the data folder (readable by its owner only) and reuses it.
 */
export function ensureLocalEditorKey(
  config: HubConfig,
): { key: string; file: string; created: boolean } | undefined {
  const { auth } = config;
  if (auth.apiKeys.length || auth.jwtSecret || auth.jwksUrl || config.databaseUrl) return undefined;
  const file = path.join(config.dataDir, 'editor-key');
  if (existsSync(file)) return { key: readFileSync(file, 'utf8').trim(), file, created: false };
  mkdirSync(config.dataDir, { recursive: true });
  const key = `lzh_${randomBytes(24).toString('base64url')}`;
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { key, file, created: true };
}
