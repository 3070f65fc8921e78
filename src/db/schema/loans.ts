import { sql } from 'drizzle-orm';
import { bigint, boolean, check, date, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { users } from './identity.js';
import { listings, bids } from './market.js';
import { merchants } from './merchants.js';

/**
 * A loan created by clearing a listing. Loan-level servicing fields are kept here for queries; the
 * figures per installment live with each note. Everything is re-derivable by replaying the schedule
 * and the payments (src/domain/servicing/replay.ts).
 */
export const loans = pgTable(
  'loans',
  {
    id: text('id').primaryKey(),
    listingId: text('listing_id')
      .notNull()
      .references(() => listings.id),
    borrowerUserId: text('borrower_user_id')
      .notNull()
      .references(() => users.id),
    merchantId: text('merchant_id')
      .notNull()
      .references(() => merchants.id),
    principalMinor: bigint('principal_minor', { mode: 'number' }).notNull(),
    /** The borrower's rate: the uniform rate, or the fill-weighted mean under pay-as-bid. */
    rateBps: integer('rate_bps').notNull(),
    /** Months; null for a bullet, which has `maturesOn`. */
    termMonths: integer('term_months'),
    repayment: text('repayment', { enum: ['equal_installment', 'equal_principal', 'interest_only', 'bullet'] }).notNull(),
    pricing: text('pricing', { enum: ['uniform', 'pay_as_bid'] }).notNull(),
    product: text('product', { enum: ['credit', 'order', 'warehouse_receipt', 'claim'] }).notNull(),
    maturesOn: date('matures_on', { mode: 'string' }),
    grade: text('grade').notNull(),
    feeMinor: bigint('fee_minor', { mode: 'number' }).notNull(),
    disbursedOn: date('disbursed_on', { mode: 'string' }).notNull(),
    status: text('status', { enum: ['active', 'repaid', 'defaulted'] }).notNull(),
    outstandingPrincipalMinor: bigint('outstanding_principal_minor', { mode: 'number' }).notNull(),
    servicedThrough: date('serviced_through', { mode: 'string' }).notNull(),
    daysPastDue: integer('days_past_due').notNull().default(0),
    bucket: text('bucket').notNull().default('current'),
    defaultedOn: date('defaulted_on', { mode: 'string' }),
    nextDueDate: date('next_due_date', { mode: 'string' }),
    /** Last day whose due reminders were sent (the daily job sends them once per day). */
    remindedThrough: date('reminded_through', { mode: 'string' }),
    receiptId: text('receipt_id'),
    /** Each loan-level installment once settled or past due: for the borrower's repayment record. */
    installmentHistory: jsonb('installment_history').$type<{ n: number; dueDate: string; paidOn: string | null; daysLate: number; paidOnTime: boolean }[]>().notNull().default(sql`'[]'::jsonb`),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
    closedAt: timestamp('closed_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [
    uniqueIndex('loans_listing_unique').on(t.listingId),
    index('loans_borrower_idx').on(t.borrowerUserId),
    index('loans_merchant_idx').on(t.merchantId, t.status),
    index('loans_status_idx').on(t.status),
    check('loans_principal', sql`${t.principalMinor} > 0`),
    check('loans_outstanding', sql`${t.outstandingPrincipalMinor} >= 0 and ${t.outstandingPrincipalMinor} <= ${t.principalMinor}`),
    check('loans_fee', sql`${t.feeMinor} >= 0 and ${t.feeMinor} <= ${t.principalMinor}`),
    check('loans_status', sql`${t.status} in ('active','repaid','defaulted')`),
    check('loans_bullet', sql`(${t.repayment} = 'bullet') = (${t.maturesOn} is not null) and (${t.repayment} = 'bullet') = (${t.termMonths} is null)`),
  ],
);

/**
 * A note: one per winning bid at clearing, and one per purchase on the secondary market (docs/transfers.md:
 * the buyer's note is split from the seller's). Its own principal, rate and schedule; what it has
 * received so far. `principal_minor` is what the note carries now: what it lent (or bought) less what
 * was sold out of it (`sold_principal_minor`), so that Σ notes = loan principal holds through transfers.
 */
export const loanNotes = pgTable(
  'loan_notes',
  {
    id: text('id').primaryKey(),
    loanId: text('loan_id')
      .notNull()
      .references(() => loans.id),
    /** The winning bid it came from; null for a note bought from another lender. */
    bidId: text('bid_id').references(() => bids.id),
    lenderId: text('lender_id')
      .notNull()
      .references(() => users.id),
    principalMinor: bigint('principal_minor', { mode: 'number' }).notNull(),
    rateBps: integer('rate_bps').notNull(),
    status: text('status', { enum: ['active', 'repaid', 'defaulted', 'sold'] }).notNull(),
    outstandingPrincipalMinor: bigint('outstanding_principal_minor', { mode: 'number' }).notNull(),
    receivedPrincipalMinor: bigint('received_principal_minor', { mode: 'number' }).notNull().default(0),
    receivedInterestMinor: bigint('received_interest_minor', { mode: 'number' }).notNull().default(0),
    receivedPenaltyMinor: bigint('received_penalty_minor', { mode: 'number' }).notNull().default(0),
    /** Prepayment fees received on principal repaid ahead of schedule (docs/market-rules.md §6). */
    receivedPrepaymentFeeMinor: bigint('received_prepayment_fee_minor', { mode: 'number' }).notNull().default(0),
    /** The note's installments (servicing state): due and paid per part. */
    installments: jsonb('installments').$type<unknown[]>().notNull(),
    /** How its holder got it: the auction, or a purchase from another lender. */
    acquiredVia: text('acquired_via', { enum: ['auction', 'transfer'] }).notNull().default('auction'),
    /** The note it was split from (bought notes). */
    sourceNoteId: text('source_note_id'),
    /** Principal sold out of this note to other lenders, in total. */
    soldPrincipalMinor: bigint('sold_principal_minor', { mode: 'number' }).notNull().default(0),
    /** All the principal it had left was sold (it is `sold` once it owes its holder nothing more). */
    soldOut: boolean('sold_out').notNull().default(false),
    /** When its holder acquired it: the clearing, or the purchase. */
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [
    index('loan_notes_loan_idx').on(t.loanId),
    index('loan_notes_lender_idx').on(t.lenderId),
    uniqueIndex('loan_notes_bid_unique').on(t.bidId),
    check('loan_notes_principal', sql`${t.principalMinor} >= 0 and ${t.principalMinor} + ${t.soldPrincipalMinor} > 0 and ${t.soldPrincipalMinor} >= 0`),
    check('loan_notes_outstanding', sql`${t.outstandingPrincipalMinor} >= 0 and ${t.outstandingPrincipalMinor} <= ${t.principalMinor}`),
    check('loan_notes_received', sql`${t.receivedPrincipalMinor} >= 0 and ${t.receivedInterestMinor} >= 0 and ${t.receivedPenaltyMinor} >= 0 and ${t.receivedPrepaymentFeeMinor} >= 0`),
    check('loan_notes_principal_balance', sql`${t.receivedPrincipalMinor} + ${t.outstandingPrincipalMinor} = ${t.principalMinor}`),
    check('loan_notes_status', sql`${t.status} in ('active','repaid','defaulted','sold') and (${t.status} <> 'sold' or ${t.soldOut})`),
    check(
      'loan_notes_origin',
      sql`(${t.acquiredVia} = 'auction' and ${t.bidId} is not null and ${t.sourceNoteId} is null) or (${t.acquiredVia} = 'transfer' and ${t.bidId} is null and ${t.sourceNoteId} is not null)`,
    ),
  ],
);

/** Every payment into a loan, with how it was split (over installments, parts and notes). */
export const repayments = pgTable(
  'repayments',
  {
    id: text('id').primaryKey(),
    loanId: text('loan_id')
      .notNull()
      .references(() => loans.id),
    amountMinor: bigint('amount_minor', { mode: 'number' }).notNull(),
    /** The parts of the amount, summed over installments and notes (the breakdown has the detail). */
    principalMinor: bigint('principal_minor', { mode: 'number' }).notNull(),
    interestMinor: bigint('interest_minor', { mode: 'number' }).notNull(),
    penaltyMinor: bigint('penalty_minor', { mode: 'number' }).notNull(),
    /** The fee on principal this payment prepaid, paid to the note holders. */
    prepaymentFeeMinor: bigint('prepayment_fee_minor', { mode: 'number' }).notNull().default(0),
    paidOn: date('paid_on', { mode: 'string' }).notNull(),
    /**
     * Who paid: the borrower's wallet, a settled pledged order swept from it, proceeds from outside (a
     * collateral sale), a core enterprise settling the payable whose claim backs the loan, or an order
     * system paying in a pledged order's proceeds.
     */
    source: text('source', { enum: ['borrower', 'order_sweep', 'recovery', 'payable_settlement', 'order_proceeds', 'guarantor'] }).notNull(),
    /**
     * The part of the amount that went to the guarantor (its subrogated claim, shared pro rata with the
     * note holders after it paid); the rest went to the notes.
     */
    guarantorShareMinor: bigint('guarantor_share_minor', { mode: 'number' }).notNull().default(0),
    /** True when the loan had defaulted before this payment: a recovery split pro rata. */
    afterDefault: boolean('after_default').notNull().default(false),
    breakdown: jsonb('breakdown').$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [
    index('repayments_loan_idx').on(t.loanId, t.createdAt),
    index('repayments_paid_on_idx').on(t.paidOn),
    check('repayments_amount', sql`${t.amountMinor} > 0 and ${t.guarantorShareMinor} >= 0`),
    check('repayments_parts', sql`${t.principalMinor} >= 0 and ${t.interestMinor} >= 0 and ${t.penaltyMinor} >= 0 and ${t.prepaymentFeeMinor} >= 0 and ${t.principalMinor} + ${t.interestMinor} + ${t.penaltyMinor} + ${t.prepaymentFeeMinor} + ${t.guarantorShareMinor} = ${t.amountMinor}`),
    check('repayments_source', sql`${t.source} in ('borrower','order_sweep','recovery','payable_settlement','order_proceeds','guarantor')`),
  ],
);
