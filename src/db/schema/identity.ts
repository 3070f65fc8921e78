import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

export const ROLES = ['lender', 'borrower', 'operator', 'partner', 'guarantor'] as const;
export type Role = (typeof ROLES)[number];

export const users = pgTable(
  'users',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull(),
    passwordHash: text('password_hash').notNull(),
    role: text('role', { enum: ROLES }).notNull(),
    displayName: text('display_name').notNull(),
    /** Borrowers: the merchant whose invite code they registered with. */
    merchantId: text('merchant_id'),
    kycStatus: text('kyc_status', { enum: ['none', 'verified'] }).notNull().default('none'),
    legalName: text('legal_name'),
    /** Only the last four characters and a keyed hash of the id number are kept. */
    idNumberLast4: text('id_number_last4'),
    idNumberHash: text('id_number_hash'),
    riskProfile: text('risk_profile', { enum: ['conservative', 'balanced', 'aggressive'] }),
    kycVerifiedAt: timestamp('kyc_verified_at', { withTimezone: true }),
    /** An operator's identity review: confirmed, or rejected (the verification is then withdrawn). */
    kycReview: text('kyc_review', { enum: ['confirmed', 'rejected'] }),
    kycReviewedAt: timestamp('kyc_reviewed_at', { withTimezone: true }),
    /** The language of e-mails and notifications: the app's language when last used. */
    locale: text('locale', { enum: ['zh', 'en'] }).notNull().default('zh'),
    /** Frozen by an operator (with a reason in the audit log): no bids, listings or withdrawals. */
    frozenAt: timestamp('frozen_at', { withTimezone: true }),
    frozenReason: text('frozen_reason'),
    passwordChangedAt: timestamp('password_changed_at', { withTimezone: true }).notNull().defaultNow(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('users_email_unique').on(sql`lower(${t.email})`),
    uniqueIndex('users_merchant_unique').on(t.merchantId),
    // One person, one account of each role: a second verification of the same id number fails here,
    // whatever the concurrency.
    uniqueIndex('users_identity_role_unique').on(t.idNumberHash, t.role).where(sql`${t.idNumberHash} is not null`),
    check('users_role', sql`${t.role} in ('lender','borrower','operator','partner','guarantor')`),
    check('users_kyc', sql`${t.kycStatus} in ('none','verified')`),
    check('users_locale', sql`${t.locale} in ('zh','en')`),
    check('users_frozen_reason', sql`(${t.frozenAt} is null) = (${t.frozenReason} is null)`),
    check('users_kyc_complete', sql`${t.kycStatus} = 'none' or (${t.legalName} is not null and ${t.idNumberHash} is not null and ${t.riskProfile} is not null)`),
    check('users_borrower_merchant', sql`(${t.role} = 'borrower') = (${t.merchantId} is not null)`),
  ],
);

/** Sessions: random tokens stored as SHA-256 hashes; expiring and revocable. */
export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    tokenHash: text('token_hash').notNull().unique(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    userAgent: text('user_agent'),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

/** Partners: the order systems that push merchant data and receive webhooks. */
export const partners = pgTable('partners', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  webhookUrl: text('webhook_url'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  createdBy: text('created_by'),
});

/**
 * A partner's API key. An HMAC can only be checked with the secret itself, so the secret is kept
 * encrypted (AES-256-GCM under the server's key), never in clear; the previous secret stays valid after
 * a rotation until the next one, so partners can roll over without downtime. A key of kind `core` is a
 * core enterprise's own (same signature, its own routes only).
 */
export const partnerKeys = pgTable(
  'partner_keys',
  {
    keyId: text('key_id').primaryKey(),
    partnerId: text('partner_id')
      .notNull()
      .references(() => partners.id),
    secretEnc: text('secret_enc').notNull(),
    previousSecretEnc: text('previous_secret_enc'),
    version: integer('version').notNull().default(1),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    rotatedAt: timestamp('rotated_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    kind: text('kind', { enum: ['partner', 'core'] }).notNull().default('partner'),
    coreEnterpriseId: text('core_enterprise_id'),
  },
  (t) => [
    index('partner_keys_partner_idx').on(t.partnerId),
    check('partner_keys_kind', sql`${t.kind} in ('partner','core') and (${t.kind} = 'core') = (${t.coreEnterpriseId} is not null)`),
  ],
);

/** Publishable widget keys: public, tied to an allow-list of embedding origins. */
export const publishableKeys = pgTable('publishable_keys', {
  key: text('key').primaryKey(),
  partnerId: text('partner_id')
    .notNull()
    .references(() => partners.id),
  allowedOrigins: jsonb('allowed_origins').$type<string[]>().notNull(),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
