import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One PostgreSQL per run and a migrated template; each file clones its own database.
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/network.ts'],
    pool: 'forks',
    // Test files mostly wait on PostgreSQL: two workers pay off even on two cores
    // (vitest's default there is one).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // generous: a busy machine (CI beside other work) must not fail a correct test
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
  },
});
