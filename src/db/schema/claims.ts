import { sql } from 'drizzle-orm';
import { bigint, check, date, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { partners } from './identity.js';
import { merchants } from './merchants.js';

/**
 * A core enterprise (核心企业): a large buyer of the order system whose promise to pay is worth more than
 * its small suppliers' own credit. Registered by operators under the partner whose merchants are its
 * suppliers, with an outside grade and an issuance limit. Its signed key is a partner key of kind
 * `core`; its custodian wallet is the ledger wallet owned by its id.
 */
export const coreEnterprises = pgTable(
  'core_enterprises',
  {
    id: text('id').primaryKey(),
    partnerId: text('partner_id')
      .notNull()
      .references(() => partners.id),
    name: text('name').notNull(),
    legalForm: text('legal_form', { enum: ['legal_person', 'natural_person'] }).notNull(),
    grade: text('grade').notNull(),
    /** The most its unpaid claims may add up to. */
    limitMinor: bigint('limit_minor', { mode: 'number' }).notNull(),
    createdBy: text('created_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('core_enterprises_partner_idx').on(t.partnerId),
    check('core_enterprises_grade', sql`${t.grade} in ('AA','A','B','C','D','E','HR')`),
    check('core_enterprises_limit', sql`${t.limitMinor} > 0`),
    check('core_enterprises_legal_form', sql`${t.legalForm} in ('legal_person','natural_person')`),
  ],
);

/**
 * A payable the core enterprise confirmed to one of its suppliers: the sum of its claims, always. Issued
 * once per `payableRef` (the core enterprise's own reference); settled once, on or after its due date.
 */
export const payables = pgTable(
  'payables',
  {
    id: text('id').primaryKey(),
    coreEnterpriseId: text('core_enterprise_id')
      .notNull()
      .references(() => coreEnterprises.id),
    payableRef: text('payable_ref').notNull(),
    supplierMerchantId: text('supplier_merchant_id')
      .notNull()
      .references(() => merchants.id),
    amountMinor: bigint('amount_minor', { mode: 'number' }).notNull(),
    dueDate: date('due_date', { mode: 'string' }).notNull(),
    /** The orders the payable pays for, as the core enterprise named them (information only). */
    orderIds: jsonb('order_ids').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    status: text('status', { enum: ['outstanding', 'settled'] }).notNull(),
    issuedAt: timestamp('issued_at', { withTimezone: true, precision: 3 }).notNull(),
    settledAt: timestamp('settled_at', { withTimezone: true, precision: 3 }),
    settledOn: date('settled_on', { mode: 'string' }),
  },
  (t) => [
    uniqueIndex('payables_core_ref_unique').on(t.coreEnterpriseId, t.payableRef),
    index('payables_core_status_idx').on(t.coreEnterpriseId, t.status),
    check('payables_amount', sql`${t.amountMinor} > 0`),
    check('payables_status', sql`${t.status} in ('outstanding','settled')`),
    check('payables_settled', sql`(${t.status} = 'settled') = (${t.settledAt} is not null and ${t.settledOn} is not null)`),
  ],
);

/**
 * A claim (`clm_…`): the right to be paid `amountMinor` of a payable on its due date. Assigning part of
 * it shrinks it and creates a child claim one tier down; the row stays (at zero when all of it was
 * passed on) so that every chain can be shown. `chain` is the holders from tier 1 to this one. A claim
 * pledged to a listing stays pledged while the listing's loan is outstanding.
 */
export const claims = pgTable(
  'claims',
  {
    id: text('id').primaryKey(),
    payableId: text('payable_id')
      .notNull()
      .references(() => payables.id),
    coreEnterpriseId: text('core_enterprise_id')
      .notNull()
      .references(() => coreEnterprises.id),
    holderMerchantId: text('holder_merchant_id')
      .notNull()
      .references(() => merchants.id),
    parentId: text('parent_id'),
    tier: integer('tier').notNull(),
    /** What the holder holds now. */
    amountMinor: bigint('amount_minor', { mode: 'number' }).notNull(),
    /** What it was given when the claim was made. */
    originalAmountMinor: bigint('original_amount_minor', { mode: 'number' }).notNull(),
    chain: jsonb('chain').$type<string[]>().notNull(),
    pledgedListingId: text('pledged_listing_id'),
    /** At settlement: what went to the loan it backed, and what to its holder. */
    toLoanMinor: bigint('to_loan_minor', { mode: 'number' }),
    toHolderMinor: bigint('to_holder_minor', { mode: 'number' }),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [
    index('claims_payable_idx').on(t.payableId),
    index('claims_holder_idx').on(t.holderMerchantId),
    index('claims_parent_idx').on(t.parentId),
    index('claims_pledged_idx').on(t.pledgedListingId),
    check('claims_amount', sql`${t.amountMinor} >= 0 and ${t.amountMinor} <= ${t.originalAmountMinor} and ${t.originalAmountMinor} > 0`),
    check('claims_tier', sql`${t.tier} >= 1 and (${t.tier} = 1) = (${t.parentId} is null)`),
    check('claims_settlement', sql`(${t.toLoanMinor} is null) = (${t.toHolderMinor} is null) and (${t.toLoanMinor} is null or (${t.toLoanMinor} >= 0 and ${t.toHolderMinor} >= 0 and ${t.toLoanMinor} + ${t.toHolderMinor} = ${t.amountMinor}))`),
  ],
);

/**
 * An order's proceeds paid in by its order system (once per order): what went into the loan the order
 * backed and what to the merchant.
 */
export const orderProceeds = pgTable(
  'order_proceeds',
  {
    merchantId: text('merchant_id')
      .notNull()
      .references(() => merchants.id),
    orderId: text('order_id').notNull(),
    partnerId: text('partner_id')
      .notNull()
      .references(() => partners.id),
    amountMinor: bigint('amount_minor', { mode: 'number' }).notNull(),
    toLoanMinor: bigint('to_loan_minor', { mode: 'number' }).notNull(),
    toMerchantMinor: bigint('to_merchant_minor', { mode: 'number' }).notNull(),
    loanId: text('loan_id'),
    repaymentId: text('repayment_id'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.merchantId, t.orderId] }),
    index('order_proceeds_loan_idx').on(t.loanId),
    check('order_proceeds_amounts', sql`${t.amountMinor} > 0 and ${t.toLoanMinor} >= 0 and ${t.toMerchantMinor} >= 0 and ${t.toLoanMinor} + ${t.toMerchantMinor} = ${t.amountMinor}`),
    check('order_proceeds_loan', sql`${t.toLoanMinor} = 0 or (${t.loanId} is not null and ${t.repaymentId} is not null)`),
  ],
);
