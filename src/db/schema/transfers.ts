import { sql } from 'drizzle-orm';
import { bigint, boolean, check, date, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { users } from './identity.js';
import { listings } from './market.js';
import { loanNotes, loans } from './loans.js';

export const OFFER_STATUSES = ['open', 'filled', 'cancelled', 'expired'] as const;
export type OfferStatus = (typeof OFFER_STATUSES)[number];

/**
 * An offer to sell part or all of a note (docs/transfers.md), firm until bought, cancelled, expired or ended
 * by the platform. Commands on an offer lock its loan row first, then the offer row. The market figures
 * (accrued, months left, yield) are the quote as of `quoted_on`, refreshed whenever the offer or its loan
 * changes and every day by the loan's daily step: the list sorts and filters on them; a buy computes its
 * own at the moment of the trade.
 */
export const noteOffers = pgTable(
  'note_offers',
  {
    id: text('id').primaryKey(),
    noteId: text('note_id')
      .notNull()
      .references(() => loanNotes.id),
    loanId: text('loan_id')
      .notNull()
      .references(() => loans.id),
    listingId: text('listing_id')
      .notNull()
      .references(() => listings.id),
    sellerId: text('seller_id')
      .notNull()
      .references(() => users.id),
    grade: text('grade').notNull(),
    rateBps: integer('rate_bps').notNull(),
    repayment: text('repayment', { enum: ['equal_installment', 'equal_principal', 'interest_only', 'bullet'] }).notNull(),
    /** The principal offered when it opened. */
    principalMinor: bigint('principal_minor', { mode: 'number' }).notNull(),
    remainingMinor: bigint('remaining_minor', { mode: 'number' }).notNull(),
    soldMinor: bigint('sold_minor', { mode: 'number' }).notNull().default(0),
    priceBps: integer('price_bps').notNull(),
    /** Offered the note's whole outstanding principal: it follows the note down as the loan is repaid. */
    wholeNote: boolean('whole_note').notNull(),
    status: text('status', { enum: OFFER_STATUSES }).notNull(),
    /** Why it ended: seller, expired, or what the platform saw (past_due, defaulted, …; docs/transfers.md). */
    endReason: text('end_reason'),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
    quotedOn: date('quoted_on', { mode: 'string' }).notNull(),
    accruedMinor: bigint('accrued_minor', { mode: 'number' }).notNull(),
    monthsLeft: integer('months_left').notNull(),
    nextDueDate: date('next_due_date', { mode: 'string' }).notNull(),
    yieldBps: integer('yield_bps').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull(),
    endedAt: timestamp('ended_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [
    uniqueIndex('note_offers_one_open_per_note').on(t.noteId).where(sql`${t.status} = 'open'`),
    index('note_offers_open_yield_idx').on(t.status, t.yieldBps, t.id),
    index('note_offers_loan_idx').on(t.loanId, t.status),
    index('note_offers_seller_idx').on(t.sellerId, t.id),
    index('note_offers_expiry_idx').on(t.status, t.expiresAt),
    check('note_offers_status', sql`${t.status} in ('open','filled','cancelled','expired')`),
    check('note_offers_amounts', sql`${t.principalMinor} > 0 and ${t.remainingMinor} >= 0 and ${t.soldMinor} >= 0 and ${t.remainingMinor} + ${t.soldMinor} <= ${t.principalMinor}`),
    check('note_offers_open_has_remaining', sql`${t.status} <> 'open' or ${t.remainingMinor} > 0`),
    check('note_offers_filled', sql`${t.status} <> 'filled' or (${t.remainingMinor} = 0 and ${t.soldMinor} > 0)`),
    check('note_offers_price', sql`${t.priceBps} between 1 and 20000`),
    check('note_offers_ended', sql`(${t.status} = 'open') = (${t.endedAt} is null)`),
  ],
);

/**
 * One trade: principal of the seller's note bought by another lender into a new note (docs/transfers.md).
 * The buyer paid price + accrued; the seller received price + accrued − fee; the fee went to the
 * platform's fee account. `installments` is the buyer's share of each installment not yet due at the
 * trade (its schedule as bought), for statements.
 */
export const noteTransfers = pgTable(
  'note_transfers',
  {
    id: text('id').primaryKey(),
    offerId: text('offer_id')
      .notNull()
      .references(() => noteOffers.id),
    loanId: text('loan_id')
      .notNull()
      .references(() => loans.id),
    sellerNoteId: text('seller_note_id')
      .notNull()
      .references(() => loanNotes.id),
    buyerNoteId: text('buyer_note_id')
      .notNull()
      .references(() => loanNotes.id),
    sellerId: text('seller_id')
      .notNull()
      .references(() => users.id),
    buyerId: text('buyer_id')
      .notNull()
      .references(() => users.id),
    principalMinor: bigint('principal_minor', { mode: 'number' }).notNull(),
    priceBps: integer('price_bps').notNull(),
    priceMinor: bigint('price_minor', { mode: 'number' }).notNull(),
    accruedMinor: bigint('accrued_minor', { mode: 'number' }).notNull(),
    paidMinor: bigint('paid_minor', { mode: 'number' }).notNull(),
    feeMinor: bigint('fee_minor', { mode: 'number' }).notNull(),
    yieldBps: integer('yield_bps').notNull(),
    tradedOn: date('traded_on', { mode: 'string' }).notNull(),
    installments: jsonb('installments').$type<{ n: number; dueDate: string; principalMinor: number; interestMinor: number }[]>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [
    uniqueIndex('note_transfers_buyer_note_unique').on(t.buyerNoteId),
    index('note_transfers_loan_idx').on(t.loanId, t.createdAt),
    index('note_transfers_seller_idx').on(t.sellerId, t.createdAt),
    index('note_transfers_buyer_idx').on(t.buyerId, t.createdAt),
    index('note_transfers_offer_idx').on(t.offerId),
    check('note_transfers_amounts', sql`${t.principalMinor} > 0 and ${t.priceMinor} > 0 and ${t.accruedMinor} >= 0 and ${t.feeMinor} >= 0 and ${t.feeMinor} <= ${t.priceMinor}`),
    check('note_transfers_paid', sql`${t.paidMinor} = ${t.priceMinor} + ${t.accruedMinor}`),
    check('note_transfers_parties', sql`${t.sellerId} <> ${t.buyerId} and ${t.sellerNoteId} <> ${t.buyerNoteId}`),
  ],
);
