import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, check, date, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { partners } from './identity.js';

export const LEGAL_FORMS = ['legal_person', 'natural_person'] as const;
export const ORDER_STATUSES = ['paid', 'shipped', 'delivered', 'settled', 'refunded', 'disputed'] as const;

/** A merchant of the e-commerce platform, as its order system describes it. */
export const merchants = pgTable(
  'merchants',
  {
    id: text('id').primaryKey(),
    partnerId: text('partner_id')
      .notNull()
      .references(() => partners.id),
    ref: text('ref').notNull(),
    name: text('name').notNull(),
    legalForm: text('legal_form', { enum: LEGAL_FORMS }).notNull(),
    openedAt: date('opened_at', { mode: 'string' }).notNull(),
    category: text('category').notNull(),
    /** Marked by operators: a party related to the platform (disclosed as related-party lending). */
    relatedParty: boolean('related_party').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('merchants_partner_ref_unique').on(t.partnerId, t.ref), check('merchants_legal_form', sql`${t.legalForm} in ('legal_person','natural_person')`)],
);

/**
 * Orders, upserted by the order system in batches (idempotent by order id). A pledged order is locked
 * to one listing, then to its loan (`pledged_listing_id` stays; the listing leads to the loan).
 */
export const orders = pgTable(
  'orders',
  {
    merchantId: text('merchant_id')
      .notNull()
      .references(() => merchants.id),
    orderId: text('order_id').notNull(),
    amountMinor: bigint('amount_minor', { mode: 'number' }).notNull(),
    status: text('status', { enum: ORDER_STATUSES }).notNull(),
    placedAt: timestamp('placed_at', { withTimezone: true }).notNull(),
    settledAt: timestamp('settled_at', { withTimezone: true }),
    statusChangedAt: timestamp('status_changed_at', { withTimezone: true }).notNull(),
    pledgedListingId: text('pledged_listing_id'),
    /** Proceeds of a settled pledged order already swept into repayment (once). */
    sweptAt: timestamp('swept_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.merchantId, t.orderId] }),
    index('orders_merchant_placed_idx').on(t.merchantId, t.placedAt),
    index('orders_pledged_idx').on(t.pledgedListingId),
    check('orders_amount', sql`${t.amountMinor} >= 0`),
    check('orders_status', sql`${t.status} in ('paid','shipped','delivered','settled','refunded','disputed')`),
  ],
);

export const orderStatusHistory = pgTable(
  'order_status_history',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    merchantId: text('merchant_id').notNull(),
    orderId: text('order_id').notNull(),
    fromStatus: text('from_status'),
    toStatus: text('to_status').notNull(),
    changedAt: timestamp('changed_at', { withTimezone: true }).notNull(),
    pledgedListingId: text('pledged_listing_id'),
  },
  (t) => [index('order_status_history_order_idx').on(t.merchantId, t.orderId)],
);

/** Invite codes the order system issues so a merchant can open its borrower account. */
export const merchantInvites = pgTable(
  'merchant_invites',
  {
    code: text('code').primaryKey(),
    merchantId: text('merchant_id')
      .notNull()
      .references(() => merchants.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    usedBy: text('used_by'),
  },
  (t) => [index('merchant_invites_merchant_idx').on(t.merchantId)],
);

/** Warehouse receipts (仓单): one receipt backs one listing at most, locked while its loan is outstanding. */
export const warehouseReceipts = pgTable(
  'warehouse_receipts',
  {
    id: text('id').primaryKey(),
    partnerId: text('partner_id')
      .notNull()
      .references(() => partners.id),
    receiptId: text('receipt_id').notNull(),
    merchantId: text('merchant_id')
      .notNull()
      .references(() => merchants.id),
    goods: text('goods').notNull(),
    quantity: integer('quantity').notNull(),
    valueMinor: bigint('value_minor', { mode: 'number' }).notNull(),
    pledgedListingId: text('pledged_listing_id'),
    releasedAt: timestamp('released_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('warehouse_receipts_partner_receipt_unique').on(t.partnerId, t.receiptId),
    check('warehouse_receipts_value', sql`${t.valueMinor} > 0`),
    check('warehouse_receipts_quantity', sql`${t.quantity} > 0`),
  ],
);

/** A rating with the inputs it was computed from and the scorecard version: reproducible and auditable. */
export const ratings = pgTable(
  'ratings',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id')
      .notNull()
      .references(() => merchants.id),
    version: text('version').notNull(),
    asOf: date('as_of', { mode: 'string' }).notNull(),
    score: integer('score').notNull(),
    grade: text('grade').notNull(),
    probabilityOfDefaultBps: integer('probability_of_default_bps').notNull(),
    monthsActive: integer('months_active').notNull(),
    avgMonthlyGmvMinor: bigint('avg_monthly_gmv_minor', { mode: 'number' }).notNull(),
    inputs: jsonb('inputs').$type<Record<string, unknown>>().notNull(),
    result: jsonb('result').$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('ratings_merchant_idx').on(t.merchantId, t.createdAt),
    check('ratings_score', sql`${t.score} between 0 and 1000`),
    check('ratings_grade', sql`${t.grade} in ('AA','A','B','C','D','E','HR')`),
  ],
);
