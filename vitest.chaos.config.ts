import { defineConfig } from 'vitest/config';

// Fault tests: real server processes killed, PostgreSQL restarted, Redis flushed. They need the real
// servers (DATABASE_URL, REDIS_URL) and run one file at a time.
export default defineConfig({
  test: {
    name: 'chaos',
    include: ['tests/chaos/**/*.test.ts'],
    globalSetup: ['tests/integration/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
});
