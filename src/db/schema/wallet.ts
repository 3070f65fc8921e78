import { sql } from 'drizzle-orm';
import { bigint, check, index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Deposits and withdrawals as instructions to the custodian bank. The simulated custodian completes
 * them at once; a real one answers later with a signed callback. A withdrawal holds the money (a pending
 * transfer to custody) until the custodian confirms (post) or refuses (void).
 */
export const custodianInstructions = pgTable(
  'custodian_instructions',
  {
    id: text('id').primaryKey(),
    /** Whose wallet: a user, or a core enterprise or partner (their custodian accounts). */
    userId: text('user_id').notNull(),
    kind: text('kind', { enum: ['deposit', 'withdrawal'] }).notNull(),
    amountMinor: bigint('amount_minor', { mode: 'number' }).notNull(),
    status: text('status', { enum: ['pending', 'completed', 'failed'] }).notNull(),
    /** The withdrawal's hold, or the deposit's transfer once completed. */
    transferId: text('transfer_id'),
    externalRef: text('external_ref'),
    failureReason: text('failure_reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [
    index('custodian_instructions_user_idx').on(t.userId, t.createdAt),
    check('custodian_instructions_amount', sql`${t.amountMinor} > 0`),
    check('custodian_instructions_kind', sql`${t.kind} in ('deposit','withdrawal')`),
    check('custodian_instructions_status', sql`${t.status} in ('pending','completed','failed')`),
  ],
);
