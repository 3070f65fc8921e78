import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import { rows, type Queryable } from '../db/client.js';
import { merchantInvites, merchants, orders, warehouseReceipts, type OutboxJob } from '../db/schema/index.js';
import { AppError } from '../domain/errors.js';
import { isIsoDate, isoDateOfMs } from '../domain/dates.js';
import { eligibleOrders, orderAdvancePct, orderFinancingLimit, receiptLimit, type MerchantOrder, type OrderStatus } from '../domain/rating/index.js';
import { newId } from '../ids.js';
import { writeOutbox } from './outbox.js';
import { RATING_JOB, creditOf, ratingView } from './rating.js';
import { queueWebhook } from './webhooks.js';
import { randomBytes } from 'node:crypto';
import type { Grade } from '../domain/grades.js';
import type { Settings } from '../domain/settings.js';

export type MerchantRow = typeof merchants.$inferSelect;

export interface MerchantProfile {
  name: string;
  legalForm: 'legal_person' | 'natural_person';
  openedAt: string;
  category: string;
}

export function merchantView(m: MerchantRow) {
  return { id: m.id, ref: m.ref, name: m.name, legalForm: m.legalForm, openedAt: m.openedAt, category: m.category, createdAt: m.createdAt.toISOString(), updatedAt: m.updatedAt.toISOString() };
}

export async function merchantByRef(q: Queryable, partnerId: string, ref: string): Promise<MerchantRow> {
  const [m] = await q.select().from(merchants).where(and(eq(merchants.partnerId, partnerId), eq(merchants.ref, ref)));
  if (!m) throw new AppError('MERCHANT_NOT_FOUND', `no merchant '${ref}' for this partner`);
  return m;
}

/** PUT semantics: creates the merchant or replaces its profile. */
export async function upsertMerchant(ctx: AppContext, partnerId: string, ref: string, profile: MerchantProfile): Promise<{ merchant: MerchantRow; created: boolean }> {
  if (!isIsoDate(profile.openedAt) || profile.openedAt > isoDateOfMs(ctx.clock.nowMs()) || profile.openedAt < '1980-01-01') {
    throw new AppError('VALIDATION_FAILED', 'body/openedAt must be a real date, not in the future', { errors: [{ field: 'body/openedAt', message: 'must be a real date, not in the future' }] });
  }
  return ctx.transaction(async (tx) => {
    const inserted = await tx
      .insert(merchants)
      .values({ id: newId('mer'), partnerId, ref, ...profile })
      .onConflictDoNothing()
      .returning();
    if (inserted[0]) return { merchant: inserted[0], created: true };
    const [updated] = await tx
      .update(merchants)
      .set({ ...profile, updatedAt: new Date() })
      .where(and(eq(merchants.partnerId, partnerId), eq(merchants.ref, ref)))
      .returning();
    return { merchant: updated!, created: false };
  });
}

export interface OrderInput {
  orderId: string;
  amountMinor: number;
  status: OrderStatus;
  placedAt: string;
  settledAt?: string | undefined;
}

export const MAX_ORDERS_PER_BATCH = 5000;
const CHUNK = 1000;
/** A merchant's rating follows its order batches within this window (one recompute per window). */
export const RATING_COALESCE_MS = 2000;

function badOrder(index: number, field: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', `body/orders/${index}/${field} ${message}`, { errors: [{ field: `body/orders/${index}/${field}`, message }] });
}

/**
 * Batch upsert of a merchant's orders, all or nothing: one bad order rejects the batch with its index and
 * field. Idempotent by order id; every status change is recorded with its time. A pledged order that is
 * refunded or disputed is reported to the listing's or loan's lenders; a settled one is swept into
 * repayment.
 */
export async function upsertOrders(ctx: AppContext, partnerId: string, ref: string, input: OrderInput[]) {
  if (input.length > MAX_ORDERS_PER_BATCH) throw new AppError('ORDER_BATCH_TOO_LARGE', `at most ${MAX_ORDERS_PER_BATCH} orders per call, got ${input.length}`);
  const nowMs = ctx.clock.nowMs();
  const seen = new Map<string, number>();
  input.forEach((o, i) => {
    const dup = seen.get(o.orderId);
    if (dup !== undefined) throw badOrder(i, 'orderId', `repeats order ${dup} of this batch`);
    seen.set(o.orderId, i);
    const placed = Date.parse(o.placedAt);
    if (Number.isNaN(placed)) throw badOrder(i, 'placedAt', 'is not a date-time');
    if (placed > nowMs + 86_400_000) throw badOrder(i, 'placedAt', 'is in the future');
    if (o.settledAt !== undefined) {
      const settled = Date.parse(o.settledAt);
      if (Number.isNaN(settled)) throw badOrder(i, 'settledAt', 'is not a date-time');
      if (settled < placed) throw badOrder(i, 'settledAt', 'is before placedAt');
      if (o.status !== 'settled') throw badOrder(i, 'settledAt', "is only for status 'settled'");
    }
  });
  const at = new Date(nowMs);
  return ctx.transaction(async (tx) => {
    const merchant = await merchantByRef(tx, partnerId, ref);
    // One batch at a time per merchant: status history stays in order.
    await tx.select({ id: merchants.id }).from(merchants).where(eq(merchants.id, merchant.id)).for('update');
    const before = new Map<string, { status: OrderStatus; amountMinor: number; pledgedListingId: string | null }>();
    for (let i = 0; i < input.length; i += CHUNK) {
      const ids = input.slice(i, i + CHUNK).map((o) => o.orderId);
      const found = await tx
        .select({ orderId: orders.orderId, status: orders.status, amountMinor: orders.amountMinor, pledgedListingId: orders.pledgedListingId })
        .from(orders)
        .where(and(eq(orders.merchantId, merchant.id), inArray(orders.orderId, ids)));
      for (const f of found) before.set(f.orderId, f);
    }
    let created = 0;
    let updated = 0;
    let unchanged = 0;
    const history: { orderId: string; from: string | null; to: string; pledged: string | null }[] = [];
    const changedRows = input.filter((o) => {
      const prev = before.get(o.orderId);
      if (!prev) {
        created++;
        history.push({ orderId: o.orderId, from: null, to: o.status, pledged: null });
        return true;
      }
      if (prev.status === o.status && prev.amountMinor === o.amountMinor) {
        unchanged++;
        return false;
      }
      updated++;
      if (prev.status !== o.status) history.push({ orderId: o.orderId, from: prev.status, to: o.status, pledged: prev.pledgedListingId });
      return true;
    });
    for (let i = 0; i < changedRows.length; i += CHUNK) {
      const chunk = changedRows.slice(i, i + CHUNK);
      await tx
        .insert(orders)
        .values(
          chunk.map((o) => ({
            merchantId: merchant.id,
            orderId: o.orderId,
            amountMinor: o.amountMinor,
            status: o.status,
            placedAt: new Date(o.placedAt),
            settledAt: o.settledAt ? new Date(o.settledAt) : null,
            statusChangedAt: at,
          })),
        )
        .onConflictDoUpdate({
          target: [orders.merchantId, orders.orderId],
          set: {
            amountMinor: sql`excluded.amount_minor`,
            status: sql`excluded.status`,
            settledAt: sql`excluded.settled_at`,
            statusChangedAt: sql`case when ${orders.status} is distinct from excluded.status then excluded.status_changed_at else ${orders.statusChangedAt} end`,
            updatedAt: sql`now()`,
          },
        });
    }
    for (let i = 0; i < history.length; i += CHUNK) {
      const chunk = history.slice(i, i + CHUNK);
      await tx.execute(sql`insert into order_status_history (merchant_id, order_id, from_status, to_status, changed_at, pledged_listing_id)
        select ${merchant.id}, x.order_id, x.from_status, x.to_status, ${at.toISOString()}::timestamptz, x.pledged
        from jsonb_to_recordset(${JSON.stringify(chunk.map((h) => ({ order_id: h.orderId, from_status: h.from, to_status: h.to, pledged: h.pledged })))}::jsonb)
          as x(order_id text, from_status text, to_status text, pledged text)`);
    }
    const impaired = history.filter((h) => h.pledged && (h.to === 'refunded' || h.to === 'disputed'));
    for (const h of impaired) {
      await queueWebhook(ctx, tx, partnerId, 'collateral.impaired', { merchantRef: ref, orderId: h.orderId, status: h.to, listingId: h.pledged });
    }
    const settledPledged = history.filter((h) => h.pledged && h.to === 'settled');
    const jobs: OutboxJob[] = [];
    if (created + updated > 0) {
      // Bursts of batches coalesce into one recompute per merchant every few seconds.
      jobs.push({ name: RATING_JOB, id: `rate-${merchant.id}`, data: { merchantId: merchant.id }, coalesceMs: RATING_COALESCE_MS });
    }
    for (const h of settledPledged) jobs.push({ name: 'order.sweep', id: `sweep-${merchant.id}-${h.orderId}`.replace(/[^A-Za-z0-9_.-]/g, '_'), data: { merchantId: merchant.id, orderId: h.orderId } });
    await writeOutbox(tx, { jobs });
    return { merchantId: merchant.id, received: input.length, created, updated, unchanged, statusChanges: history.filter((h) => h.from !== null).length };
  });
}

const INVITE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

/** An invite code the order system hands to its merchant to open the borrower account; 30 days. */
export async function createInvite(ctx: AppContext, partnerId: string, ref: string): Promise<{ inviteCode: string; expiresAt: string }> {
  const merchant = await merchantByRef(ctx.db, partnerId, ref);
  const bytes = randomBytes(12);
  const code = Array.from(bytes, (b) => INVITE_ALPHABET[b % INVITE_ALPHABET.length]).join('');
  const expiresAt = new Date(ctx.clock.nowMs() + 30 * 86_400_000);
  await ctx.db.insert(merchantInvites).values({ code, merchantId: merchant.id, expiresAt });
  return { inviteCode: code, expiresAt: expiresAt.toISOString() };
}

export interface ReceiptInput {
  receiptId: string;
  merchantRef: string;
  goods: string;
  quantity: number;
  valueMinor: number;
}

export function receiptView(r: typeof warehouseReceipts.$inferSelect, merchantRef: string) {
  return {
    id: r.id,
    receiptId: r.receiptId,
    merchantRef,
    goods: r.goods,
    quantity: r.quantity,
    valueMinor: r.valueMinor,
    currency: 'CNY' as const,
    pledged: r.pledgedListingId !== null && r.releasedAt === null,
    releasedAt: r.releasedAt?.toISOString() ?? null,
    createdAt: r.createdAt.toISOString(),
  };
}

/** A receipt issued by a warehouse; the same receipt again is accepted, a different one under its id is not. */
export async function upsertReceipt(ctx: AppContext, partnerId: string, input: ReceiptInput) {
  return ctx.transaction(async (tx) => {
    const merchant = await merchantByRef(tx, partnerId, input.merchantRef);
    const [existing] = await tx.select().from(warehouseReceipts).where(and(eq(warehouseReceipts.partnerId, partnerId), eq(warehouseReceipts.receiptId, input.receiptId)));
    if (existing) {
      const same = existing.merchantId === merchant.id && existing.goods === input.goods && existing.quantity === input.quantity && existing.valueMinor === input.valueMinor;
      if (!same) throw new AppError('RECEIPT_EXISTS', `receipt ${input.receiptId} exists with other fields`);
      return { receipt: receiptView(existing, merchant.ref), created: false };
    }
    const [row] = await tx
      .insert(warehouseReceipts)
      .values({ id: newId('whr'), partnerId, receiptId: input.receiptId, merchantId: merchant.id, goods: input.goods, quantity: input.quantity, valueMinor: input.valueMinor })
      .returning();
    return { receipt: receiptView(row!, merchant.ref), created: true };
  });
}

/** Orders that may back an order-financing listing now. */
export async function financeableOrders(q: Queryable, merchantId: string, asOfMs: number, settings: Settings): Promise<MerchantOrder[]> {
  const since = new Date(asOfMs - (settings.orderMaxAgeDays + 1) * 86_400_000);
  const found = await rows<{ order_id: string; amount_minor: number; status: OrderStatus; placed_at: Date | string; pledged_listing_id: string | null }>(
    q,
    sql`select order_id, amount_minor, status, placed_at, pledged_listing_id from orders
        where merchant_id = ${merchantId} and placed_at >= ${since.toISOString()}::timestamptz and status in ('paid','shipped','delivered')
        order by placed_at desc limit 5000`,
  );
  const list: MerchantOrder[] = found.map((o) => ({ orderId: o.order_id, amountMinor: Number(o.amount_minor), status: o.status, placedAt: isoDateOfMs(new Date(o.placed_at).getTime()) }));
  const pledged = new Set(found.filter((o) => o.pledged_listing_id !== null).map((o) => o.order_id));
  return eligibleOrders(list, isoDateOfMs(asOfMs), settings, pledged);
}

/** What the merchant could borrow now: its credit line and what its orders and receipts could back. */
export async function offers(ctx: AppContext, partnerId: string, ref: string) {
  const settings = ctx.settings.get();
  const merchant = await merchantByRef(ctx.db, partnerId, ref);
  const credit = await creditOf(ctx.db, merchant.id, settings);
  const nowMs = ctx.clock.nowMs();
  const eligible = await financeableOrders(ctx.db, merchant.id, nowMs, settings);
  const valueMinor = eligible.reduce((a, o) => a + o.amountMinor, 0);
  const grade = credit?.grade as Grade | undefined;
  const receipts = await ctx.db.select().from(warehouseReceipts).where(and(eq(warehouseReceipts.merchantId, merchant.id), isNull(warehouseReceipts.pledgedListingId)));
  const capLeft = credit?.line.creditLeftMinor ?? 0;
  const eligibleToList = credit?.eligibility.eligible ?? false;
  return {
    merchantRef: merchant.ref,
    rating: credit ? ratingView(credit) : null,
    credit: {
      eligible: eligibleToList,
      creditLineMinor: credit?.line.creditLineMinor ?? 0,
      creditLeftMinor: capLeft,
    },
    orderFinancing: {
      advancePct: grade ? orderAdvancePct(grade, settings) : null,
      eligibleOrderCount: eligible.length,
      eligibleValueMinor: valueMinor,
      limitMinor: grade && eligibleToList ? Math.min(orderFinancingLimit(grade, valueMinor, settings), capLeft) : 0,
      orders: eligible.slice(0, 200).map((o) => ({
        orderId: o.orderId,
        amountMinor: o.amountMinor,
        placedAt: o.placedAt,
        limitMinor: grade && eligibleToList ? Math.min(orderFinancingLimit(grade, o.amountMinor, settings), capLeft) : 0,
      })),
    },
    warehouseReceipts: receipts.map((r) => ({
      receiptId: r.receiptId,
      goods: r.goods,
      valueMinor: r.valueMinor,
      limitMinor: eligibleToList ? Math.min(receiptLimit(r.valueMinor, settings), capLeft) : 0,
    })),
    currency: 'CNY' as const,
  };
}
