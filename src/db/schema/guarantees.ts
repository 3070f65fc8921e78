import { sql } from 'drizzle-orm';
import { bigint, check, date, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { users } from './identity.js';
import { listings } from './market.js';

/**
 * A guarantor (担保公司): an outside licensed guarantee company registered by operators, with its own user
 * (role `guarantor`) whose custodian wallet it pays from and is paid into. Never the platform: the
 * platform's accounts never stand behind a loan (docs/guarantees.md).
 */
export const guarantors = pgTable(
  'guarantors',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    licenceNo: text('licence_no').notNull(),
    /** Its registered capital: GUARANTOR_LEVERAGE times this bounds the principal it covers. */
    registeredCapitalMinor: bigint('registered_capital_minor', { mode: 'number' }).notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    createdBy: text('created_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('guarantors_licence_unique').on(t.licenceNo),
    uniqueIndex('guarantors_user_unique').on(t.userId),
    check('guarantors_capital', sql`${t.registeredCapitalMinor} > 0`),
  ],
);

export const GUARANTEE_STATUSES = ['pending', 'declined', 'active', 'owed', 'paid', 'ended'] as const;
export type GuaranteeStatus = (typeof GUARANTEE_STATUSES)[number];

/**
 * A guarantee asked for by a listing: pending until its guarantor accepts (the listing opens) or declines;
 * active over the listing and its loan; owed once the loan defaults (what it owes is fixed then, per
 * note); paid once it paid (it then holds a claim on the borrower for what it paid and shares later
 * recoveries); ended when the listing fails or is withdrawn, or the loan is repaid.
 */
export const guarantees = pgTable(
  'guarantees',
  {
    id: text('id').primaryKey(),
    listingId: text('listing_id')
      .notNull()
      .references(() => listings.id),
    guarantorId: text('guarantor_id')
      .notNull()
      .references(() => guarantors.id),
    coveragePct: integer('coverage_pct').notNull(),
    feeBps: integer('fee_bps').notNull(),
    status: text('status', { enum: GUARANTEE_STATUSES }).notNull(),
    loanId: text('loan_id'),
    /** The fee taken from the disbursement into the guarantor's wallet. */
    feeMinor: bigint('fee_minor', { mode: 'number' }).notNull().default(0),
    /** Fixed at default: coverage × each note's claim, to the fen. */
    owedMinor: bigint('owed_minor', { mode: 'number' }).notNull().default(0),
    owedPerNote: jsonb('owed_per_note').$type<{ noteId: string; claimMinor: number; owedMinor: number }[]>(),
    paidMinor: bigint('paid_minor', { mode: 'number' }).notNull().default(0),
    /** Its share of recoveries after it paid (its subrogated claim is paidMinor − recoveredMinor). */
    recoveredMinor: bigint('recovered_minor', { mode: 'number' }).notNull().default(0),
    defaultedOn: date('defaulted_on', { mode: 'string' }),
    payBy: date('pay_by', { mode: 'string' }),
    paidOn: date('paid_on', { mode: 'string' }),
    paymentId: text('payment_id'),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('guarantees_listing_unique').on(t.listingId),
    index('guarantees_guarantor_idx').on(t.guarantorId, t.status),
    index('guarantees_loan_idx').on(t.loanId),
    check('guarantees_status', sql`${t.status} in ('pending','declined','active','owed','paid','ended')`),
    check('guarantees_coverage', sql`${t.coveragePct} between 1 and 100`),
    check('guarantees_fee_bps', sql`${t.feeBps} between 0 and 1000`),
    check(
      'guarantees_amounts',
      sql`${t.feeMinor} >= 0 and ${t.owedMinor} >= 0 and ${t.paidMinor} >= 0 and ${t.paidMinor} <= ${t.owedMinor} and ${t.recoveredMinor} >= 0 and ${t.recoveredMinor} <= ${t.paidMinor}`,
    ),
    check('guarantees_owed', sql`(${t.status} in ('owed','paid')) = (${t.payBy} is not null)`),
    check('guarantees_paid', sql`(${t.status} = 'paid') = (${t.paidOn} is not null)`),
  ],
);
