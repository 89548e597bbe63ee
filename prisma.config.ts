// Prisma CLI configuration. Migrations run through a driver adapter and the WASM schema engine
// (no native engine download): PGlite in HUB_DATA_DIR by default, PostgreSQL when DATABASE_URL is set.
import { defineConfig } from 'prisma/config';
import { PrismaPg } from 'prisma-adapter-pg-7';
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
      return new PrismaPg({ connectionString: config.databaseUrl });
    }
    const { PGlite } = await import('@electric-sql/pglite');
    const { PrismaPGlite } = await import('pglite-prisma-adapter');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(config.dataDir, { recursive: true });
    // Typed against an older driver-adapter-utils; see pgliteAdapter in src/db/index.ts.
    return new PrismaPGlite(new PGlite(config.dataDir)) as unknown as PrismaPg;
  },
});
