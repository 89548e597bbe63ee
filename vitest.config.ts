import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // One copy of graphql, as under Node: Vite would resolve `graphql` in our sources to its ESM
    // build (index.mjs) while Yoga and graphql-ws, loaded by Node, use the CommonJS one. Two
    // GraphQLError classes then fail `instanceof`, and Yoga masks our errors as "Unexpected error."
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/helpers/global-setup.ts'],
    setupFiles: ['tests/helpers/check-plans.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: PGlite in WASM is CPU-bound, so more workers only slow each other down.
    maxWorkers: 2,
    // Files that run in one worker share its loaded modules: loading the hub (Prisma's client,
    // the schema, Yoga) again for each file cost about a third of the suite's CPU. Each suite
    // still closes what it opened (tests/helpers/leftovers.ts) and restores what it stubs.
    isolate: false,
  },
});
