import { sql } from 'drizzle-orm';
import { bigint, boolean, check, date, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { users } from './identity.js';
import { merchants } from './merchants.js';

export const LISTING_STATUSES = ['open', 'cleared', 'failed', 'withdrawn'] as const;

/**
 * A listing and its live book summary. The row is the lock every command on the listing takes first
 * (SELECT … FOR UPDATE); `seq` is the listing's own event counter: each event on `listing:<id>` takes
 * the next one, and a bid's priority is the seq of the event that gave it its rate.
 */
export const listings = pgTable(
  'listings',
  {
    id: text('id').primaryKey(),
    borrowerUserId: text('borrower_user_id')
      .notNull()
      .references(() => users.id),
    merchantId: text('merchant_id')
      .notNull()
      .references(() => merchants.id),
    title: text('title').notNull(),
    purpose: text('purpose').notNull(),
    amountMinor: bigint('amount_minor', { mode: 'number' }).notNull(),
    /** Months; null for a claim-backed listing, which matures on a date instead. */
    termMonths: integer('term_months'),
    maxRateBps: integer('max_rate_bps').notNull(),
    repayment: text('repayment', { enum: ['equal_installment', 'equal_principal', 'interest_only', 'bullet'] }).notNull(),
    product: text('product', { enum: ['credit', 'order', 'warehouse_receipt', 'claim'] }).notNull(),
    pricing: text('pricing', { enum: ['uniform', 'pay_as_bid'] }).notNull(),
    minFundingPct: integer('min_funding_pct').notNull(),
    closeWhenFunded: boolean('close_when_funded').notNull(),
    grade: text('grade').notNull(),
    score: integer('score').notNull(),
    expectedLossBps: integer('expected_loss_bps').notNull(),
    ratingId: text('rating_id').notNull(),
    /** Reasons of the rating as shown to lenders (codes and texts). */
    ratingReasons: jsonb('rating_reasons').$type<{ code: string; text: string; textZh?: string }[]>().notNull(),
    status: text('status', { enum: LISTING_STATUSES }).notNull(),
    seq: integer('seq').notNull().default(0),
    endsAt: timestamp('ends_at', { withTimezone: true, precision: 3 }).notNull(),
    originalEndsAt: timestamp('original_ends_at', { withTimezone: true, precision: 3 }).notNull(),
    /** Bumped whenever endsAt moves: the close job's id carries it. */
    endsAtVersion: integer('ends_at_version').notNull().default(1),
    coverageMinor: bigint('coverage_minor', { mode: 'number' }).notNull().default(0),
    currentRateBps: integer('current_rate_bps').notNull(),
    fundedPct: integer('funded_pct').notNull().default(0),
    bidCount: integer('bid_count').notNull().default(0),
    /** Collateral value and limit at listing time (order financing, warehouse receipts). */
    collateralValueMinor: bigint('collateral_value_minor', { mode: 'number' }),
    collateralLimitMinor: bigint('collateral_limit_minor', { mode: 'number' }),
    receiptId: text('receipt_id'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
    closedAt: timestamp('closed_at', { withTimezone: true, precision: 3 }),
    loanId: text('loan_id'),
    /** A claim-backed listing: the bullet's maturity, the core enterprise whose grade it carries, and the borrower's own grade. */
    maturesOn: date('matures_on', { mode: 'string' }),
    coreEnterpriseId: text('core_enterprise_id'),
    borrowerGrade: text('borrower_grade'),
  },
  (t) => [
    index('listings_status_ends_idx').on(t.status, t.endsAt),
    index('listings_borrower_idx').on(t.borrowerUserId),
    uniqueIndex('listings_one_open_per_borrower').on(t.borrowerUserId).where(sql`${t.status} = 'open'`),
    check('listings_amount', sql`${t.amountMinor} >= 100000 and ${t.amountMinor} % 100 = 0`),
    check('listings_term', sql`${t.termMonths} in (1,2,3,6,9,12,18,24,36)`),
    check(
      'listings_claim_terms',
      sql`(${t.product} = 'claim') = (${t.maturesOn} is not null) and (${t.product} = 'claim') = (${t.termMonths} is null)
          and (${t.product} = 'claim') = (${t.repayment} = 'bullet') and (${t.product} = 'claim') = (${t.coreEnterpriseId} is not null)`,
    ),
    check('listings_rate', sql`${t.maxRateBps} >= 1`),
    check('listings_min_funding', sql`${t.minFundingPct} between 50 and 100`),
    check('listings_status', sql`${t.status} in ('open','cleared','failed','withdrawn')`),
    check('listings_coverage', sql`${t.coverageMinor} >= 0`),
    check('listings_seq', sql`${t.seq} >= 0`),
  ],
);

export const BID_STATUSES = ['active', 'outbid', 'filled', 'released'] as const;

/**
 * A bid is firm: its amount never changes, its rate can only go down. Its hold is the ledger's pending
 * transfer `holdId` (lender wallet → borrower wallet), posted for the fill at clearing or voided.
 */
export const bids = pgTable(
  'bids',
  {
    id: text('id').primaryKey(),
    listingId: text('listing_id')
      .notNull()
      .references(() => listings.id),
    lenderId: text('lender_id')
      .notNull()
      .references(() => users.id),
    amountMinor: bigint('amount_minor', { mode: 'number' }).notNull(),
    /** What the lender asked for; more than amountMinor only when close-when-funded trimmed the bid. */
    requestedAmountMinor: bigint('requested_amount_minor', { mode: 'number' }).notNull(),
    rateBps: integer('rate_bps').notNull(),
    priority: integer('priority').notNull(),
    status: text('status', { enum: BID_STATUSES }).notNull(),
    fillMinor: bigint('fill_minor', { mode: 'number' }).notNull().default(0),
    holdId: text('hold_id').notNull(),
    /** The client's id for the request (WebSocket `ref`, or the Idempotency-Key): one bid per lender and ref. */
    clientRef: text('client_ref'),
    /** Placed by the lender (`manual`) or by its standing order (`autobid`, docs/autobid.md). */
    source: text('source', { enum: ['manual', 'autobid'] }).notNull().default('manual'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [
    index('bids_listing_idx').on(t.listingId, t.status),
    index('bids_lender_idx').on(t.lenderId, t.createdAt),
    uniqueIndex('bids_one_active_per_lender').on(t.listingId, t.lenderId).where(sql`${t.status} = 'active'`),
    uniqueIndex('bids_client_ref_unique').on(t.lenderId, t.clientRef),
    uniqueIndex('bids_priority_unique').on(t.listingId, t.priority),
    check('bids_amount', sql`${t.amountMinor} > 0 and ${t.amountMinor} <= ${t.requestedAmountMinor}`),
    check('bids_rate', sql`${t.rateBps} >= 1`),
    check('bids_fill', sql`${t.fillMinor} >= 0 and ${t.fillMinor} <= ${t.amountMinor}`),
    check('bids_status', sql`${t.status} in ('active','outbid','filled','released')`),
    check('bids_source', sql`${t.source} in ('manual','autobid')`),
    index('bids_autobid_lender_idx').on(t.lenderId, t.createdAt).where(sql`${t.source} = 'autobid'`),
  ],
);
