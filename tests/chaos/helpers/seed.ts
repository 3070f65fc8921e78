import type { App } from '../../../src/http/app.js';
import { startApp, type TestStorage } from '../../integration/helpers/env.js';
import { ADMIN_ENV } from '../../integration/helpers/partner.js';

/** The environment of a server process on the test's storage: its database, Redis and key prefix. */
export function serverEnv(storage: TestStorage, extra: Record<string, string> = {}): Record<string, string> {
  return { ...ADMIN_ENV, DATABASE_URL: storage.databaseUrl!, REDIS_URL: storage.redisUrl!, LENDBOOK_REDIS_PREFIX: storage.redisPrefix, ...extra };
}

/** Seeds through an in-process node that runs no background work, then leaves the field to processes. */
export async function seedWith(storage: TestStorage, env: Record<string, string>, seed: (app: App) => Promise<void>): Promise<void> {
  const seeder = await startApp(storage, { env: { ...env, LENDBOOK_WORKERS: 'off' } });
  try {
    await seed(seeder.app);
  } finally {
    await seeder.close();
  }
}
