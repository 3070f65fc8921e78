import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import { sql, type ExtractTablesWithRelations, type SQL } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import pg from 'pg';

// No schema is handed to drizzle: nothing here uses its relational `db.query` API, and with a schema
// every transaction object builds a query builder for each of the 42 tables, which is garbage on every
// bid batch and every outbox dispatch.
export type Db = PgDatabase<PgQueryResultHKT>;
export type Tx = PgTransaction<PgQueryResultHKT, Record<string, never>, ExtractTablesWithRelations<Record<string, never>>>;
/** Anything that runs queries: the database or an open transaction. */
export type Queryable = Db | Tx;

export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** Raw pool, PostgreSQL only (benchmarks and LISTEN need it). */
  pool: pg.Pool | undefined;
  close(): Promise<void>;
}

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

// int8 as a JS number: money columns are asserted safe integers, and raw `execute` then agrees with
// the typed columns on both drivers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Error(`int8 value out of the safe integer range: ${v}`);
  return n;
});

export interface OpenDatabaseOptions {
  databaseUrl: string | undefined;
  /** PGlite data folder, or 'memory://' */
  dataDir: string;
  poolSize?: number;
  /** An already open PGlite (tests share one per worker). */
  pglite?: PGlite;
}

export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: opts.poolSize ?? 20,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 10_000,
      application_name: 'lendbook',
    });
    // A dropped connection (PostgreSQL restarted) must not crash the process. The pool listens for errors
    // on idle clients only; a client checked out between two statements of a transaction would emit an
    // 'error' nobody hears, which Node turns into a crash. Its next query fails instead, the transaction
    // rolls back and the pool discards the client.
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
    const db = drizzlePg({ client: pool }) as unknown as Db;
    return { db, kind: 'postgres', pool, close: () => pool.end() };
  }
  // Loaded only for the embedded database: a server on PostgreSQL does not carry PGlite's modules
  // (about 2 MB of source and their compiled code) in memory.
  const [{ PGlite }, { drizzle: drizzlePglite }] = await Promise.all([import('@electric-sql/pglite'), import('drizzle-orm/pglite')]);
  let client = opts.pglite;
  const owned = client === undefined;
  if (!client) {
    if (!opts.dataDir.startsWith('memory://')) mkdirSync(opts.dataDir, { recursive: true });
    client = await PGlite.create(opts.dataDir.startsWith('memory://') ? undefined : opts.dataDir);
  }
  const db = drizzlePglite({ client }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    pool: undefined,
    close: async () => {
      if (owned) await client.close();
    },
  };
}

const MIGRATION_LOCK_KEY = 727_001;

/** Applies migrations/ once, even when several nodes start together (advisory lock on PostgreSQL). */
export async function migrateDatabase(database: Database): Promise<void> {
  if (database.kind === 'pglite') {
    const { migrate: migratePglite } = await import('drizzle-orm/pglite/migrator');
    await migratePglite(database.db as never, { migrationsFolder: MIGRATIONS_DIR });
    return;
  }
  const client = await database.pool!.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await migratePg(database.db as never, { migrationsFolder: MIGRATIONS_DIR });
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
    client.release();
  }
}

/** Rows of a raw query, on either driver. */
export async function rows<T>(q: Queryable, query: SQL): Promise<T[]> {
  const result = (await q.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

/**
 * A fixed statement of a hot path (a bid batch, an outbox dispatch), run by name with `$n` parameters.
 * On PostgreSQL it is a named prepared statement: parsed and planned once per connection instead of on
 * every call, and without the query builder's work in this process. PGlite runs the same text (it is in
 * process, there is nothing to save). Values come back as the driver types them (int8 as a number on
 * pg, see above; callers convert what they read with Number()).
 */
export async function namedRows<T>(q: Queryable, name: string, text: string, values: readonly unknown[]): Promise<T[]> {
  const client = (q as unknown as { session: { client: unknown } }).session.client;
  if (client instanceof pg.Pool || client instanceof pg.Client) {
    const result = await client.query<T & pg.QueryResultRow>({ name, text, values: values as unknown[] });
    return result.rows;
  }
  const result = await (client as PGlite).query<T>(text, values as unknown[]);
  return result.rows;
}

export async function ping(q: Queryable): Promise<void> {
  await q.execute(sql`select 1`);
}

/** A JS array as a PostgreSQL array literal parameter (works on pg and PGlite alike). */
export function sqlArray(values: readonly (number | string)[]): string {
  return `{${values.map((v) => (typeof v === 'number' ? String(v) : `"${v.replace(/(["\\])/g, '\\$1')}"`)).join(',')}}`;
}
