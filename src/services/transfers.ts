/**
 * Note transfers, the secondary market (docs/transfers.md): offers are created,
 * cancelled, expired, bought, and kept in line with their loan as it is serviced. Each command is one
 * transaction with the one lock order of every command on a loan: the loan row, then the offer rows,
 * then the wallets in id order. The rules are the pure ones of src/domain/transfers; money moves only
 * between the buyer's and seller's wallets and the platform's fee account, never from a platform account.
 */
import { and, asc, eq, inArray, lte } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import type { Queryable, Tx } from '../db/client.js';
import { loanNotes, loans, noteOffers, noteTransfers, users, type OutboxMessage } from '../db/schema/index.js';
import { assert } from '../domain/assert.js';
import { lenderEligibility } from '../domain/auction/index.js';
import { isoDateOfMs, type IsoDate } from '../domain/dates.js';
import { requireNotFrozen } from './accounts.js';
import { AppError } from '../domain/errors.js';
import { isGrade, type Grade } from '../domain/grades.js';
import { outstandingPrincipalFrom, type LoanState, type NoteState } from '../domain/servicing/index.js';
import type { Settings } from '../domain/settings.js';
import {
  checkBuyAmount,
  checkOfferTerms,
  offerUpkeep,
  quoteTrade,
  transferNote,
  transferability,
  type OfferEndReason,
  type TradeQuote,
  type TransferSettings,
  type Transferability,
} from '../domain/transfers/index.js';
import { idFromSeed, newId } from '../ids.js';
import { PLATFORM_FEES_ACCOUNT, balance, lockAccounts, transfer, walletAccountId } from '../ledger/ledger.js';
import { loadLoan, type LoadedLoan, type NoteRow } from './loans.js';
import { writeOutbox } from './outbox.js';
import { announceServicing, closedBefore, partiesOf, saveState, servicingSettings } from './servicing-store.js';
import { walletMessages } from './wallet.js';

/** The public channel of the secondary market (docs/realtime.md). */
export const OFFERS_CHANNEL = 'note-offers';
const DAY_MS = 86_400_000;

export type OfferRow = typeof noteOffers.$inferSelect;
export type TransferRow = typeof noteTransfers.$inferSelect;

export function transferSettings(s: Settings): TransferSettings {
  return {
    minBidMinor: s.minBidMinor,
    transferMaxDiscountBps: s.transferMaxDiscountBps,
    transferMaxPremiumBps: s.transferMaxPremiumBps,
    transferFeeBps: s.transferFeeBps,
    transferMinHoldDays: s.transferMinHoldDays,
    transferOfferTtlDays: s.transferOfferTtlDays,
  };
}

/** An offer as the market shows it (no seller: lenders stay anonymous to each other). */
export function offerView(o: OfferRow) {
  return {
    id: o.id,
    noteId: o.noteId,
    loanId: o.loanId,
    listingId: o.listingId,
    grade: o.grade as Grade,
    rateBps: o.rateBps,
    repayment: o.repayment,
    principalMinor: o.principalMinor,
    remainingMinor: o.remainingMinor,
    soldMinor: o.soldMinor,
    priceBps: o.priceBps,
    wholeNote: o.wholeNote,
    status: o.status,
    endReason: o.endReason,
    accruedPerRemainingMinor: o.accruedMinor,
    monthsLeft: o.monthsLeft,
    nextDueDate: o.nextDueDate,
    yieldToMaturityBps: o.yieldBps,
    quotedOn: o.quotedOn,
    expiresAt: o.expiresAt.toISOString(),
    createdAt: o.createdAt.toISOString(),
    endedAt: o.endedAt ? o.endedAt.toISOString() : null,
    currency: 'CNY' as const,
  };
}
export type OfferView = ReturnType<typeof offerView>;

/**
 * One trade as a party sees it: `in` for the buyer (it paid price + accrued), `out` for the seller (it
 * received price + accrued − fee). `amountMinor` is what moved through the party's wallet, signed.
 */
export function transferItem(row: TransferRow & { listingId: string }, userId: string) {
  const out = row.sellerId === userId;
  return {
    id: row.id,
    direction: out ? ('out' as const) : ('in' as const),
    offerId: row.offerId,
    loanId: row.loanId,
    listingId: row.listingId,
    noteId: out ? row.sellerNoteId : row.buyerNoteId,
    principalMinor: row.principalMinor,
    priceBps: row.priceBps,
    priceMinor: row.priceMinor,
    accruedMinor: row.accruedMinor,
    feeMinor: out ? row.feeMinor : 0,
    amountMinor: out ? row.paidMinor - row.feeMinor : -row.paidMinor,
    yieldToMaturityBps: row.yieldBps,
    tradedOn: row.tradedOn,
    createdAt: row.createdAt.toISOString(),
    currency: 'CNY' as const,
  };
}
export type TransferItem = ReturnType<typeof transferItem>;

/** The day a holder acquired its note: the clearing, or the purchase (the hold period counts from it). */
export function heldSince(row: NoteRow): IsoDate {
  return isoDateOfMs(row.createdAt.getTime());
}

function noteOf(state: LoanState, noteId: string): NoteState {
  const note = state.notes.find((n) => n.noteId === noteId);
  assert(note, `note ${noteId} is in its loan's state`);
  return note;
}

function rowOf(loaded: LoadedLoan, noteId: string): NoteRow {
  const row = loaded.notes.find((n) => n.id === noteId);
  assert(row, `note ${noteId} is a row of its loan`);
  return row;
}

/** Whether a note may change hands on `day`, with the state as a trade on that day sees it. */
export function transferabilityOf(ctx: AppContext, state: LoanState, row: NoteRow, day: IsoDate): Transferability {
  return transferability(state, noteOf(state, row.id), day, heldSince(row), ctx.settings.get().transferMinHoldDays);
}

function notTransferable(t: Extract<Transferability, { ok: false }>): AppError {
  return new AppError('NOTE_NOT_TRANSFERABLE', t.detail, { reason: t.reason });
}

function today(ctx: AppContext): IsoDate {
  return isoDateOfMs(ctx.clock.nowMs());
}

/** The loan row, locked: the first lock of every command on a loan (its notes are not needed here). */
async function lockLoanRow(tx: Queryable, loanId: string): Promise<void> {
  await tx.select({ id: loans.id }).from(loans).where(eq(loans.id, loanId)).for('update');
}

async function lockOffer(tx: Queryable, offerId: string): Promise<OfferRow | undefined> {
  const [row] = await tx.select().from(noteOffers).where(eq(noteOffers.id, offerId)).for('update');
  return row;
}

/** The loan an offer belongs to (read before any lock: the loan row is locked first). */
async function loanIdOfOffer(q: Queryable, offerId: string): Promise<string | undefined> {
  const [row] = await q.select({ loanId: noteOffers.loanId }).from(noteOffers).where(eq(noteOffers.id, offerId));
  return row?.loanId;
}

function quoteColumns(q: TradeQuote, day: IsoDate) {
  return { quotedOn: day, accruedMinor: q.accruedMinor, monthsLeft: q.monthsLeft, nextDueDate: q.nextDueDate, yieldBps: q.yieldToMaturityBps };
}

/** The events of the public `note-offers` channel (docs/realtime.md). */
export type OfferEventType = 'offer.created' | 'offer.filled' | 'offer.cancelled' | 'offer.updated';

function offerMessage(type: OfferEventType, offer: OfferRow, extra: Record<string, unknown> = {}): OutboxMessage {
  return { channel: OFFERS_CHANNEL, type, data: { ...offerView(offer), ...extra } };
}

// ---- offers ----

export interface OfferInput {
  principalMinor: number;
  priceBps: number;
}

/**
 * A holder offers part or all of a note (POST /notes/:id/offers). Checked in this order: the note is the
 * caller's (NOT_FOUND otherwise), it has no open offer (OFFER_EXISTS), it may change hands today
 * (NOTE_NOT_TRANSFERABLE with the reason), the principal (OFFER_AMOUNT_INVALID), the price
 * (OFFER_PRICE_OUT_OF_RANGE). The offer id comes from the Idempotency-Key, so a retry finds the first.
 */
export async function createOffer(ctx: AppContext, sellerId: string, noteId: string, input: OfferInput, idempotencyKey: string | null): Promise<OfferView> {
  const nowMs = ctx.clock.nowMs();
  const offerId = idempotencyKey ? idFromSeed('nof', `offer:${sellerId}:${noteId}:${idempotencyKey}`) : newId('nof', nowMs);
  return ctx.transaction(async (tx) => {
    const [found] = await tx.select({ loanId: loanNotes.loanId, lenderId: loanNotes.lenderId }).from(loanNotes).where(eq(loanNotes.id, noteId));
    if (!found || found.lenderId !== sellerId) throw new AppError('NOT_FOUND', 'no such note of yours');
    const loaded = await loadLoan(tx, found.loanId, true);
    assert(loaded, 'a note has its loan');
    const [again] = await tx.select().from(noteOffers).where(eq(noteOffers.id, offerId));
    if (again) {
      if (again.noteId !== noteId || again.principalMinor !== input.principalMinor || again.priceBps !== input.priceBps) throw new AppError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another offer');
      return offerView(again);
    }
    // A frozen account does not trade: offering a note is as much a market command as a bid.
    await requireNotFrozen(tx, sellerId);
    const [open] = await tx.select().from(noteOffers).where(and(eq(noteOffers.noteId, noteId), eq(noteOffers.status, 'open'))).for('update');
    if (open) throw new AppError('OFFER_EXISTS', 'this note already has an open offer: cancel it first', { offerId: open.id });
    const day = isoDateOfMs(nowMs);
    const state = closedBefore(ctx, loaded, day).state;
    const row = rowOf(loaded, noteId);
    const t = transferabilityOf(ctx, state, row, day);
    if (!t.ok) throw notTransferable(t);
    const settings = ctx.settings.get();
    const refused = checkOfferTerms(input, t.transferableMinor, transferSettings(settings));
    if (refused) throw new AppError(refused.code, refused.detail, offerTermsExtra(refused.code, t.transferableMinor, settings));
    const quote = quoteTrade(noteOf(state, noteId), t.currentIndex, day, input.principalMinor, input.priceBps, settings.transferFeeBps);
    const at = new Date(nowMs);
    const [offer] = await tx
      .insert(noteOffers)
      .values({
        id: offerId,
        noteId,
        loanId: loaded.loan.id,
        listingId: loaded.loan.listingId,
        sellerId,
        grade: loaded.loan.grade,
        rateBps: row.rateBps,
        repayment: loaded.loan.repayment,
        principalMinor: input.principalMinor,
        remainingMinor: input.principalMinor,
        priceBps: input.priceBps,
        wholeNote: input.principalMinor === t.transferableMinor,
        status: 'open',
        expiresAt: new Date(nowMs + settings.transferOfferTtlDays * DAY_MS),
        ...quoteColumns(quote, day),
        createdAt: at,
        updatedAt: at,
      })
      .returning();
    await writeOutbox(tx, { messages: [offerMessage('offer.created', offer!), { channel: `user:${sellerId}`, type: 'offer.created', data: offerView(offer!) }] });
    return offerView(offer!);
  });
}

function offerTermsExtra(code: string, transferableMinor: number, s: Settings): Record<string, unknown> {
  if (code === 'OFFER_PRICE_OUT_OF_RANGE') return { minPriceBps: 10_000 - s.transferMaxDiscountBps, maxPriceBps: 10_000 + s.transferMaxPremiumBps };
  return { minPrincipalMinor: Math.min(s.minBidMinor, transferableMinor), maxPrincipalMinor: transferableMinor };
}

/** Ends an open offer in the caller's transaction (its loan row and the offer row already locked). */
async function endOffer(tx: Tx, offer: OfferRow, status: 'cancelled' | 'expired', reason: OfferEndReason, at: Date, messages: OutboxMessage[]): Promise<OfferRow> {
  const [ended] = await tx.update(noteOffers).set({ status, endReason: reason, endedAt: at, updatedAt: at }).where(eq(noteOffers.id, offer.id)).returning();
  messages.push(offerMessage('offer.cancelled', ended!));
  if (reason !== 'seller') messages.push({ channel: `user:${offer.sellerId}`, type: 'offer.ended', data: offerView(ended!) });
  return ended!;
}

/** The seller cancels what is left of its offer (DELETE /note-offers/:id); someone else's is NOT_FOUND. */
export async function cancelOffer(ctx: AppContext, sellerId: string, offerId: string): Promise<OfferView> {
  return ctx.transaction(async (tx) => {
    const loanId = await loanIdOfOffer(tx, offerId);
    if (!loanId) throw new AppError('NOT_FOUND', 'no such offer of yours');
    await lockLoanRow(tx, loanId);
    const offer = await lockOffer(tx, offerId);
    if (!offer || offer.sellerId !== sellerId) throw new AppError('NOT_FOUND', 'no such offer of yours');
    if (offer.status !== 'open') throw new AppError('OFFER_NOT_OPEN', `the offer is ${offer.status}`, { offerStatus: offer.status });
    const messages: OutboxMessage[] = [];
    const ended = await endOffer(tx, offer, 'cancelled', 'seller', new Date(ctx.clock.nowMs()), messages);
    await writeOutbox(tx, { messages });
    return offerView(ended);
  });
}

/**
 * Ends the open offers whose time is up (TRANSFER_OFFER_TTL_DAYS): run by every node's maintenance loop,
 * so no queue is needed for it; each offer is ended once, under its loan's lock.
 */
export async function expireOffers(ctx: AppContext, limit = 100): Promise<number> {
  const now = new Date(ctx.clock.nowMs());
  const due = await ctx.db
    .select({ id: noteOffers.id, loanId: noteOffers.loanId })
    .from(noteOffers)
    .where(and(eq(noteOffers.status, 'open'), lte(noteOffers.expiresAt, now)))
    .orderBy(asc(noteOffers.expiresAt))
    .limit(limit);
  let ended = 0;
  for (const { id, loanId } of due) {
    const done = await ctx.transaction(async (tx) => {
      await lockLoanRow(tx, loanId);
      const offer = await lockOffer(tx, id);
      if (!offer || offer.status !== 'open' || offer.expiresAt.getTime() > now.getTime()) return false;
      const messages: OutboxMessage[] = [];
      await endOffer(tx, offer, 'expired', 'expired', now, messages);
      await writeOutbox(tx, { messages });
      return true;
    });
    if (done) ended++;
  }
  return ended;
}

/**
 * Keeps a loan's open offers in line with its servicing, inside the servicing command's transaction (the
 * loan row locked): after a payment and at each day's close. An offer whose note may no longer change
 * hands ends (past due, defaulted, fewer than two installments left, nothing left); one for more than
 * the note still has is trimmed (whole-note offers) or ended (docs/transfers.md); the others get
 * today's quote (accrued, months left, yield).
 */
export async function upkeepOffers(ctx: AppContext, tx: Tx, loaded: LoadedLoan, state: LoanState, day: IsoDate, at: Date, messages: OutboxMessage[]): Promise<void> {
  const open = await tx
    .select()
    .from(noteOffers)
    .where(and(eq(noteOffers.loanId, loaded.loan.id), eq(noteOffers.status, 'open')))
    .orderBy(asc(noteOffers.id))
    .for('update');
  const feeBps = ctx.settings.get().transferFeeBps;
  for (const offer of open) {
    const t = transferabilityOf(ctx, state, rowOf(loaded, offer.noteId), day);
    const upkeep = offerUpkeep(offer, t);
    if (upkeep.action === 'end') {
      await endOffer(tx, offer, 'cancelled', upkeep.reason, at, messages);
      continue;
    }
    if (!t.ok) continue; // kept as it was: a rule that stops buyers for now (a hold period raised since, the note limit)
    const remainingMinor = upkeep.action === 'trim' ? upkeep.remainingMinor : offer.remainingMinor;
    const quote = quoteTrade(noteOf(state, offer.noteId), t.currentIndex, day, remainingMinor, offer.priceBps, feeBps);
    const [updated] = await tx
      .update(noteOffers)
      .set({ remainingMinor, ...quoteColumns(quote, day), updatedAt: at })
      .where(eq(noteOffers.id, offer.id))
      .returning();
    messages.push(offerMessage('offer.updated', updated!));
  }
}

// ---- buying ----

export interface BuyResult {
  transferId: string;
  offerId: string;
  loanId: string;
  /** The buyer's new note. */
  noteId: string;
  principalMinor: number;
  priceBps: number;
  priceMinor: number;
  accruedMinor: number;
  paidMinor: number;
  yieldToMaturityBps: number;
  tradedOn: IsoDate;
  currency: 'CNY';
}

function buyResult(row: TransferRow): BuyResult {
  return {
    transferId: row.id,
    offerId: row.offerId,
    loanId: row.loanId,
    noteId: row.buyerNoteId,
    principalMinor: row.principalMinor,
    priceBps: row.priceBps,
    priceMinor: row.priceMinor,
    accruedMinor: row.accruedMinor,
    paidMinor: row.paidMinor,
    yieldToMaturityBps: row.yieldBps,
    tradedOn: row.tradedOn,
    currency: 'CNY',
  };
}

/** The buyer may lend (KYC, risk profile for the grade) and is neither the seller nor the borrower. */
async function checkBuyer(tx: Queryable, buyerId: string, offer: OfferRow, loaded: LoadedLoan): Promise<void> {
  const found = await tx
    .select({ id: users.id, kycStatus: users.kycStatus, riskProfile: users.riskProfile, idNumberHash: users.idNumberHash })
    .from(users)
    .where(inArray(users.id, [buyerId, loaded.loan.borrowerUserId]));
  const buyer = found.find((u) => u.id === buyerId);
  const borrower = found.find((u) => u.id === loaded.loan.borrowerUserId);
  assert(buyer && isGrade(offer.grade), 'the buyer exists and the offer has a grade');
  const refused = lenderEligibility({ kycComplete: buyer.kycStatus === 'verified', riskProfile: buyer.riskProfile }, offer.grade);
  if (refused) throw new AppError(refused.code, refused.detail);
  if (buyerId === offer.sellerId) throw new AppError('SELF_DEALING', 'this is your own offer');
  const sameAsBorrower = buyerId === loaded.loan.borrowerUserId || (borrower?.idNumberHash != null && borrower.idNumberHash === buyer.idNumberHash);
  if (sameAsBorrower) throw new AppError('SELF_DEALING', 'a borrower cannot buy notes of its own loan');
}

/**
 * Buys principal `p` of an offer (POST /note-offers/:id/buy), in one transaction: the buyer's wallet pays
 * price + accrued to the seller's, the seller pays the fee to the platform's fee account, the seller's
 * note shrinks and the buyer's note is born with its share of each installment not yet due. Checked in
 * this order: OFFER_NOT_OPEN, LENDER_NOT_ELIGIBLE, SELF_DEALING, OFFER_REMAINING_EXCEEDED,
 * OFFER_AMOUNT_INVALID, NOTE_NOT_TRANSFERABLE, INSUFFICIENT_FUNDS; a refusal moves nothing. Buyers racing
 * for the same offer queue on the loan row: each sees what the one before left. The transfer id comes
 * from the Idempotency-Key, so a retry returns the first purchase and never buys twice.
 */
export async function buyNote(ctx: AppContext, buyerId: string, offerId: string, principalMinor: number, idempotencyKey: string | null): Promise<BuyResult> {
  const transferId = idempotencyKey ? idFromSeed('xfr', `buy:${buyerId}:${offerId}:${idempotencyKey}`) : newId('xfr', ctx.clock.nowMs());
  return ctx.transaction(async (tx) => {
    const [again] = await tx.select().from(noteTransfers).where(eq(noteTransfers.id, transferId));
    if (again) {
      if (again.offerId !== offerId || again.buyerId !== buyerId || again.principalMinor !== principalMinor) throw new AppError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another purchase');
      return buyResult(again);
    }
    await requireNotFrozen(tx, buyerId);
    const loanId = await loanIdOfOffer(tx, offerId);
    if (!loanId) throw new AppError('NOT_FOUND', 'no such offer');
    const loaded = await loadLoan(tx, loanId, true);
    assert(loaded, 'an offer has its loan');
    const offer = await lockOffer(tx, offerId);
    assert(offer, 'an offer is never deleted');
    // The clock is read once the loan is ours: trades on a loan are then dated in the order they commit.
    const nowMs = ctx.clock.nowMs();
    if (offer.status !== 'open' || offer.expiresAt.getTime() <= nowMs) {
      throw new AppError('OFFER_NOT_OPEN', `the offer is ${offer.status === 'open' ? 'expired' : offer.status}`, { offerStatus: offer.status === 'open' ? 'expired' : offer.status });
    }
    await checkBuyer(tx, buyerId, offer, loaded);
    const day = isoDateOfMs(nowMs);
    const closed = closedBefore(ctx, loaded, day);
    const sellerRow = rowOf(loaded, offer.noteId);
    const t = transferabilityOf(ctx, closed.state, sellerRow, day);
    // What may be bought: the offer's rest, and never more than the note has not yet due.
    const available = t.ok ? Math.min(offer.remainingMinor, t.transferableMinor) : offer.remainingMinor;
    const settings = ctx.settings.get();
    const refused = checkBuyAmount(principalMinor, available, transferSettings(settings));
    if (refused) throw new AppError(refused.code, refused.detail, { remainingMinor: available, minPrincipalMinor: Math.min(settings.minBidMinor, available) });
    if (!t.ok) throw notTransferable(t);
    const quote = quoteTrade(noteOf(closed.state, offer.noteId), t.currentIndex, day, principalMinor, offer.priceBps, settings.transferFeeBps);

    await lockAccounts(tx, [walletAccountId(buyerId), walletAccountId(offer.sellerId)]);
    const availableFunds = (await balance(tx, walletAccountId(buyerId))).availableMinor;
    if (availableFunds < quote.paidMinor) throw new AppError('INSUFFICIENT_FUNDS', `available ${availableFunds} < ${quote.paidMinor} to pay`, { availableMinor: availableFunds, paidMinor: quote.paidMinor });
    const at = new Date(nowMs);
    await transfer(tx, { id: `${transferId}_pay`, debitAccountId: walletAccountId(buyerId), creditAccountId: walletAccountId(offer.sellerId), amountMinor: quote.paidMinor, kind: 'note_purchase', reference: transferId, at });
    if (quote.feeMinor > 0) {
      await transfer(tx, { id: `${transferId}_fee`, debitAccountId: walletAccountId(offer.sellerId), creditAccountId: PLATFORM_FEES_ACCOUNT, amountMinor: quote.feeMinor, kind: 'note_transfer_fee', reference: transferId, at });
    }

    const buyerNoteId = `note_${transferId.slice('xfr_'.length)}`;
    const traded = transferNote(closed.state, { fromNoteId: offer.noteId, toNoteId: buyerNoteId, principalMinor, tradeDate: day }, servicingSettings(settings));
    assert(traded.share.accruedMinor === quote.accruedMinor, 'the trade pays the accrued it quoted');
    const rows = await writeTrade(tx, loaded, traded.state, sellerRow, { id: buyerNoteId, buyerId, principalMinor, at });
    await saveState(tx, { ...loaded, notes: rows }, traded.state, day, at);
    const [row] = await tx
      .insert(noteTransfers)
      .values({
        id: transferId,
        offerId,
        loanId,
        sellerNoteId: offer.noteId,
        buyerNoteId,
        sellerId: offer.sellerId,
        buyerId,
        principalMinor,
        priceBps: offer.priceBps,
        priceMinor: quote.priceMinor,
        accruedMinor: quote.accruedMinor,
        paidMinor: quote.paidMinor,
        feeMinor: quote.feeMinor,
        yieldBps: quote.yieldToMaturityBps,
        tradedOn: day,
        installments: quote.installments,
        createdAt: at,
      })
      .returning();

    const messages: OutboxMessage[] = [];
    // Days closed by this trade (the daily job had not run yet) are announced as the job would have.
    if (closed.events.length > 0) await announceServicing(ctx, tx, loaded, await partiesOf(tx, loaded), closed.state, closed.events, messages);
    const updated = await afterPurchase(tx, offer, principalMinor, traded.state, day, at, settings.transferFeeBps, t);
    messages.push(offerMessage('offer.filled', updated, { filledMinor: principalMinor }));
    const trade = buyResult(row!);
    messages.push({ channel: `user:${buyerId}`, type: 'note.bought', data: trade });
    messages.push({
      channel: `user:${offer.sellerId}`,
      type: 'note.sold',
      data: { transferId, offerId, loanId, noteId: offer.noteId, principalMinor, priceBps: offer.priceBps, priceMinor: quote.priceMinor, accruedMinor: quote.accruedMinor, feeMinor: quote.feeMinor, receivedMinor: quote.sellerReceivesMinor, remainingMinor: updated.remainingMinor, tradedOn: day, currency: 'CNY' },
    });
    messages.push(...(await walletMessages(tx, [buyerId, offer.sellerId], 'note.transfer')));
    await writeOutbox(tx, { messages });
    return trade;
  });
}

/**
 * Writes the trade's notes: the seller's note shrinks (principal, what it sold, its installments, in one
 * statement so the principal balance holds at every step) and the buyer's note is inserted. Returns the
 * loan's note rows as they now stand.
 */
async function writeTrade(tx: Tx, loaded: LoadedLoan, state: LoanState, sellerRow: NoteRow, buyer: { id: string; buyerId: string; principalMinor: number; at: Date }): Promise<NoteRow[]> {
  const seller = noteOf(state, sellerRow.id);
  const bought = noteOf(state, buyer.id);
  const outstanding = outstandingPrincipalFrom(seller, 0);
  const [sellerNow] = await tx
    .update(loanNotes)
    .set({
      principalMinor: seller.principalMinor,
      soldPrincipalMinor: sellerRow.soldPrincipalMinor + buyer.principalMinor,
      soldOut: seller.soldOut === true,
      status: seller.status,
      outstandingPrincipalMinor: outstanding,
      installments: seller.installments,
    })
    .where(eq(loanNotes.id, sellerRow.id))
    .returning();
  const [buyerNow] = await tx
    .insert(loanNotes)
    .values({
      id: buyer.id,
      loanId: loaded.loan.id,
      bidId: null,
      lenderId: buyer.buyerId,
      principalMinor: buyer.principalMinor,
      rateBps: bought.rateBps,
      status: 'active',
      outstandingPrincipalMinor: buyer.principalMinor,
      installments: bought.installments,
      acquiredVia: 'transfer',
      sourceNoteId: sellerRow.id,
      createdAt: buyer.at,
    })
    .returning();
  return [...loaded.notes.map((n) => (n.id === sellerRow.id ? sellerNow! : n)), buyerNow!];
}

/** The offer after a purchase: its rest, filled when none is left, else requoted on the new note. */
async function afterPurchase(tx: Tx, offer: OfferRow, principalMinor: number, state: LoanState, day: IsoDate, at: Date, feeBps: number, t: Extract<Transferability, { ok: true }>): Promise<OfferRow> {
  const remainingMinor = Math.min(offer.remainingMinor, t.transferableMinor) - principalMinor;
  const soldMinor = offer.soldMinor + principalMinor;
  if (remainingMinor === 0) {
    const [filled] = await tx.update(noteOffers).set({ remainingMinor: 0, soldMinor, status: 'filled', endedAt: at, updatedAt: at }).where(eq(noteOffers.id, offer.id)).returning();
    return filled!;
  }
  const quote = quoteTrade(noteOf(state, offer.noteId), t.currentIndex, day, remainingMinor, offer.priceBps, feeBps);
  const [open] = await tx.update(noteOffers).set({ remainingMinor, soldMinor, ...quoteColumns(quote, day), updatedAt: at }).where(eq(noteOffers.id, offer.id)).returning();
  return open!;
}
