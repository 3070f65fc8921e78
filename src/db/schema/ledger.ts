import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

export const ACCOUNT_KINDS = ['custody', 'wallet', 'platform_fees'] as const;
export type AccountKind = (typeof ACCOUNT_KINDS)[number];

/**
 * Ledger accounts, TigerBeetle's model: four running sums, changed only by transfers. A wallet may never
 * go below zero counting pending debits; the CHECK makes the database refuse it even if code did not.
 */
export const ledgerAccounts = pgTable(
  'ledger_accounts',
  {
    id: text('id').primaryKey(),
    kind: text('kind', { enum: ACCOUNT_KINDS }).notNull(),
    /** A wallet's owner: a user, or a core enterprise or partner (their custodian accounts). */
    ownerUserId: text('owner_user_id'),
    currency: text('currency').notNull().default('CNY'),
    debitsMustNotExceedCredits: boolean('debits_must_not_exceed_credits').notNull(),
    debitsPendingMinor: bigint('debits_pending_minor', { mode: 'number' }).notNull().default(0),
    debitsPostedMinor: bigint('debits_posted_minor', { mode: 'number' }).notNull().default(0),
    creditsPendingMinor: bigint('credits_pending_minor', { mode: 'number' }).notNull().default(0),
    creditsPostedMinor: bigint('credits_posted_minor', { mode: 'number' }).notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('ledger_accounts_owner_unique').on(t.ownerUserId, t.kind),
    check('ledger_accounts_kind', sql`${t.kind} in ('custody','wallet','platform_fees')`),
    check('ledger_accounts_currency', sql`${t.currency} = 'CNY'`),
    check(
      'ledger_accounts_sums_nonneg',
      sql`${t.debitsPendingMinor} >= 0 and ${t.debitsPostedMinor} >= 0 and ${t.creditsPendingMinor} >= 0 and ${t.creditsPostedMinor} >= 0`,
    ),
    check(
      'ledger_accounts_no_overdraft',
      sql`not ${t.debitsMustNotExceedCredits} or ${t.debitsPostedMinor} + ${t.debitsPendingMinor} <= ${t.creditsPostedMinor}`,
    ),
    check('ledger_accounts_wallet_owner', sql`(${t.kind} = 'wallet') = (${t.ownerUserId} is not null)`),
    check('ledger_accounts_wallet_guarded', sql`${t.kind} <> 'wallet' or ${t.debitsMustNotExceedCredits}`),
  ],
);

export const TRANSFER_PHASES = ['single', 'pending', 'post', 'void'] as const;
export type TransferPhase = (typeof TRANSFER_PHASES)[number];

/**
 * Transfers are append-only. The id is the idempotency key. A hold is a `pending` transfer; it is
 * resolved once, by one `post` (for at most its amount; the rest is released) or one `void` transfer
 * whose `pending_id` points at it — the unique index makes a second resolution impossible.
 */
export const ledgerTransfers = pgTable(
  'ledger_transfers',
  {
    id: text('id').primaryKey(),
    debitAccountId: text('debit_account_id')
      .notNull()
      .references(() => ledgerAccounts.id),
    creditAccountId: text('credit_account_id')
      .notNull()
      .references(() => ledgerAccounts.id),
    amountMinor: bigint('amount_minor', { mode: 'number' }).notNull(),
    phase: text('phase', { enum: TRANSFER_PHASES }).notNull(),
    pendingId: text('pending_id'),
    kind: text('kind').notNull(),
    reference: text('reference'),
    currency: text('currency').notNull().default('CNY'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('ledger_transfers_resolves_once').on(t.pendingId),
    index('ledger_transfers_debit_idx').on(t.debitAccountId, t.createdAt),
    index('ledger_transfers_credit_idx').on(t.creditAccountId, t.createdAt),
    index('ledger_transfers_reference_idx').on(t.reference),
    check('ledger_transfers_amount', sql`${t.amountMinor} >= 0`),
    check('ledger_transfers_distinct_accounts', sql`${t.debitAccountId} <> ${t.creditAccountId}`),
    check('ledger_transfers_phase', sql`${t.phase} in ('single','pending','post','void')`),
    check('ledger_transfers_pending_ref', sql`(${t.phase} in ('post','void')) = (${t.pendingId} is not null)`),
    check('ledger_transfers_positive_unless_resolution', sql`${t.phase} in ('post','void') or ${t.amountMinor} > 0`),
  ],
);
