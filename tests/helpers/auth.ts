/** The API keys every test hub is configured with, one per role, and their headers. */
export const testKeys = {
  viewer: 'test-viewer-key-0123456789',
  editor: 'test-editor-key-0123456789',
  admin: 'test-admin-key-01234567890',
} as const;

export type TestRole = keyof typeof testKeys;

export const testApiKeysEnv = Object.entries(testKeys)
  .map(([role, key]) => `${role}:${key}`)
  .join(',');

export function bearer(role: TestRole): string {
  return `Bearer ${testKeys[role]}`;
}

/** Adds the admin key unless the caller set `authorization` (an empty one means none). */
export function withDefaultAuth(headers: Record<string, string>): Record<string, string> {
  if (!('authorization' in headers)) return { ...headers, authorization: bearer('admin') };
  if (headers.authorization) return headers;
  const { authorization: _none, ...rest } = headers;
  return rest;
}
