import { sql } from 'drizzle-orm';
import { check, index, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { users } from './identity.js';
import { listings } from './market.js';

/**
 * What users are told (docs/notifications.md): one row per notification, written by the outbox dispatcher
 * from the `me` events it publishes, so a reload still shows them. `emailedAt` is set once an e-mail went out.
 */
export const notifications = pgTable(
  'notifications',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    kind: text('kind').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
    readAt: timestamp('read_at', { withTimezone: true, precision: 3 }),
    emailedAt: timestamp('emailed_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [index('notifications_user_idx').on(t.userId, t.createdAt), index('notifications_unread_idx').on(t.userId).where(sql`${t.readAt} is null`)],
);

/** Per-kind choices of a user (in the app, by e-mail), over the defaults of docs/notifications.md. */
export const notificationPreferences = pgTable('notification_preferences', {
  userId: text('user_id')
    .primaryKey()
    .references(() => users.id),
  prefs: jsonb('prefs').$type<Record<string, { inApp?: boolean; email?: boolean }>>().notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Listings a user keeps an eye on (the market's watchlist). */
export const watchlist = pgTable(
  'watchlist',
  {
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    listingId: text('listing_id')
      .notNull()
      .references(() => listings.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.listingId] })],
);

/**
 * What operators did to accounts (freeze, unfreeze, identity review), with their reason: append-only,
 * read by operators on the Users page.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: text('id').primaryKey(),
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull(),
    actorUserId: text('actor_user_id')
      .notNull()
      .references(() => users.id),
    action: text('action').notNull(),
    subjectUserId: text('subject_user_id').references(() => users.id),
    reason: text('reason').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
  },
  (t) => [index('audit_log_subject_idx').on(t.subjectUserId, t.at), index('audit_log_at_idx').on(t.at), check('audit_log_reason', sql`length(${t.reason}) > 0`)],
);
