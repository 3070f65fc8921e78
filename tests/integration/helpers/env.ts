import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { Redis } from 'ioredis';
import pg from 'pg';
import { loadConfig, type Config } from '../../../src/config.js';
import { build, type App, type BuildOptions } from '../../../src/http/app.js';
import { adminUrl, templateDatabaseName, testDatabaseName } from './pg-admin.js';

export const usingPostgres = Boolean(process.env.DATABASE_URL);
export const usingRedis = Boolean(process.env.REDIS_URL);

// One PGlite per test worker: opening one takes seconds, cleaning its schema a fraction of one.
let sharedPglite: Promise<PGlite> | undefined;

/**
 * A clean storage for one test file: a fresh PostgreSQL database copied from the migrated template
 * (DATABASE_URL set) or the worker's PGlite with its schemas dropped. Also a Redis key prefix of its own.
 */
export interface TestStorage {
  databaseUrl: string | undefined;
  pglite: PGlite | undefined;
  redisUrl: string | undefined;
  redisPrefix: string;
  dispose(): Promise<void>;
}

export async function createTestStorage(): Promise<TestStorage> {
  const suffix = randomBytes(5).toString('hex');
  const redisPrefix = `lbt-${suffix}`;
  const redisUrl = process.env.REDIS_URL || undefined;
  const cleanRedis = async () => {
    if (!redisUrl) return;
    const r = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
    try {
      let cursor = '0';
      do {
        const [next, keys] = await r.scan(cursor, 'MATCH', `${redisPrefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await r.del(...keys);
      } while (cursor !== '0');
    } finally {
      r.disconnect();
    }
  };
  if (process.env.DATABASE_URL) {
    const base = process.env.DATABASE_URL;
    const name = testDatabaseName(base, suffix);
    const admin = new pg.Client({ connectionString: adminUrl(base) });
    await admin.connect();
    await admin.query(`create database "${name}" template "${templateDatabaseName(base)}"`);
    await admin.end();
    const u = new URL(base);
    u.pathname = `/${name}`;
    return {
      databaseUrl: u.toString(),
      pglite: undefined,
      redisUrl,
      redisPrefix,
      async dispose() {
        const a = new pg.Client({ connectionString: adminUrl(base) });
        await a.connect();
        await a.query(`drop database if exists "${name}" with (force)`);
        await a.end();
        await cleanRedis();
      },
    };
  }
  sharedPglite ??= PGlite.create();
  const pglite = await sharedPglite;
  await pglite.exec(`drop schema if exists public cascade; drop schema if exists drizzle cascade; create schema public;`);
  return { databaseUrl: undefined, pglite, redisUrl, redisPrefix, dispose: cleanRedis };
}

export interface TestAppOptions extends BuildOptions {
  env?: Record<string, string>;
  /** Listen on a real port (WebSocket tests). */
  listen?: boolean;
  /** Runs before the app is ready, i.e. before its job workers and timers start (as `npm start` seeds the demo). */
  beforeReady?: (app: App) => Promise<void>;
}

export interface TestApp {
  app: App;
  config: Config;
  /** http://127.0.0.1:<port> when listening */
  url: string;
  close(): Promise<void>;
}

/** Boots the real app on the test storage. Several apps on one storage are several server instances. */
export async function startApp(storage: TestStorage, opts: TestAppOptions = {}): Promise<TestApp> {
  const config = loadConfig({
    LENDBOOK_DEMO: 'off',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    LENDBOOK_REDIS_PREFIX: storage.redisPrefix,
    ...(storage.databaseUrl ? { DATABASE_URL: storage.databaseUrl } : {}),
    ...(storage.redisUrl ? { REDIS_URL: storage.redisUrl } : {}),
    LENDBOOK_DATA_DIR: 'memory://',
    LENDBOOK_WEB_DIST: '/nonexistent',
    // Every test user comes from 127.0.0.1: the per-address limits are tested on their own.
    LENDBOOK_REGISTER_RATE_PER_MIN: '1000000',
    LENDBOOK_LOGIN_RATE_PER_MIN: '1000',
    LENDBOOK_LOGIN_ADDRESS_RATE_PER_MIN: '1000000',
    // Every answer of every test is checked against its route's documented schema and error codes.
    LENDBOOK_RESPONSE_CHECK: 'on',
    ...opts.env,
  });
  const app = await build(config, { pglite: storage.pglite, ...opts });
  await opts.beforeReady?.(app);
  let url = '';
  if (opts.listen) {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const addr = app.server.address();
    url = typeof addr === 'object' && addr ? `http://127.0.0.1:${addr.port}` : '';
  } else {
    await app.ready();
  }
  return { app, config, url, close: () => app.close() };
}
