/** A user's watchlist of listings (the market's star): kept per user, shown with the listings' state now. */
import { and, desc, eq, inArray } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import { listings, merchants, watchlist } from '../db/schema/index.js';
import { AppError } from '../domain/errors.js';
import { listingSummary } from './listings.js';

/** At most this many listings on one watchlist. */
export const MAX_WATCHED = 200;

export async function watched(ctx: AppContext, userId: string) {
  const found = await ctx.db
    .select({ listing: listings, name: merchants.name })
    .from(watchlist)
    .innerJoin(listings, eq(listings.id, watchlist.listingId))
    .innerJoin(merchants, eq(merchants.id, listings.merchantId))
    .where(eq(watchlist.userId, userId))
    .orderBy(desc(watchlist.createdAt))
    .limit(MAX_WATCHED);
  return { listingIds: found.map((f) => f.listing.id), items: found.map((f) => listingSummary(f.listing, f.name)) };
}

export async function watch(ctx: AppContext, userId: string, listingId: string): Promise<void> {
  const [l] = await ctx.db.select({ id: listings.id }).from(listings).where(eq(listings.id, listingId));
  if (!l) throw new AppError('NOT_FOUND', 'no such listing');
  const mine = await ctx.db.select({ id: watchlist.listingId }).from(watchlist).where(eq(watchlist.userId, userId));
  if (mine.length >= MAX_WATCHED && !mine.some((m) => m.id === listingId)) throw new AppError('CONFLICT', `a watchlist holds at most ${MAX_WATCHED} listings`);
  await ctx.db.insert(watchlist).values({ userId, listingId }).onConflictDoNothing();
}

export async function unwatch(ctx: AppContext, userId: string, listingIds: string[]): Promise<void> {
  await ctx.db.delete(watchlist).where(and(eq(watchlist.userId, userId), inArray(watchlist.listingId, listingIds)));
}
