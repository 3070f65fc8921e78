import { sql } from 'drizzle-orm';
import { bigint, bigserial, check, index, integer, jsonb, pgTable, primaryKey, smallint, text, timestamp } from 'drizzle-orm/pg-core';

/** A message for the event bus: `channel` is `listing:<id>`, `listings` or `user:<id>`. */
export interface OutboxMessage {
  channel: string;
  type: string;
  /** The listing's own sequence number, for `listing:<id>` channels. */
  seq?: number;
  data: unknown;
}

/** A job to enqueue after commit, with a deterministic id so that enqueuing twice is harmless. */
export interface OutboxJob {
  name: string;
  id: string;
  data: Record<string, unknown>;
  runAtMs?: number;
  /**
   * Coalesce into one run per window of this length: the dispatcher appends the window of the moment it
   * enqueues (after the commit) to the id and runs the job at the window's end. A job with that id, if
   * one exists, has therefore not started yet and will see this commit. (A window taken when the
   * transaction began would not do: a slow transaction can commit after its window's run has read.)
   */
  coalesceMs?: number;
}

/**
 * Transactional outbox: a command writes its events and jobs here in its own transaction; the dispatcher
 * publishes them after commit. `dispatchSeq` is assigned by the one dispatcher holding the lock, so it is
 * contiguous: a node that sees a gap in it knows it missed bus messages and reads them back from here.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    messages: jsonb('messages').$type<OutboxMessage[]>().notNull().default(sql`'[]'::jsonb`),
    jobs: jsonb('jobs').$type<OutboxJob[]>().notNull().default(sql`'[]'::jsonb`),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    dispatchSeq: bigint('dispatch_seq', { mode: 'number' }).unique(),
    dispatchedAt: timestamp('dispatched_at', { withTimezone: true }),
  },
  (t) => [index('outbox_pending_idx').on(t.id).where(sql`${t.dispatchSeq} is null`)],
);

/** The last dispatch sequence number handed out (one row). */
export const busState = pgTable(
  'bus_state',
  {
    id: smallint('id').primaryKey(),
    lastDispatchSeq: bigint('last_dispatch_seq', { mode: 'number' }).notNull(),
  },
  (t) => [check('bus_state_one_row', sql`${t.id} = 1`), check('bus_state_seq_nonneg', sql`${t.lastDispatchSeq} >= 0`)],
);

/**
 * Jobs of the in-process runner (embedded mode). Kept in the database so that delayed jobs survive a
 * restart; BullMQ keeps its own in Redis.
 */
export const localJobs = pgTable(
  'local_jobs',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    runAt: timestamp('run_at', { withTimezone: true }).notNull(),
    status: text('status', { enum: ['pending', 'running', 'done', 'failed'] }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(5),
    backoffMs: integer('backoff_ms').notNull().default(1000),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('local_jobs_due_idx').on(t.runAt).where(sql`${t.status} = 'pending'`),
    check('local_jobs_status', sql`${t.status} in ('pending','running','done','failed')`),
  ],
);

/** Operator overrides of the market settings (one row); the environment gives the defaults. */
export const settingsOverrides = pgTable(
  'settings_overrides',
  {
    id: smallint('id').primaryKey(),
    values: jsonb('values').$type<Record<string, unknown>>().notNull(),
    clockOffsetMs: bigint('clock_offset_ms', { mode: 'number' }).notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    updatedBy: text('updated_by'),
  },
  (t) => [check('settings_one_row', sql`${t.id} = 1`)],
);

/**
 * Idempotency keys: the first response to a key is stored and replayed byte for byte. `scope` is the
 * caller (user id or partner key id), so two callers may use the same key.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    status: text('status', { enum: ['pending', 'done'] }).notNull(),
    responseStatus: integer('response_status'),
    responseBody: text('response_body'),
    responseContentType: text('response_content_type'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), check('idempotency_status', sql`${t.status} in ('pending','done')`)],
);

/** Signatures already accepted (partner API, custodian callbacks), kept past the timestamp window. */
export const signatureNonces = pgTable('signature_nonces', {
  signature: text('signature').primaryKey(),
  keyId: text('key_id').notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
});

/**
 * The server's secret key when LENDBOOK_SECRET_KEY is not set (embedded default): generated once by
 * the first node. Production sets the variable so that a copy of the database alone reveals nothing.
 */
export const serverKeys = pgTable(
  'server_keys',
  {
    id: smallint('id').primaryKey(),
    keyMaterial: text('key_material').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check('server_keys_one_row', sql`${t.id} = 1`)],
);
