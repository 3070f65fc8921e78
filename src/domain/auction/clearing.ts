/**
 * Clearing and withdrawing a listing (docs/market-rules.md §4 and §1 "States").
 *
 * Clearing happens at `endsAt`, or at once under `closeWhenFunded`. The listing clears when
 * coverage × 100 ≥ minFundingPct × amount — the same as coverage ≥ ceil(minFundingPct% × amount) for
 * integer coverage, computed without division — and otherwise fails with every hold released.
 *
 * When it clears: principal = min(coverage, amount); one note per winning bid for its fill (zero fills
 * get no note), at the listing's uniform rate — the current rate of §3, so a partly funded listing
 * clears at `maxRateBps` — or, under `pay_as_bid`, at the bid's own rate. Each hold is posted for its
 * fill and the rest released; a bid without a fill is released whole. The platform fee is
 * `platformFeeBps` of the principal rounded half-even to minor units, taken from the disbursement.
 * The borrower's rate is the uniform rate, or the fill-weighted mean of the notes' rates rounded
 * half-even to whole bps.
 *
 * "Exactly once" is the service's job (a status change under the listing's row lock); this function is
 * a pure function of the book and may be recomputed any number of times with the same result.
 *
 * Withdrawal (decided here, docs/market-rules.md is silent on the edge): only an open listing whose `endsAt` has
 * not passed may be withdrawn; once the auction has ended, it is due for clearing and the borrower can
 * no longer back out of the result.
 */
import { assert } from '../assert.js';
import { Dec, decFromInt, toMinorHalfEven } from '../decimal.js';
import { reject, type Rejection } from '../errors.js';
import { computeBook, fillWeightedRateBps, type Book, type BookTerms } from './book.js';
import { divCeil, sequencer, toSafeNumber } from './math.js';
import { assertTimeMs, isOpenAt } from './timing.js';
import type {
  ActiveBid,
  LenderNotification,
  ListingClearedEvent,
  ListingFailedEvent,
  ListingStatus,
  ListingWithdrawnEvent,
} from './types.js';

export interface ClearingListing extends BookTerms {
  readonly id: string;
  /** Last used seq; the clearing event takes the next one. */
  readonly seq: number;
}

export interface Note {
  bidId: string;
  lenderId: string;
  principalMinor: number;
  rateBps: number;
}

/** What happens to one bid's hold: `postMinor` is lent, `releaseMinor` returns to the wallet. */
export interface Posting {
  bidId: string;
  lenderId: string;
  holdMinor: number;
  postMinor: number;
  releaseMinor: number;
}

export interface ClearedOutcome {
  outcome: 'cleared';
  principalMinor: number;
  borrowerRateBps: number;
  feeMinor: number;
  disbursementMinor: number;
  notes: Note[];
  postings: Posting[];
  events: [ListingClearedEvent];
  notify: LenderNotification[];
  seq: number;
  book: Book;
}

export interface FailedOutcome {
  outcome: 'failed';
  coverageMinor: number;
  requiredMinor: number;
  postings: Posting[];
  events: [ListingFailedEvent];
  notify: [];
  seq: number;
  book: Book;
}

export type ClearingResult = ClearedOutcome | FailedOutcome;

/** Smallest coverage that clears: ceil(minFundingPct × amount / 100). */
export function requiredCoverageMinor(amountMinor: number, minFundingPct: number): number {
  assert(Number.isSafeInteger(minFundingPct) && minFundingPct >= 1 && minFundingPct <= 100, `minFundingPct must be 1..100, got ${minFundingPct}`);
  return toSafeNumber(divCeil(BigInt(minFundingPct) * BigInt(amountMinor), 100n), 'requiredCoverageMinor');
}

/** True when a listing is past its end and still open: the close job should clear it now. */
export function closeDue(listing: { status: ListingStatus; endsAtMs: number }, nowMs: number): boolean {
  assertTimeMs(nowMs, 'nowMs');
  return listing.status === 'open' && nowMs >= listing.endsAtMs;
}

function releaseAll(bids: readonly ActiveBid[]): Posting[] {
  return bids.map((b) => ({ bidId: b.id, lenderId: b.lenderId, holdMinor: b.amountMinor, postMinor: 0, releaseMinor: b.amountMinor }));
}

function feeOf(principalMinor: number, platformFeeBps: number): number {
  assert(Number.isSafeInteger(platformFeeBps) && platformFeeBps >= 0 && platformFeeBps <= 10000, `platformFeeBps invalid: ${platformFeeBps}`);
  return toMinorHalfEven(decFromInt(principalMinor).mul(platformFeeBps).div(new Dec(10000)));
}

export function clearListing(
  listing: ClearingListing,
  activeBids: readonly ActiveBid[],
  platformFeeBps: number,
  minFundingPct: number,
): ClearingResult {
  const book = computeBook(listing, activeBids);
  const seq = sequencer(listing.seq).next();
  const requiredMinor = requiredCoverageMinor(listing.amountMinor, minFundingPct);
  if (book.coverageMinor < requiredMinor) {
    const event: ListingFailedEvent = { seq, type: 'listing.failed', data: { coverageMinor: book.coverageMinor, requiredMinor } };
    const postings = releaseAll(book.entries);
    return { outcome: 'failed', coverageMinor: book.coverageMinor, requiredMinor, postings, events: [event], notify: [], seq, book };
  }

  const uniform = listing.pricing === 'uniform';
  const notes: Note[] = book.entries
    .filter((e) => e.fillMinor > 0)
    .map((e) => ({ bidId: e.id, lenderId: e.lenderId, principalMinor: e.fillMinor, rateBps: uniform ? book.currentRateBps : e.rateBps }));
  const postings: Posting[] = book.entries.map((e) => ({
    bidId: e.id,
    lenderId: e.lenderId,
    holdMinor: e.amountMinor,
    postMinor: e.fillMinor,
    releaseMinor: e.amountMinor - e.fillMinor,
  }));
  const principalMinor = book.filledMinor;
  const borrowerRateBps = uniform ? book.currentRateBps : fillWeightedRateBps(book.entries);
  assert(borrowerRateBps !== null && principalMinor > 0, 'a cleared listing lends something');
  const feeMinor = feeOf(principalMinor, platformFeeBps);

  const releasedById = new Map(postings.map((p) => [p.bidId, p.releaseMinor]));
  const notify: LenderNotification[] = notes.map((n) => ({
    userId: n.lenderId,
    type: 'bid.filled',
    data: { listingId: listing.id, bidId: n.bidId, fillMinor: n.principalMinor, rateBps: n.rateBps, releasedMinor: releasedById.get(n.bidId) ?? 0 },
  }));
  const fills = notes.map((n) => ({ bidId: n.bidId, fillMinor: n.principalMinor, rateBps: n.rateBps }));
  const event: ListingClearedEvent = { seq, type: 'listing.cleared', data: { principalMinor, borrowerRateBps, pricing: listing.pricing, fills } };
  return { outcome: 'cleared', principalMinor, borrowerRateBps, feeMinor, disbursementMinor: principalMinor - feeMinor, notes, postings, events: [event], notify, seq, book };
}

export interface WithdrawListing {
  readonly id: string;
  readonly status: ListingStatus;
  readonly endsAtMs: number;
  readonly seq: number;
}

export interface WithdrawAccepted {
  ok: true;
  postings: Posting[];
  events: [ListingWithdrawnEvent];
  seq: number;
}

export function withdrawListing(listing: WithdrawListing, activeBids: readonly ActiveBid[], nowMs: number): WithdrawAccepted | Rejection {
  assertTimeMs(nowMs, 'nowMs');
  if (listing.status !== 'open' && listing.status !== 'pending_guarantee') return reject('LISTING_NOT_WITHDRAWABLE', `the listing is ${listing.status}`);
  // Waiting for its guarantor, a listing has no bids and no end yet: it may always be withdrawn.
  if (listing.status !== 'pending_guarantee' && !isOpenAt(listing, nowMs)) return reject('LISTING_NOT_WITHDRAWABLE', 'the auction has ended and is being cleared');
  const seq = sequencer(listing.seq).next();
  const postings = releaseAll(activeBids);
  return { ok: true, postings, events: [{ seq, type: 'listing.withdrawn', data: { releasedBidIds: postings.map((p) => p.bidId) } }], seq };
}
