import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { partners } from './identity.js';

/**
 * Webhooks to partners: one row per event and partner, delivered by a job with exponential backoff.
 * `eventId` is what the partner deduplicates on; a replay by an operator sends the same id again.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    partnerId: text('partner_id')
      .notNull()
      .references(() => partners.id),
    eventId: text('event_id').notNull().unique(),
    type: text('type').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    status: text('status', { enum: ['pending', 'delivered', 'failed'] }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    replays: integer('replays').notNull().default(0),
  },
  (t) => [
    index('webhook_deliveries_partner_idx').on(t.partnerId, t.createdAt),
    check('webhook_deliveries_status', sql`${t.status} in ('pending','delivered','failed')`),
  ],
);
