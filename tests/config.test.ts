import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

describe('configuration', () => {
  it('should default to port 4000 and the embedded database in ./data', () => {
    const config = loadConfig({});
    expect(config.port).toBe(4000);
    expect(config.dataDir).toBe(path.resolve('./data'));
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config.logLevel).toBe('info');
    expect(config.keepAliveMs).toBe(25_000);
  });

  it('should read the WebSocket keep-alive period, from 1 s to 2 min', () => {
    expect(loadConfig({ HUB_KEEP_ALIVE_MS: '12000' }).keepAliveMs).toBe(12_000);
    expect(loadConfig({ HUB_KEEP_ALIVE_MS: '1000' }).keepAliveMs).toBe(1_000);
    expect(loadConfig({ HUB_KEEP_ALIVE_MS: '120000' }).keepAliveMs).toBe(120_000);
  });

  it('should treat an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).port).toBe(4000);
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://localhost/x'],
    ['REDIS_URL', 'http://localhost:6379'],
    ['LOG_LEVEL', 'loud'],
    ['HUB_KEEP_ALIVE_MS', '999'],
    ['HUB_KEEP_ALIVE_MS', '120001'],
    ['HUB_KEEP_ALIVE_MS', '1500.5'],
    ['HUB_KEEP_ALIVE_MS', 'often'],
  ])('should refuse a bad %s with a message naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`\\b${name}\\b`));
  });

  it('should read PostgreSQL and Redis URLs', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgresql://u@h:5432/db',
      REDIS_URL: 'redis://h:6379',
    });
    expect(config.databaseUrl).toBe('postgresql://u@h:5432/db');
    expect(config.redisUrl).toBe('redis://h:6379');
  });
});
