import { defineConfig } from 'vitest/config';

// Unit tests are pure and fast; integration tests boot the real app on the configured storage
// (PGlite by default, PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: ['tests/unit/**/*.test.ts', 'web/test/**/*.test.ts', 'sdk/test/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          globalSetup: ['tests/integration/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
          maxWorkers: 2,
          // Files of one worker share its PGlite (opening one takes seconds); each file cleans its schema.
          isolate: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
