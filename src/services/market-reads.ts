/**
 * Reads of a user's side of the market (docs/market-rules.md): a lender's bids with what each would fill
 * now, a borrower's listings, and what could back a borrower's next listing. Reads only, no locks.
 */
import { and, desc, eq, inArray, isNull, lt } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import { bids, listings, warehouseReceipts } from '../db/schema/index.js';
import { computeBook } from '../domain/auction/index.js';
import { isoDateOfMs } from '../domain/dates.js';
import { AppError } from '../domain/errors.js';
import { bidView, type BidStatus } from './bidding.js';
import { financeableClaims } from './claims.js';
import { activeBidOf, listingSummary, merchantName } from './listings.js';
import { financeableOrders } from './merchants.js';
import { creditOf } from './rating.js';

/** A lender's bids, newest first; a winning bid with what it would fill if the auction ended now. */
export async function myBids(ctx: AppContext, userId: string, requested: BidStatus | undefined, limit: number, cursor: string | undefined) {
  const status = requested === 'winning' ? 'active' : requested;
  const found = await ctx.db
    .select()
    .from(bids)
    .where(and(eq(bids.lenderId, userId), status ? eq(bids.status, status) : undefined, cursor ? lt(bids.id, cursor) : undefined))
    .orderBy(desc(bids.id))
    .limit(limit + 1);
  const page = found.slice(0, limit);
  const live = [...new Set(page.filter((b) => b.status === 'active').map((b) => b.listingId))];
  const books = new Map<string, ReturnType<typeof computeBook>>();
  if (live.length) {
    const ls = await ctx.db.select().from(listings).where(inArray(listings.id, live));
    const act = await ctx.db.select().from(bids).where(and(inArray(bids.listingId, live), eq(bids.status, 'active')));
    for (const l of ls) books.set(l.id, computeBook(l, act.filter((b) => b.listingId === l.id).map(activeBidOf)));
  }
  return { items: page.map((b) => bidView(b, books.get(b.listingId))), nextCursor: found.length > limit ? (page[page.length - 1]?.id ?? null) : null };
}

/** Orders, warehouse receipts and claims that could back a borrower's listing now (none pledged). */
export async function collateralOf(ctx: AppContext, merchantId: string | null) {
  if (!merchantId) throw new AppError('MERCHANT_NOT_LINKED');
  const settings = ctx.settings.get();
  const orders = await financeableOrders(ctx.db, merchantId, ctx.clock.nowMs(), settings);
  const receipts = await ctx.db
    .select()
    .from(warehouseReceipts)
    .where(and(eq(warehouseReceipts.merchantId, merchantId), isNull(warehouseReceipts.pledgedListingId), isNull(warehouseReceipts.releasedAt)));
  const credit = await creditOf(ctx.db, merchantId, settings);
  return {
    orders: orders.map((o) => ({ orderId: o.orderId, amountMinor: o.amountMinor, placedAt: o.placedAt, status: o.status })),
    receipts: receipts.map((r) => ({ receiptId: r.receiptId, goods: r.goods, quantity: r.quantity, valueMinor: r.valueMinor })),
    orderAdvancePct: credit ? (settings.orderAdvancePct[credit.grade] ?? null) : null,
    warehouseLtvPct: settings.warehouseLtvPct,
    claims: await financeableClaims(ctx.db, merchantId, isoDateOfMs(ctx.clock.nowMs()), settings),
    currency: 'CNY' as const,
  };
}

/** A borrower's listings, newest first. */
export async function myListings(ctx: AppContext, userId: string, limit: number, cursor: string | undefined) {
  const found = await ctx.db
    .select()
    .from(listings)
    .where(and(eq(listings.borrowerUserId, userId), cursor ? lt(listings.id, cursor) : undefined))
    .orderBy(desc(listings.id))
    .limit(limit + 1);
  const page = found.slice(0, limit);
  const name = page[0] ? await merchantName(ctx.db, page[0].merchantId) : '';
  return { items: page.map((l) => listingSummary(l, name)), nextCursor: found.length > limit ? (page[page.length - 1]?.id ?? null) : null };
}
