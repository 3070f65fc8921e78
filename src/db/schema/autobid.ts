import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { users } from './identity.js';
import { bids, listings } from './market.js';

/**
 * A lender's standing order (docs/autobid.md): one row per lender, the whole strategy replaced on each
 * save. Grades absent from `minRateBpsByGrade` are never bid on; null filters match every term/product.
 */
export const autobidStrategies = pgTable(
  'autobid_strategies',
  {
    lenderId: text('lender_id')
      .primaryKey()
      .references(() => users.id),
    enabled: boolean('enabled').notNull(),
    amountPerListingMinor: bigint('amount_per_listing_minor', { mode: 'number' }).notNull(),
    maxPerBorrowerMinor: bigint('max_per_borrower_minor', { mode: 'number' }).notNull(),
    budgetMinor: bigint('budget_minor', { mode: 'number' }).notNull(),
    reserveMinor: bigint('reserve_minor', { mode: 'number' }).notNull(),
    minRateBpsByGrade: jsonb('min_rate_bps_by_grade').$type<Record<string, number>>().notNull(),
    termsMonths: jsonb('terms_months').$type<number[] | null>(),
    products: jsonb('products').$type<string[] | null>(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [
    index('autobid_strategies_enabled_idx').on(t.enabled),
    check('autobid_amounts', sql`${t.amountPerListingMinor} > 0 and ${t.maxPerBorrowerMinor} >= 0 and ${t.budgetMinor} >= 0 and ${t.reserveMinor} >= 0`),
  ],
);

/**
 * A listing's autobid pass at its opening: the row is written in the transaction that writes the pass's
 * bids, so a listing has one pass whatever crashes, retries or nodes run its opening job.
 */
export const autobidPasses = pgTable('autobid_passes', {
  listingId: text('listing_id')
    .primaryKey()
    .references(() => listings.id),
  at: timestamp('at', { withTimezone: true, precision: 3 }).notNull(),
  matched: integer('matched').notNull(),
  placed: integer('placed').notNull(),
  placedMinor: bigint('placed_minor', { mode: 'number' }).notNull(),
});

/** What autobid did for a lender on a listing: a bid placed, or the reason code it was skipped. */
export const autobidLog = pgTable(
  'autobid_log',
  {
    id: text('id').primaryKey(),
    lenderId: text('lender_id')
      .notNull()
      .references(() => users.id),
    listingId: text('listing_id')
      .notNull()
      .references(() => listings.id),
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull(),
    outcome: text('outcome', { enum: ['placed', 'skipped'] }).notNull(),
    /** `opening` (the listing's pass) or `saved` (the strategy was saved enabled). */
    trigger: text('trigger', { enum: ['opening', 'saved'] }).notNull(),
    bidId: text('bid_id').references(() => bids.id),
    code: text('code'),
    amountMinor: bigint('amount_minor', { mode: 'number' }),
    rateBps: integer('rate_bps'),
  },
  (t) => [
    index('autobid_log_lender_idx').on(t.lenderId, t.id),
    check('autobid_log_outcome', sql`(${t.outcome} = 'placed') = (${t.bidId} is not null) and (${t.outcome} = 'skipped') = (${t.code} is not null)`),
  ],
);
