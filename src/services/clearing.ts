import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import type { Tx } from '../db/client.js';
import { bids, listings, merchants, type OutboxMessage } from '../db/schema/index.js';
import { clearListing, requiredCoverageMinor, type ClearedOutcome, type ClearingResult } from '../domain/auction/index.js';
import { isoDateOfMs } from '../domain/dates.js';
import type { RepaymentKind } from '../domain/servicing/index.js';
import { newId } from '../ids.js';
import { PLATFORM_FEES_ACCOUNT, lockAccounts, transfer, walletAccountId } from '../ledger/ledger.js';
import { applyBatch, type KnownHold } from '../ledger/batch.js';
import { activeBidOf, activeBids, lockListing, marketUpdate, merchantName, releaseCollateral, type BidRow, type ListingRow } from './listings.js';
import { endGuaranteeOfListing, guaranteeAtClearing } from './guarantee-hooks.js';
import { insertLoan } from './loans.js';
import { writeOutbox } from './outbox.js';
import { walletMessages } from './wallet.js';
import { queueWebhook } from './webhooks.js';

/**
 * Closes a listing whose end has passed: clears it into a loan or fails it, exactly once. Any number of
 * close jobs, sweeps and server instances may call this for the same listing: the row lock serialises
 * them and the first one that finds it open does the work; the others find it closed and do nothing.
 */
export async function closeListing(ctx: AppContext, listingId: string): Promise<'cleared' | 'failed' | 'not_due' | 'already_closed' | 'not_found'> {
  const nowMs = ctx.clock.nowMs();
  const startedMs = performance.now();
  const outcome = await ctx.transaction(async (tx) => {
    const listing = await lockListing(tx, listingId);
    if (!listing) return 'not_found';
    if (listing.status !== 'open') return 'already_closed';
    if (nowMs < listing.endsAt.getTime()) return 'not_due';
    const messages: OutboxMessage[] = [];
    const outcome = await clearLockedListing(ctx, tx, listing, nowMs, messages);
    messages.push(marketUpdate((await lockListing(tx, listingId))!, await merchantName(tx, listing.merchantId), 'listing.updated'));
    await writeOutbox(tx, { messages });
    return outcome;
  });
  if (outcome === 'cleared' || outcome === 'failed') {
    const seconds = (performance.now() - startedMs) / 1000;
    ctx.metrics?.clearingSeconds.observe({ outcome }, seconds);
    ctx.log.info({ listingId, outcome, clearingMs: Math.round(seconds * 1000) }, 'listing closed');
  }
  return outcome;
}

/**
 * The clearing of docs/market-rules.md §4 inside the caller's transaction, the listing row already locked: post
 * each winning hold for its fill and release the rest, create the loan and its notes with their
 * schedules, take the platform fee from the disbursement, emit the events. Or fail it and release all.
 */
export async function clearLockedListing(ctx: AppContext, tx: Tx, listing: ListingRow, nowMs: number, messages: OutboxMessage[]): Promise<'cleared' | 'failed'> {
  const settings = ctx.settings.get();
  const at = new Date(nowMs);
  const rowsActive = await activeBids(tx, listing.id);
  const byId = new Map(rowsActive.map((b) => [b.id, b]));
  const result = failWhenClaimsDue(listing, clearListing(listing, rowsActive.map(activeBidOf), settings.platformFeeBps, listing.minFundingPct), nowMs);
  await lockAccounts(tx, [...rowsActive.map((b) => walletAccountId(b.lenderId)), walletAccountId(listing.borrowerUserId)]);
  const [merchant] = await tx.select({ partnerId: merchants.partnerId, ref: merchants.ref }).from(merchants).where(eq(merchants.id, listing.merchantId));
  // The loan's id is known before it exists, so that the cleared event can name it.
  const loanId = newId('loan', at.getTime());
  for (const e of result.events) messages.push({ channel: `listing:${listing.id}`, type: e.type, seq: e.seq, data: e.type === 'listing.cleared' ? { ...e.data, loanId } : e.data });
  if (result.outcome === 'failed') {
    await applyBatch(tx, [], rowsActive.map((b) => ({ id: `xfr_rel_${b.id}`, hold: bidHold(b, listing.borrowerUserId), phase: 'void' as const, amountMinor: 0, kind: 'bid_release' })), at);
    if (rowsActive.length) await tx.update(bids).set({ status: 'released', updatedAt: at }).where(inArray(bids.id, rowsActive.map((b) => b.id)));
    await tx.update(listings).set({ status: 'failed', seq: result.seq, closedAt: at }).where(eq(listings.id, listing.id));
    await releaseCollateral(tx, listing.id);
    await endGuaranteeOfListing(tx, listing.id, at);
    for (const b of rowsActive) messages.push({ channel: `user:${b.lenderId}`, type: 'bid.released', data: { listingId: listing.id, bidId: b.id, releasedMinor: b.amountMinor, reason: 'listing.failed' } });
    messages.push({ channel: `user:${listing.borrowerUserId}`, type: 'listing.failed', data: { listingId: listing.id, coverageMinor: result.coverageMinor, requiredMinor: result.requiredMinor } });
    messages.push(...(await walletMessages(tx, rowsActive.map((b) => b.lenderId), 'bid.released')));
    if (merchant) await queueWebhook(ctx, tx, merchant.partnerId, 'listing.failed', { merchantRef: merchant.ref, listingId: listing.id, coverageMinor: result.coverageMinor, requiredMinor: result.requiredMinor });
    return 'failed';
  }
  await disburse(ctx, tx, listing, result, byId, at, messages, merchant, loanId);
  return 'cleared';
}

async function disburse(
  ctx: AppContext,
  tx: Tx,
  listing: ListingRow,
  result: ClearedOutcome,
  byId: Map<string, BidRow>,
  at: Date,
  messages: OutboxMessage[],
  merchant: { partnerId: string; ref: string } | undefined,
  loanId: string,
): Promise<void> {
  // Every winning hold posted for its fill (the rest released), in one set-based ledger batch.
  await applyBatch(
    tx,
    [],
    result.postings.map((p) => {
      const bid = byId.get(p.bidId)!;
      return p.postMinor > 0
        ? { id: `xfr_fill_${bid.id}`, hold: bidHold(bid, listing.borrowerUserId), phase: 'post' as const, amountMinor: p.postMinor, kind: 'bid_fill' }
        : { id: `xfr_rel_${bid.id}`, hold: bidHold(bid, listing.borrowerUserId), phase: 'void' as const, amountMinor: 0, kind: 'bid_release' };
    }),
    at,
  );
  if (result.feeMinor > 0) {
    // The fee comes out of the disbursement, after the fills have reached the borrower's wallet.
    await transfer(tx, { id: `xfr_fee_${listing.id}`, debitAccountId: walletAccountId(listing.borrowerUserId), creditAccountId: PLATFORM_FEES_ACCOUNT, amountMinor: result.feeMinor, kind: 'platform_fee', reference: listing.id, at });
  }
  // A guaranteed loan pays its guarantor's fee from the disbursement too (docs/guarantees.md).
  const guaranteeFeeMinor = await guaranteeAtClearing(tx, listing, loanId, result.principalMinor, at, messages);
  const fills = new Map(result.postings.map((p) => [p.bidId, p.postMinor]));
  // Bids are updated set-wise: thousands of winners must not cost thousands of round trips.
  const filledIds = result.postings.filter((p) => p.postMinor > 0).map((p) => p.bidId);
  const releasedIds = result.postings.filter((p) => p.postMinor === 0).map((p) => p.bidId);
  if (filledIds.length) {
    await tx.execute(sql`update bids set status = 'filled', fill_minor = v.fill, updated_at = ${at.toISOString()}::timestamptz
      from jsonb_to_recordset(${JSON.stringify(filledIds.map((id) => ({ id, fill: fills.get(id) })))}::jsonb) as v(id text, fill bigint) where bids.id = v.id`);
  }
  if (releasedIds.length) await tx.update(bids).set({ status: 'released', updatedAt: at }).where(inArray(bids.id, releasedIds));
  const disbursedOn = isoDateOfMs(at.getTime());
  await insertLoan(tx, {
    id: loanId,
    listingId: listing.id,
    borrowerUserId: listing.borrowerUserId,
    merchantId: listing.merchantId,
    principalMinor: result.principalMinor,
    rateBps: result.borrowerRateBps,
    termMonths: listing.termMonths,
    repayment: listing.repayment as RepaymentKind,
    maturesOn: listing.maturesOn,
    pricing: listing.pricing,
    product: listing.product,
    grade: listing.grade,
    feeMinor: result.feeMinor,
    disbursedOn,
    receiptId: listing.receiptId,
    notes: result.notes.map((n) => ({ id: `note_${n.bidId.slice(4)}`, bidId: n.bidId, lenderId: n.lenderId, principalMinor: n.principalMinor, rateBps: n.rateBps })),
    at,
  });
  await tx.update(listings).set({ status: 'cleared', seq: result.seq, closedAt: at, loanId }).where(eq(listings.id, listing.id));
  for (const n of result.notify) messages.push({ channel: `user:${n.userId}`, type: n.type, data: { ...n.data, loanId, listingId: listing.id } });
  messages.push({
    channel: `user:${listing.borrowerUserId}`,
    type: 'loan.disbursed',
    data: { loanId, listingId: listing.id, principalMinor: result.principalMinor, feeMinor: result.feeMinor, disbursementMinor: result.disbursementMinor - guaranteeFeeMinor, guaranteeFeeMinor, rateBps: result.borrowerRateBps },
  });
  // Lenders learn of the loan from bid.filled (it names the loan); a second message each would double
  // the work of a clearing with thousands of them.
  const lenderIds = [...new Set(result.postings.map((p) => p.lenderId))];
  messages.push(...(await walletMessages(tx, lenderIds, 'listing.cleared')), ...(await walletMessages(tx, [listing.borrowerUserId], 'loan.disbursed')));
  if (merchant) {
    await queueWebhook(ctx, tx, merchant.partnerId, 'listing.cleared', {
      merchantRef: merchant.ref,
      listingId: listing.id,
      loanId,
      principalMinor: result.principalMinor,
      rateBps: result.borrowerRateBps,
      feeMinor: result.feeMinor,
      disbursementMinor: result.disbursementMinor,
    });
  }
}

/**
 * A claim-backed listing ends at least a day before it matures (docs/supply-chain.md), so it clears before
 * its claims fall due. Only a clock moved past its maturity before the close ran could get here: then
 * there is no time left to lend in, and the listing fails like an unfunded one.
 */
function failWhenClaimsDue(listing: ListingRow, result: ClearingResult, nowMs: number): ClearingResult {
  if (result.outcome !== 'cleared' || listing.maturesOn === null || isoDateOfMs(nowMs) < listing.maturesOn) return result;
  const { coverageMinor } = result.book;
  const requiredMinor = requiredCoverageMinor(listing.amountMinor, listing.minFundingPct);
  return { outcome: 'failed', coverageMinor, requiredMinor, postings: [], events: [{ seq: result.seq, type: 'listing.failed', data: { coverageMinor, requiredMinor } }], notify: [], seq: result.seq, book: result.book };
}

/** A bid's hold as the bid knows it: lender wallet → borrower wallet, pending, for its amount. */
function bidHold(b: BidRow, borrowerUserId: string): KnownHold {
  return { id: b.holdId, debitAccountId: walletAccountId(b.lenderId), creditAccountId: walletAccountId(borrowerUserId), amountMinor: b.amountMinor, kind: 'bid_hold', reference: b.id };
}

/**
 * Finds open listings past their end and closes them: the safety net under the close jobs (a job Redis
 * lost, a node that died holding one). Cheap when there is nothing to do.
 */
export async function sweepListings(ctx: AppContext, limit = 100): Promise<number> {
  const due = await ctx.db
    .select({ id: listings.id })
    .from(listings)
    .where(and(eq(listings.status, 'open'), lte(listings.endsAt, new Date(ctx.clock.nowMs()))))
    .orderBy(asc(listings.endsAt))
    .limit(limit);
  let closed = 0;
  for (const { id } of due) {
    const outcome = await closeListing(ctx, id);
    if (outcome === 'cleared' || outcome === 'failed') closed++;
  }
  return closed;
}
