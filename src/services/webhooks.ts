import { and, desc, eq, isNull, lt, sql } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import type { Queryable } from '../db/client.js';
import { partnerKeys, partners, webhookDeliveries } from '../db/schema/index.js';
import { AppError } from '../domain/errors.js';
import { newId } from '../ids.js';
import { UnrecoverableJobError } from '../jobs/queue.js';
import { postGuarded } from '../security/outbound.js';
import { SIGNATURE_HEADERS, signWebhook } from '../security/signature.js';
import { writeOutbox } from './outbox.js';

export const WEBHOOK_JOB = 'webhook.deliver';
export const WEBHOOK_ATTEMPTS = 16;
const TIMEOUT_MS = 10_000;

export type WebhookType =
  | 'listing.cleared'
  | 'listing.failed'
  | 'loan.repaid'
  | 'installment.due'
  | 'loan.defaulted'
  | 'merchant.rated'
  | 'collateral.impaired'
  | 'claim.issued'
  | 'claim.assigned'
  | 'payable.settled'
  | 'guarantee.accepted'
  | 'guarantee.declined'
  | 'guarantee.owed'
  | 'guarantee.overdue'
  | 'guarantee.paid';

function job(ctx: AppContext, deliveryId: string, replays: number) {
  return { name: WEBHOOK_JOB, id: `webhook-${deliveryId}-${replays}`, data: { deliveryId }, attempts: WEBHOOK_ATTEMPTS, backoffMs: ctx.config.webhookBackoffMs };
}

/**
 * Records a webhook for the partner in the caller's transaction; it is delivered after commit. A partner
 * with no webhook URL has not subscribed and gets nothing.
 */
export async function queueWebhook(ctx: AppContext, tx: Queryable, partnerId: string, type: WebhookType, data: Record<string, unknown>): Promise<string | null> {
  const [partner] = await tx.select({ url: partners.webhookUrl }).from(partners).where(eq(partners.id, partnerId));
  if (!partner?.url) return null;
  const id = newId('whd');
  const eventId = newId('evt');
  const at = new Date(ctx.clock.nowMs());
  await tx.insert(webhookDeliveries).values({ id, partnerId, eventId, type, payload: { id: eventId, type, createdAt: at.toISOString(), data }, createdAt: at });
  await writeOutbox(tx, { jobs: [job(ctx, id, 0)] });
  return id;
}

/**
 * The job: POST the event, signed over timestamp, event id and body, only to a public address; any
 * non-2xx (or a refused address) is retried with backoff.
 */
export async function deliverWebhook(ctx: AppContext, deliveryId: string, attempt: number): Promise<void> {
  const [d] = await ctx.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, deliveryId));
  if (!d) throw new UnrecoverableJobError(`no webhook delivery ${deliveryId}`);
  if (d.status === 'delivered') return;
  const [partner] = await ctx.db.select().from(partners).where(eq(partners.id, d.partnerId));
  const [key] = await ctx.db
    .select()
    .from(partnerKeys)
    .where(and(eq(partnerKeys.partnerId, d.partnerId), eq(partnerKeys.kind, 'partner'), isNull(partnerKeys.revokedAt)))
    .orderBy(desc(partnerKeys.createdAt))
    .limit(1);
  if (!partner?.webhookUrl || !key) {
    await ctx.db.update(webhookDeliveries).set({ status: 'failed', lastError: 'the partner has no webhook URL or no active key' }).where(eq(webhookDeliveries.id, d.id));
    throw new UnrecoverableJobError('no webhook URL');
  }
  const body = JSON.stringify(d.payload);
  const timestampSec = Math.floor(Date.now() / 1000);
  const headers = {
    'content-type': 'application/json',
    'x-lendbook-event-id': d.eventId,
    'x-lendbook-event-type': d.type,
    [SIGNATURE_HEADERS.key]: key.keyId,
    [SIGNATURE_HEADERS.timestamp]: String(timestampSec),
    [SIGNATURE_HEADERS.signature]: signWebhook(ctx.secrets.open(key.secretEnc), timestampSec, d.eventId, body),
  };
  let statusCode: number | null = null;
  let error: string | null = null;
  try {
    statusCode = await postGuarded(partner.webhookUrl, headers, body, { policy: { allowLocalhost: ctx.config.allowHttpWebhooks }, timeoutMs: TIMEOUT_MS });
    if (statusCode < 200 || statusCode >= 300) error = `HTTP ${statusCode}`;
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  const last = attempt >= WEBHOOK_ATTEMPTS;
  await ctx.db
    .update(webhookDeliveries)
    .set({
      attempts: sql`${webhookDeliveries.attempts} + 1`,
      lastStatusCode: statusCode,
      lastError: error,
      status: error === null ? 'delivered' : last ? 'failed' : 'pending',
      deliveredAt: error === null ? new Date() : null,
    })
    .where(eq(webhookDeliveries.id, d.id));
  if (error !== null) throw new Error(`webhook ${d.id} not delivered: ${error}`);
}

export async function listDeliveries(ctx: AppContext, limit: number, cursor: string | undefined) {
  const found = await ctx.db
    .select()
    .from(webhookDeliveries)
    .where(cursor ? lt(webhookDeliveries.id, cursor) : undefined)
    .orderBy(desc(webhookDeliveries.id))
    .limit(limit + 1);
  const page = found.slice(0, limit);
  return {
    items: page.map((d) => ({
      id: d.id,
      partnerId: d.partnerId,
      eventId: d.eventId,
      type: d.type,
      status: d.status,
      attempts: d.attempts,
      lastStatusCode: d.lastStatusCode,
      lastError: d.lastError,
      replays: d.replays,
      createdAt: d.createdAt.toISOString(),
      deliveredAt: d.deliveredAt?.toISOString() ?? null,
      payload: d.payload,
    })),
    nextCursor: found.length > limit ? (page[page.length - 1]?.id ?? null) : null,
  };
}

/** An operator sends an event again (same event id: the partner deduplicates). */
export async function replayDelivery(ctx: AppContext, deliveryId: string): Promise<{ id: string; status: 'pending'; replays: number }> {
  return ctx.transaction(async (tx) => {
    const [d] = await tx.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, deliveryId)).for('update');
    if (!d) throw new AppError('NOT_FOUND');
    const replays = d.replays + 1;
    await tx.update(webhookDeliveries).set({ status: 'pending', replays, attempts: 0, deliveredAt: null }).where(eq(webhookDeliveries.id, d.id));
    await writeOutbox(tx, { jobs: [job(ctx, d.id, replays)] });
    return { id: d.id, status: 'pending' as const, replays };
  });
}
