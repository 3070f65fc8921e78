import { and, desc, eq, isNull } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import type { Queryable } from '../db/client.js';
import { listings, partners, publishableKeys } from '../db/schema/index.js';
import { AppError } from '../domain/errors.js';
import { orderAdvancePct, orderFinancingLimit } from '../domain/rating/index.js';
import { randomToken } from '../ids.js';
import { listingSummary, merchantName } from './listings.js';
import { financeableOrders, merchantByRef } from './merchants.js';
import { creditOf } from './rating.js';
import { bestClaimOffer } from './claims.js';
import { isoDateOfMs } from '../domain/dates.js';

/**
 * Publishable keys let a partner's own pages embed Lendbook widgets. A key is public (it sits in the
 * page), so what it unlocks is limited to what the widgets show, and only for pages on the origins the
 * operator allowed for it: a key used from any other origin gets nothing.
 */
export type PublishableKeyRow = typeof publishableKeys.$inferSelect;

export async function createPublishableKey(ctx: AppContext, partnerId: string, allowedOrigins: string[]): Promise<PublishableKeyRow> {
  const [partner] = await ctx.db.select({ id: partners.id }).from(partners).where(eq(partners.id, partnerId));
  if (!partner) throw new AppError('NOT_FOUND', 'no such partner');
  const [row] = await ctx.db.insert(publishableKeys).values({ key: `pub_${randomToken(18)}`, partnerId, allowedOrigins: normalizeOrigins(allowedOrigins) }).returning();
  return row!;
}

export async function revokePublishableKey(ctx: AppContext, key: string): Promise<void> {
  const updated = await ctx.db.update(publishableKeys).set({ revokedAt: new Date() }).where(and(eq(publishableKeys.key, key), isNull(publishableKeys.revokedAt))).returning();
  if (updated.length === 0) throw new AppError('NOT_FOUND', 'no active key');
}

export async function listPublishableKeys(ctx: AppContext) {
  const rows = await ctx.db.select().from(publishableKeys).orderBy(desc(publishableKeys.createdAt));
  return rows.map((k) => ({ key: k.key, partnerId: k.partnerId, allowedOrigins: k.allowedOrigins, revoked: k.revokedAt !== null, createdAt: k.createdAt.toISOString() }));
}

function normalizeOrigins(origins: string[]): string[] {
  return [...new Set(origins.map((o) => new URL(o).origin))];
}

/**
 * The key behind a widget request, checked against the page's Origin. A request without an Origin (not
 * from a browser page) is refused too: widget data is for the partner's pages only.
 */
export async function keyForOrigin(q: Queryable, key: string | undefined, origin: string | undefined): Promise<PublishableKeyRow> {
  if (!key || key.length > 100) throw new AppError('PUBLISHABLE_KEY_INVALID', 'data-key is missing');
  const [row] = await q.select().from(publishableKeys).where(and(eq(publishableKeys.key, key), isNull(publishableKeys.revokedAt)));
  if (!row) throw new AppError('PUBLISHABLE_KEY_INVALID');
  if (!origin || !row.allowedOrigins.includes(origin)) throw new AppError('ORIGIN_NOT_ALLOWED', `this key may not be used from ${origin ?? 'a page without an origin'}`);
  return row;
}

/** <lendbook-listing>: the listing's live status (the same public fields as the market). */
export async function widgetListing(q: Queryable, listingId: string) {
  const [l] = await q.select().from(listings).where(eq(listings.id, listingId));
  if (!l) throw new AppError('NOT_FOUND', 'no such listing');
  return listingSummary(l, await merchantName(q, l.merchantId));
}

/** <lendbook-merchant>: a merchant of the key's partner — its rating and listings. */
export async function widgetMerchant(ctx: AppContext, partnerId: string, ref: string) {
  const merchant = await merchantByRef(ctx.db, partnerId, ref);
  const credit = await creditOf(ctx.db, merchant.id, ctx.settings.get());
  const rows = await ctx.db.select().from(listings).where(eq(listings.merchantId, merchant.id)).orderBy(desc(listings.createdAt)).limit(20);
  return {
    merchantRef: merchant.ref,
    name: merchant.name,
    // "Can list now" is the rating page's "May list now": an open listing or no credit left means no.
    rating: credit ? { grade: credit.grade, score: credit.rating.score, creditLeftMinor: credit.line.creditLeftMinor, eligible: credit.mayList.mayList, reason: credit.mayList.mayList ? null : credit.mayList.code } : null,
    listings: rows.map((l) => listingSummary(l, merchant.name)),
    currency: 'CNY' as const,
  };
}

/** <lendbook-order-offer>: what financing this order could back now, and where to ask for it. */
export async function widgetOrderOffer(ctx: AppContext, partnerId: string, ref: string, orderId: string) {
  const settings = ctx.settings.get();
  const merchant = await merchantByRef(ctx.db, partnerId, ref);
  const credit = await creditOf(ctx.db, merchant.id, settings);
  const eligible = await financeableOrders(ctx.db, merchant.id, ctx.clock.nowMs(), settings);
  const order = eligible.find((o) => o.orderId === orderId);
  const pct = credit ? orderAdvancePct(credit.grade, settings) : null;
  const limit = order && credit && credit.mayList.mayList && pct !== null ? Math.min(orderFinancingLimit(credit.grade, order.amountMinor, settings), credit.line.creditLeftMinor) : 0;
  // Claims the shop holds on its buyers finance it on their credit, whatever its own grade; but a shop
  // with a listing open may not list another, whatever backs it.
  const hasOpenListing = credit != null && !credit.mayList.mayList && credit.mayList.code === 'OPEN_LISTING';
  const claimOffer = credit && !hasOpenListing ? await bestClaimOffer(ctx.db, merchant.id, isoDateOfMs(ctx.clock.nowMs()), credit.line.capLeftMinor, settings) : null;
  return {
    merchantRef: merchant.ref,
    orderId,
    eligible: limit >= 100_000,
    orderAmountMinor: order?.amountMinor ?? null,
    advancePct: pct,
    maxAmountMinor: limit,
    grade: credit?.grade ?? null,
    reason: !credit ? 'NOT_RATED' : !credit.mayList.mayList ? credit.mayList.code : !order ? 'ORDER_NOT_ELIGIBLE' : limit < 100_000 ? 'BELOW_MINIMUM' : null,
    applyUrl: `${ctx.config.publicUrl}/#/borrower/new?product=order&orderId=${encodeURIComponent(orderId)}`,
    claims:
      claimOffer && claimOffer.maxAmountMinor >= 100_000
        ? { coreEnterpriseName: claimOffer.coreEnterprise.name, grade: claimOffer.coreEnterprise.grade, count: claimOffer.claimIds.length, valueMinor: claimOffer.valueMinor, advancePct: claimOffer.advancePct, maxAmountMinor: claimOffer.maxAmountMinor, claimIds: claimOffer.claimIds }
        : null,
    currency: 'CNY' as const,
  };
}
