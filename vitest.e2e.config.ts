import { defineConfig } from 'vitest/config';

/**
 * End-to-end tests (tests/e2e): the real app on a real port, driven in headless Debian Chromium through
 * playwright-core. Storage as the integration tests: PGlite by default, PostgreSQL and Redis when
 * DATABASE_URL / REDIS_URL are set. The global setup builds web/dist (the app and the widget module).
 *
 *   npm run test:e2e
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/lendbook_e2e REDIS_URL=redis://127.0.0.1:6379 npm run test:e2e
 */
if (process.env.DATABASE_URL) {
  // The migrated template and the per-file databases are named after DATABASE_URL's database: a suffix of
  // their own keeps them apart from an integration run on the same server at the same time.
  const u = new URL(process.env.DATABASE_URL);
  if (!u.pathname.endsWith('_e2e')) u.pathname = `${u.pathname.replace(/^\/$/, '/lendbook')}_e2e`;
  process.env.DATABASE_URL = u.toString();
}

export default defineConfig({
  test: {
    name: 'e2e',
    include: ['tests/e2e/**/*.test.ts'],
    globalSetup: ['tests/integration/global-setup.ts', 'tests/e2e/global-setup.ts'],
    testTimeout: 90_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One browser per file; the files run side by side.
    maxWorkers: 2,
    fileParallelism: true,
    // Every step of a scenario builds on the one before.
    sequence: { concurrent: false },
    // A poll waits for the page to fetch and render on a busy machine (two browsers, the app, the
    // database on two cores): the default of 1 s is a guess about speed, not a statement of the test.
    expect: { poll: { timeout: 15_000 } },
  },
});
