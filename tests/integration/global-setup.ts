import pg from 'pg';
import { templateDatabaseName, adminUrl } from './helpers/pg-admin.js';
import { migrateDatabase, openDatabase } from '../../src/db/client.js';

/**
 * With DATABASE_URL set, migrate a template database once; each test file then gets a fresh copy of it
 * (CREATE DATABASE … TEMPLATE), which takes a fraction of a second.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const url = process.env.DATABASE_URL;
  if (!url) return async () => {};
  const admin = new pg.Client({ connectionString: adminUrl(url) });
  await admin.connect();
  const tpl = templateDatabaseName(url);
  await admin.query(`drop database if exists "${tpl}" with (force)`);
  await admin.query(`create database "${tpl}"`);
  const u = new URL(url);
  u.pathname = `/${tpl}`;
  const database = await openDatabase({ databaseUrl: u.toString(), dataDir: 'memory://', poolSize: 2 });
  await migrateDatabase(database);
  await database.close();
  await admin.end();
  return async () => {
    const a = new pg.Client({ connectionString: adminUrl(url) });
    await a.connect();
    // Test databases of this run that a crashed file left behind.
    const left = await a.query<{ datname: string }>(`select datname from pg_database where datname like $1`, [`${tpl.replace(/_tpl$/, '')}_t_%`]);
    for (const r of left.rows) await a.query(`drop database if exists "${r.datname}" with (force)`);
    await a.query(`drop database if exists "${tpl}" with (force)`);
    await a.end();
  };
}
