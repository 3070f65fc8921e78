import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { createTestStorage, startApp, usingPostgres, type TestApp, type TestStorage } from './helpers/env.js';

let storage: TestStorage;
let t: TestApp;
beforeAll(async () => {
  if (!usingPostgres) return;
  storage = await createTestStorage();
  t = await startApp(storage);
});
afterAll(async () => {
  await t?.close();
  await storage?.dispose();
});

describe.runIf(usingPostgres)('a PostgreSQL connection lost in the middle of a transaction', () => {
  it('fails that transaction with an error and nothing else: the process lives on and the next one works', async () => {
    const admin = new pg.Client({ connectionString: storage.databaseUrl });
    await admin.connect();
    try {
      const attempt = t.app.ctx.transaction(async (tx) => {
        const [me] = await rows<{ pid: number }>(tx, sql`select pg_backend_pid() as pid`);
        // Terminated between two statements: no query is running on it when the server says goodbye,
        // which is when pg emits the error on the client itself.
        await admin.query('select pg_terminate_backend($1)', [me!.pid]);
        await new Promise((r) => setTimeout(r, 300));
        await rows(tx, sql`select 1`);
      });
      await expect(attempt).rejects.toThrow();
      const [after] = await rows<{ one: number }>(t.app.ctx.db, sql`select 1 as one`);
      expect(after!.one).toBe(1);
      expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    } finally {
      await admin.end();
    }
  });
});
