/**
 * Reads of the secondary market (docs/transfers.md): the offers on the market, one offer, the previews
 * of a sale and of a purchase (the figures the buy would use, computed by the same pure functions), a
 * seller's offers and a lender's transfers in and out. Reads only, no locks.
 */
import { and, desc, eq, gt, inArray, lte, or, sql, type SQL } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import type { Queryable } from '../db/client.js';
import { listings, loanNotes, noteOffers, noteTransfers } from '../db/schema/index.js';
import { addDays, compareIsoDate, isoDateOfMs, type IsoDate } from '../domain/dates.js';
import { AppError } from '../domain/errors.js';
import type { Grade } from '../domain/grades.js';
import { accrueDay } from '../domain/servicing/index.js';
import { checkBuyAmount, checkOfferTerms, priceLimits, quoteTrade, transferability, type NotTransferableReason, type TradeQuote } from '../domain/transfers/index.js';
import { loadLoan, stateOf, type LoanRow, type NoteRow } from './loans.js';
import { servicingSettings } from './servicing-store.js';
import { currentState } from './statements.js';
import { heldSince, offerView, transferItem, transferSettings, transferabilityOf, type OfferRow, type OfferView, type TransferItem } from './transfers.js';

export type OfferSort = 'yield' | 'priceBps' | 'monthsLeft';

export interface OfferFilters {
  grade?: Grade;
  minYieldBps?: number;
  maxMonthsLeft?: number;
  sort?: OfferSort;
  limit: number;
  cursor?: string;
}

const SORTS: Record<OfferSort, { column: typeof noteOffers.yieldBps | typeof noteOffers.priceBps | typeof noteOffers.monthsLeft; descending: boolean }> = {
  yield: { column: noteOffers.yieldBps, descending: true },
  priceBps: { column: noteOffers.priceBps, descending: false },
  monthsLeft: { column: noteOffers.monthsLeft, descending: false },
};

function badCursor(): AppError {
  return new AppError('VALIDATION_FAILED', 'querystring/cursor is not a cursor of this list', { errors: [{ field: 'querystring/cursor', message: 'is not a cursor of this list' }] });
}

/**
 * GET /note-offers: open offers, best yield first by default (then cheapest price, or fewest months
 * left), keyset-paginated by (sort value, id). The figures are each offer's quote of the day.
 */
export async function listOffers(q: Queryable, nowMs: number, f: OfferFilters): Promise<{ items: OfferView[]; nextCursor: string | null }> {
  const sort = SORTS[f.sort ?? 'yield'];
  const conditions: SQL[] = [eq(noteOffers.status, 'open'), gt(noteOffers.expiresAt, new Date(nowMs))];
  if (f.grade) conditions.push(eq(noteOffers.grade, f.grade));
  if (f.minYieldBps !== undefined) conditions.push(sql`${noteOffers.yieldBps} >= ${f.minYieldBps}`);
  if (f.maxMonthsLeft !== undefined) conditions.push(lte(noteOffers.monthsLeft, f.maxMonthsLeft));
  if (f.cursor) {
    const m = /^(-?\d{1,9}):(nof_[0-9a-z]{10,40})$/.exec(f.cursor);
    if (!m) throw badCursor();
    const value = Number(m[1]);
    conditions.push(sort.descending ? sql`(${sort.column}, ${noteOffers.id}) < (${value}, ${m[2]})` : sql`(${sort.column}, ${noteOffers.id}) > (${value}, ${m[2]})`);
  }
  const order = sort.descending ? [desc(sort.column), desc(noteOffers.id)] : [sort.column, noteOffers.id];
  const found = await q
    .select()
    .from(noteOffers)
    .where(and(...conditions))
    .orderBy(...order)
    .limit(f.limit + 1);
  const page = found.slice(0, f.limit);
  const last = page[page.length - 1];
  const sortValue = (o: OfferRow) => (f.sort === 'priceBps' ? o.priceBps : f.sort === 'monthsLeft' ? o.monthsLeft : o.yieldBps);
  return { items: page.map(offerView), nextCursor: found.length > f.limit && last ? `${sortValue(last)}:${last.id}` : null };
}

export async function offerDetail(q: Queryable, offerId: string): Promise<OfferView> {
  const [row] = await q.select().from(noteOffers).where(eq(noteOffers.id, offerId));
  if (!row) throw new AppError('NOT_FOUND', 'no such offer');
  return offerView(row);
}

/**
 * Whether each of a lender's notes may be offered today, for the portfolio's Sell action: computed from
 * the note alone and its loan's row (the loan's days past due as of its last close), so a page of notes
 * costs no loan loads. The offer itself checks the whole loan again.
 */
export function saleHints(ctx: AppContext, items: readonly { note: NoteRow; loan: LoanRow }[], day: IsoDate): Map<string, { sellable: boolean; reason: NotTransferableReason | null }> {
  const minHoldDays = ctx.settings.get().transferMinHoldDays;
  const settings = servicingSettings(ctx.settings.get());
  const out = new Map<string, { sellable: boolean; reason: NotTransferableReason | null }>();
  for (const { note, loan } of items) {
    if (loan.daysPastDue > 0 && loan.status === 'active') {
      out.set(note.id, { sellable: false, reason: 'past_due' });
      continue;
    }
    const own = stateOf(loan, [note]);
    const state = compareIsoDate(day, own.servicedThrough) > 0 ? accrueDay(own, addDays(day, -1), settings).state : own;
    const t = transferability(state, state.notes[0]!, day, heldSince(note), minHoldDays);
    out.set(note.id, { sellable: t.ok, reason: t.ok ? null : t.reason });
  }
  return out;
}

/** The open offer of each note, by note id. */
export async function openOfferIds(q: Queryable, noteIds: readonly string[]): Promise<Map<string, string>> {
  if (noteIds.length === 0) return new Map();
  const found = await q.select({ id: noteOffers.id, noteId: noteOffers.noteId }).from(noteOffers).where(and(inArray(noteOffers.noteId, [...noteIds]), eq(noteOffers.status, 'open')));
  return new Map(found.map((o) => [o.noteId, o.id]));
}

/** A trade's figures as the previews and the web app show them. */
export function quoteView(q: TradeQuote, tradeDate: IsoDate) {
  return {
    principalMinor: q.principalMinor,
    priceBps: q.priceBps,
    priceMinor: q.priceMinor,
    accruedMinor: q.accruedMinor,
    paidMinor: q.paidMinor,
    feeMinor: q.feeMinor,
    sellerReceivesMinor: q.sellerReceivesMinor,
    yieldToMaturityBps: q.yieldToMaturityBps,
    monthsLeft: q.monthsLeft,
    nextDueDate: q.nextDueDate,
    tradeDate,
    installments: q.installments,
    currency: 'CNY' as const,
  };
}
export type QuoteView = ReturnType<typeof quoteView>;

/**
 * GET /notes/:id/offer-preview (its holder): may the note be offered today, within which limits, and —
 * with a principal and a price — what the sale would bring: the buyer pays price + accrued, the seller
 * receives that less the fee, the buyer's yield. The same checks and arithmetic as the offer and the buy.
 */
export async function saleQuote(ctx: AppContext, sellerId: string, noteId: string, input: { principalMinor?: number; priceBps?: number }) {
  const [found] = await ctx.db.select({ loanId: loanNotes.loanId, lenderId: loanNotes.lenderId }).from(loanNotes).where(eq(loanNotes.id, noteId));
  if (!found || found.lenderId !== sellerId) throw new AppError('NOT_FOUND', 'no such note of yours');
  const loaded = await loadLoan(ctx.db, found.loanId);
  if (!loaded) throw new AppError('NOT_FOUND', 'no such note of yours');
  const day = isoDateOfMs(ctx.clock.nowMs());
  const state = currentState(ctx, loaded.state, day);
  const row = loaded.notes.find((n) => n.id === noteId)!;
  const t = transferabilityOf(ctx, state, row, day);
  const settings = ctx.settings.get();
  const limits = priceLimits(transferSettings(settings));
  const [open] = await ctx.db.select({ id: noteOffers.id }).from(noteOffers).where(and(eq(noteOffers.noteId, noteId), eq(noteOffers.status, 'open')));
  const transferableMinor = t.ok ? t.transferableMinor : 0;
  let quote: QuoteView | null = null;
  if (input.principalMinor !== undefined && input.priceBps !== undefined) {
    if (!t.ok) throw new AppError('NOTE_NOT_TRANSFERABLE', t.detail, { reason: t.reason });
    const refused = checkOfferTerms({ principalMinor: input.principalMinor, priceBps: input.priceBps }, t.transferableMinor, transferSettings(settings));
    if (refused) throw new AppError(refused.code, refused.detail, { ...limits, minPrincipalMinor: Math.min(settings.minBidMinor, transferableMinor), maxPrincipalMinor: transferableMinor });
    quote = quoteView(quoteTrade(state.notes.find((n) => n.noteId === noteId)!, t.currentIndex, day, input.principalMinor, input.priceBps, settings.transferFeeBps), day);
  }
  return {
    noteId,
    loanId: loaded.loan.id,
    eligible: t.ok,
    reason: t.ok ? null : t.reason,
    detail: t.ok ? null : t.detail,
    transferableMinor,
    openOfferId: open?.id ?? null,
    limits: { ...limits, minPrincipalMinor: Math.min(settings.minBidMinor, transferableMinor), maxPrincipalMinor: transferableMinor, feeBps: settings.transferFeeBps, offerTtlDays: settings.transferOfferTtlDays },
    quote,
    currency: 'CNY' as const,
  };
}

/**
 * GET /note-offers/:id/quote: what buying `principalMinor` of an open offer (all that is left by
 * default) would cost today, by the same checks and arithmetic as the buy.
 */
export async function purchaseQuote(ctx: AppContext, offerId: string, principalMinor: number | undefined) {
  const [offer] = await ctx.db.select().from(noteOffers).where(eq(noteOffers.id, offerId));
  if (!offer) throw new AppError('NOT_FOUND', 'no such offer');
  const nowMs = ctx.clock.nowMs();
  if (offer.status !== 'open' || offer.expiresAt.getTime() <= nowMs) throw new AppError('OFFER_NOT_OPEN', `the offer is ${offer.status === 'open' ? 'expired' : offer.status}`, { offerStatus: offer.status === 'open' ? 'expired' : offer.status });
  const loaded = await loadLoan(ctx.db, offer.loanId);
  if (!loaded) throw new AppError('NOT_FOUND', 'no such offer');
  const day = isoDateOfMs(nowMs);
  const state = currentState(ctx, loaded.state, day);
  const t = transferabilityOf(ctx, state, loaded.notes.find((n) => n.id === offer.noteId)!, day);
  if (!t.ok) throw new AppError('NOTE_NOT_TRANSFERABLE', t.detail, { reason: t.reason });
  const settings = ctx.settings.get();
  const available = Math.min(offer.remainingMinor, t.transferableMinor);
  const p = principalMinor ?? available;
  const refused = checkBuyAmount(p, available, transferSettings(settings));
  if (refused) throw new AppError(refused.code, refused.detail, { remainingMinor: available, minPrincipalMinor: Math.min(settings.minBidMinor, available) });
  const quote = quoteTrade(state.notes.find((n) => n.noteId === offer.noteId)!, t.currentIndex, day, p, offer.priceBps, settings.transferFeeBps);
  return { offerId, remainingMinor: available, minPrincipalMinor: Math.min(settings.minBidMinor, available), ...quoteView(quote, day) };
}

/** GET /me/note-offers: the seller's offers, newest first, open and ended. */
export async function myOffers(q: Queryable, sellerId: string, limit: number, cursor: string | undefined) {
  const found = await q
    .select()
    .from(noteOffers)
    .where(and(eq(noteOffers.sellerId, sellerId), cursor ? sql`${noteOffers.id} < ${cursor}` : undefined))
    .orderBy(desc(noteOffers.id))
    .limit(limit + 1);
  const page = found.slice(0, limit);
  return { items: page.map(offerView), nextCursor: found.length > limit ? (page[page.length - 1]?.id ?? null) : null };
}


/** A lender's transfers in and out, newest first (statements read all of them, up to `limit`). */
export async function transfersOf(q: Queryable, userId: string, limit: number, cursor?: string): Promise<{ items: TransferItem[]; nextCursor: string | null }> {
  let after: SQL | undefined;
  if (cursor) {
    const m = /^(\d{1,15}):(xfr_[0-9a-z]{10,40})$/.exec(cursor);
    if (!m) throw badCursor();
    after = sql`(${noteTransfers.createdAt}, ${noteTransfers.id}) < (${new Date(Number(m[1])).toISOString()}::timestamptz, ${m[2]})`;
  }
  const found = await q
    .select({ t: noteTransfers, listingId: listings.id })
    .from(noteTransfers)
    .innerJoin(listings, eq(listings.loanId, noteTransfers.loanId))
    .where(and(or(eq(noteTransfers.sellerId, userId), eq(noteTransfers.buyerId, userId)), after))
    .orderBy(desc(noteTransfers.createdAt), desc(noteTransfers.id))
    .limit(limit + 1);
  const page = found.slice(0, limit);
  const last = page[page.length - 1]?.t;
  return { items: page.map(({ t, listingId }) => transferItem({ ...t, listingId }, userId)), nextCursor: found.length > limit && last ? `${last.createdAt.getTime()}:${last.id}` : null };
}
