import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  createAuthenticator,
  ensureLocalEditorKey,
  roleAtLeast,
} from '../src/auth.ts';
import { loadConfig } from '../src/config.ts';

const secret = 'a-test-secret-that-is-long-enough-for-hs256';
const keys =
  'viewer:viewer-key-0123456789abcdef,editor:editor-key-0123456789abcdef,admin:admin-key-0123456789abcdef';
const config = loadConfig({ HUB_API_KEYS: keys, JWT_SECRET: secret });
const auth = createAuthenticator(config.auth);

function jwt(
  claims: Record<string, unknown>,
  opts: { expiresIn?: string | number; key?: string } = {},
) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('alice')
    .setIssuedAt()
    .setExpirationTime(opts.expiresIn ?? '10m')
    .sign(new TextEncoder().encode(opts.key ?? secret));
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('credentials', () => {
  it.each([
    ['viewer-key-0123456789abcdef', 'viewer'],
    ['editor-key-0123456789abcdef', 'editor'],
    ['admin-key-0123456789abcdef', 'admin'],
  ])('should map API key %s to role %s', async (key, role) => {
    const viewer = await auth.authenticate(`Bearer ${key}`);
    expect(viewer.role).toBe(role);
    // The actor names the key without revealing it.
    expect(viewer.actor).toMatch(new RegExp(`^key:${role}:[0-9a-f]{8}$`));
    expect(viewer.actor).not.toContain(key);
  });

  it('should refuse an unknown key, a malformed header and a truncated key', async () => {
    await expect(auth.authenticate('Bearer nope-nope-nope-nope-nope')).rejects.toThrow(
      AuthenticationError,
    );
    await expect(auth.authenticate('Basic dXNlcjpwYXNz')).rejects.toThrow(/Bearer/);
    await expect(auth.authenticate('Bearer editor-key-0123456789abcde')).rejects.toThrow(
      AuthenticationError,
    );
  });

  it('should accept a valid HS256 JWT with the role claim and keep its expiry', async () => {
    const viewer = await auth.authenticate(`Bearer ${await jwt({ role: 'editor' })}`);
    expect(viewer).toMatchObject({ actor: 'jwt:alice', role: 'editor' });
    expect(viewer.expiresAt).toBeGreaterThan(Date.now());
  });

  it('should refuse an expired JWT, a JWT signed with another secret and one without a valid role', async () => {
    const past = Math.floor(Date.now() / 1000) - 60;
    await expect(
      auth.authenticate(`Bearer ${await jwt({ role: 'editor' }, { expiresIn: past })}`),
    ).rejects.toThrow(/expired/);
    await expect(
      auth.authenticate(
        `Bearer ${await jwt({ role: 'editor' }, { key: 'another-secret-another-secret-another' })}`,
      ),
    ).rejects.toThrow(/invalid token/);
    await expect(auth.authenticate(`Bearer ${await jwt({ role: 'superuser' })}`)).rejects.toThrow(
      /role/,
    );
  });

  it('should treat no credentials as the configured anonymous role', async () => {
    expect((await auth.authenticate(undefined)).role).toBe('viewer');
    const closed = createAuthenticator(
      loadConfig({ HUB_API_KEYS: keys, HUB_ANONYMOUS_ROLE: 'none' }).auth,
    );
    expect((await closed.authenticate(undefined)).role).toBe('anonymous');
  });

  it('should order roles', () => {
    expect(roleAtLeast('admin', 'editor')).toBe(true);
    expect(roleAtLeast('editor', 'admin')).toBe(false);
    expect(roleAtLeast('viewer', 'viewer')).toBe(true);
    expect(roleAtLeast('anonymous', 'viewer')).toBe(false);
  });

  it('should refuse badly formed key settings at start-up, naming the variable', () => {
    expect(() => loadConfig({ HUB_API_KEYS: 'owner:short' })).toThrow(/HUB_API_KEYS/);
    expect(() => loadConfig({ JWT_SECRET: 'short' })).toThrow(/JWT_SECRET/);
  });
});

describe('local editor key for the embedded default', () => {
  it('should be created once in the data folder, private to its owner, and reused', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lzhub-key-'));
    dirs.push(dir);
    const cfg = loadConfig({ HUB_DATA_DIR: dir });
    const first = ensureLocalEditorKey(cfg)!;
    expect(first.created).toBe(true);
    expect(readFileSync(first.file, 'utf8').trim()).toBe(first.key);
    expect(statSync(first.file).mode & 0o077).toBe(0);
    const second = ensureLocalEditorKey(cfg)!;
    expect(second).toMatchObject({ key: first.key, created: false });
  });

  it('should not be created when keys, JWTs or PostgreSQL are configured', () => {
    expect(ensureLocalEditorKey(config)).toBeUndefined();
    expect(ensureLocalEditorKey(loadConfig({ DATABASE_URL: 'postgresql://h/db' }))).toBeUndefined();
  });
});
