// Prisma CLI configuration. Migrations run through a driver adapter and the WASM schema engine
// (no native engine download): PGlite in HUB_DATA_DIR by default, PostgreSQL when DATABASE_URL is set.
import { defineConfig } from 'prisma/config';
import { loadConfig } from './src/config.ts';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  async adapter() {
    const config = loadConfig();
    if (config.databaseUrl) {
      // adapter-pg 7.x, aliased: 6.19 cannot read the `name` columns migrations query (prisma#27403).
      const { PrismaPg } = await import('prisma-adapter-pg-7');
      return new PrismaPg({ connectionString: config.databaseUrl });
    }
    const { PGlite } = await import('@electric-sql/pglite');
    const { PrismaPGlite } = await import('pglite-prisma-adapter');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(config.dataDir, { recursive: true });
    return new PrismaPGlite(new PGlite(config.dataDir));
  },
});
