/**
 * Placing and amending bids (docs/market-rules.md §2, §3): a pure decision on the locked listing's state.
 *
 * `placeBid` runs the checks of §2 in their order and returns the first failure; on acceptance it
 * returns everything the service writes in its one transaction: the new bid and its hold, the bids it
 * pushed out of the winning set (their holds are released), the events with contiguous seqs, the new
 * listing seq and endsAt, and whether the listing clears at once (`closeWhenFunded`).
 *
 * Decisions where docs/market-rules.md is silent:
 * - Amount and rate checks (5, 6) judge the bid as submitted. Under `closeWhenFunded` the bid that
 *   reaches the amount is trimmed to the remainder (§3); the cap (7) and the funds (9) checks judge the
 *   trimmed amount, since that is what the bid would hold. A trimmed bid may end up below the minimum bid.
 * - A bid or amend that makes the listing clear at once does not extend it.
 * - `amendBid` checks, in order: LISTING_NOT_OPEN, BID_NOT_ACTIVE, BID_RATE_INVALID (same rule as
 *   check 6), AMEND_RATE_NOT_LOWER. Lowering a rate never changes coverage, so it never triggers
 *   `closeWhenFunded`; it can push other bids out and extends the listing like a bid.
 * - A user without a risk profile is not eligible to bid; the platform itself is refused as
 *   SELF_DEALING (§7: it never bids).
 */
import { assert, assertNonNegativeMinor } from '../assert.js';
import { reject, type ErrorCode, type Rejection } from '../errors.js';
import { riskProfileAllows, type Grade, type RiskProfile } from '../grades.js';
import { isWholeMajor } from '../money.js';
import type { Settings } from '../settings.js';
import { bidIndexOf, computeBook, insertIntoSettledBook, type BidIndex, type Book, type BookEntry } from './book.js';
import { sequencer } from './math.js';
import { assertTimeMs, isOpenAt, softCloseEndsAtMs } from './timing.js';
import type {
  ActiveBid,
  AuctionListing,
  BidAmendedEvent,
  LenderNotification,
  ListingEvent,
  OutbidBid,
} from './types.js';

export type BidSettings = Pick<
  Settings,
  'minBidMinor' | 'lenderListingCapPct' | 'gradeFloorBps' | 'softCloseSec' | 'softCloseMaxExtensionSec'
>;
export type AmendSettings = Pick<Settings, 'gradeFloorBps' | 'softCloseSec' | 'softCloseMaxExtensionSec'>;

export interface BidLender {
  readonly userId: string;
  readonly kycComplete: boolean;
  readonly riskProfile: RiskProfile | null;
  readonly isPlatform?: boolean;
  /** The lender is the listing's borrower under another account (the same verified person). */
  readonly isBorrower?: boolean;
}

export interface PlaceBidInput {
  readonly listing: AuctionListing;
  readonly activeBids: readonly ActiveBid[];
  readonly lender: BidLender;
  readonly bid: { readonly amountMinor: number; readonly rateBps: number };
  /** Id for the new bid, made by the caller (the domain has no randomness). */
  readonly newBidId: string;
  /** The lender's wallet balance available for a new hold. */
  readonly availableMinor: number;
  readonly nowMs: number;
  readonly settings: BidSettings;
  /**
   * The book of `activeBids`, when the caller has it from the change it just made (a batch of bids):
   * saves recomputing it. It must be exactly computeBook(listing, activeBids).
   */
  readonly bookBefore?: Book;
}

/** What changes when a bid or an amend is accepted. */
interface BookChange {
  ok: true;
  /** Bids that left the book, in book order; release each `releasedMinor`. */
  outbid: OutbidBid[];
  /** In seq order, contiguous from the listing's seq + 1. */
  events: ListingEvent[];
  /** Private notices for lenders' `me` channels. */
  notify: LenderNotification[];
  /** The listing's last used seq after this change (= seq of the last event). */
  seq: number;
  endsAtMs: number;
  extended: boolean;
  /** The settled book after the change: every entry is winning. */
  book: Book;
}

export interface PlaceBidAccepted extends BookChange {
  /** The new active bid; its `amountMinor` is the (possibly trimmed) amount held. */
  bid: ActiveBid;
  requestedAmountMinor: number;
  holdMinor: number;
  trimmed: boolean;
  /** closeWhenFunded and the amount is now covered: clear the listing in the same transaction. */
  closeNow: boolean;
}

export type PlaceBidResult = PlaceBidAccepted | Rejection;

export interface AmendBidInput {
  readonly listing: AuctionListing;
  readonly activeBids: readonly ActiveBid[];
  readonly bidId: string;
  readonly rateBps: number;
  readonly nowMs: number;
  readonly settings: AmendSettings;
}

export interface AmendBidAccepted extends BookChange {
  /** The bid with its new rate and priority. */
  bid: ActiveBid;
  fromRateBps: number;
  closeNow: false;
}

export type AmendBidResult = AmendBidAccepted | Rejection;

// ---- checks of §2, each returning its rejection or null ----

interface BidContext {
  readonly input: PlaceBidInput;
  readonly bookBefore: Book;
  /** Who holds what among `input.activeBids`, when known (a batch's second bid on a listing onwards). */
  readonly index: BidIndex | undefined;
}

/** The amount the bid would hold: trimmed to the remainder under closeWhenFunded (§3). */
function amountToHold(ctx: BidContext): number {
  const { listing, bid } = ctx.input;
  if (!listing.closeWhenFunded) return bid.amountMinor;
  return Math.min(bid.amountMinor, listing.amountMinor - ctx.bookBefore.coverageMinor);
}

function checkOpen({ input }: BidContext): Rejection | null {
  return openRejection(input.listing, input.nowMs);
}

function openRejection(listing: AuctionListing, nowMs: number): Rejection | null {
  if (isOpenAt(listing, nowMs)) return null;
  return listing.status === 'open'
    ? reject('LISTING_NOT_OPEN', 'the auction has ended')
    : reject('LISTING_NOT_OPEN', `the listing is ${listing.status}`);
}

/** KYC done and a risk profile that allows the grade: what lending (a bid, or buying a note) needs. */
export function lenderEligibility(lender: { kycComplete: boolean; riskProfile: RiskProfile | null }, grade: Grade): Rejection | null {
  if (!lender.kycComplete) return reject('LENDER_NOT_ELIGIBLE', 'KYC is not complete');
  if (lender.riskProfile === null) return reject('LENDER_NOT_ELIGIBLE', 'no risk profile set');
  if (!riskProfileAllows(lender.riskProfile, grade)) {
    return reject('LENDER_NOT_ELIGIBLE', `a ${lender.riskProfile} risk profile does not allow grade ${grade}`);
  }
  return null;
}

function checkLenderEligible({ input }: BidContext): Rejection | null {
  return lenderEligibility(input.lender, input.listing.grade);
}

function checkSelfDealing({ input }: BidContext): Rejection | null {
  if (input.lender.isPlatform === true) return reject('SELF_DEALING', 'the platform never bids');
  if (input.lender.userId === input.listing.borrowerUserId || input.lender.isBorrower === true) return reject('SELF_DEALING', 'this is your own listing');
  return null;
}

function checkNoActiveBid({ input, index }: BidContext): Rejection | null {
  const mine = index?.byLender.get(input.lender.userId);
  if (index && !mine) return null;
  const existing = mine?.id ? { id: mine.id } : input.activeBids.find((b) => b.lenderId === input.lender.userId);
  return existing ? reject('BID_EXISTS', `you already have active bid ${existing.id}; amend it instead`) : null;
}

function checkAmount({ input }: BidContext): Rejection | null {
  const amountMinor = input.bid.amountMinor;
  const { minBidMinor } = input.settings;
  if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0) return reject('BID_AMOUNT_INVALID', 'the amount must be a positive integer of minor units');
  if (amountMinor < minBidMinor) return reject('BID_AMOUNT_INVALID', `the minimum bid is ${minBidMinor} minor units`, { minMinor: minBidMinor, maxMinor: input.listing.amountMinor });
  if (!isWholeMajor(amountMinor)) return reject('BID_AMOUNT_INVALID', 'the amount must be whole yuan', { minMinor: minBidMinor, maxMinor: input.listing.amountMinor, multipleOfMinor: 100 });
  if (amountMinor > input.listing.amountMinor) return reject('BID_AMOUNT_INVALID', `the amount is above the listing amount ${input.listing.amountMinor}`, { minMinor: minBidMinor, maxMinor: input.listing.amountMinor });
  return null;
}

/** Check 6 of §2, shared with amend: an integer in 1..maxRateBps and not below the grade's floor. */
function rateRejection(rateBps: number, listing: AuctionListing, gradeFloorBps: BidSettings['gradeFloorBps']): Rejection | null {
  if (!Number.isSafeInteger(rateBps) || rateBps < 1) return reject('BID_RATE_INVALID', 'the rate must be a positive integer of basis points');
  const floorBps = gradeFloorBps[listing.grade];
  if (rateBps > listing.maxRateBps) return reject('BID_RATE_INVALID', `the rate is above the listing's maximum ${listing.maxRateBps} bps`, { minRateBps: floorBps ?? 1, maxRateBps: listing.maxRateBps });
  if (floorBps !== undefined && rateBps < floorBps) {
    return reject('BID_RATE_INVALID', `the rate is below the floor ${floorBps} bps for grade ${listing.grade}`, { minRateBps: floorBps, maxRateBps: listing.maxRateBps, grade: listing.grade });
  }
  return null;
}

function checkRate({ input }: BidContext): Rejection | null {
  return rateRejection(input.bid.rateBps, input.listing, input.settings.gradeFloorBps);
}

function checkLenderCap(ctx: BidContext): Rejection | null {
  const { input } = ctx;
  const alreadyMinor = ctx.index ? (ctx.index.byLender.get(input.lender.userId)?.amountMinor ?? 0) : input.activeBids.filter((b) => b.lenderId === input.lender.userId).reduce((s, b) => s + b.amountMinor, 0);
  // (already + this) / amount > cap% without division: exact for any safe amounts.
  const exposure = BigInt(alreadyMinor + amountToHold(ctx)) * 100n;
  const cap = BigInt(input.settings.lenderListingCapPct) * BigInt(input.listing.amountMinor);
  if (exposure <= cap) return null;
  return reject('LENDER_LISTING_CAP', `your bids on this listing may not exceed ${input.settings.lenderListingCapPct}% of its amount`, { capPct: input.settings.lenderListingCapPct, maxMinor: Number((cap / 100n) - BigInt(alreadyMinor)) });
}

function checkCompetitive({ input, bookBefore }: BidContext): Rejection | null {
  if (bookBefore.coverageMinor < input.listing.amountMinor) return null;
  const marginal = bookBefore.entries.find((e) => e.id === bookBefore.marginalBidId);
  assert(marginal, 'a covered book has a marginal bid');
  if (input.bid.rateBps < marginal.rateBps) return null;
  return reject('BID_NOT_COMPETITIVE', `the listing is covered; bid below the marginal rate ${marginal.rateBps} bps`, { marginalRateBps: marginal.rateBps });
}

function checkFunds(ctx: BidContext): Rejection | null {
  const holdMinor = amountToHold(ctx);
  if (ctx.input.availableMinor >= holdMinor) return null;
  return reject('INSUFFICIENT_FUNDS', `the bid needs ${holdMinor} available, you have ${ctx.input.availableMinor}`, { neededMinor: holdMinor, availableMinor: ctx.input.availableMinor });
}

/** §2 in order: the first failing check decides. */
const BID_CHECKS: readonly (readonly [ErrorCode, (ctx: BidContext) => Rejection | null])[] = [
  ['LISTING_NOT_OPEN', checkOpen],
  ['LENDER_NOT_ELIGIBLE', checkLenderEligible],
  ['SELF_DEALING', checkSelfDealing],
  ['BID_EXISTS', checkNoActiveBid],
  ['BID_AMOUNT_INVALID', checkAmount],
  ['BID_RATE_INVALID', checkRate],
  ['LENDER_LISTING_CAP', checkLenderCap],
  ['BID_NOT_COMPETITIVE', checkCompetitive],
  ['INSUFFICIENT_FUNDS', checkFunds],
];

/** The rejection codes of §2 in the order they are checked. */
export const BID_CHECK_ORDER: readonly ErrorCode[] = BID_CHECKS.map(([code]) => code);

// ---- applying an accepted change ----

function asActiveBid(e: BookEntry): ActiveBid {
  return { id: e.id, lenderId: e.lenderId, amountMinor: e.amountMinor, rateBps: e.rateBps, priority: e.priority };
}

/** Removes bids pushed wholly outside the winning set and returns the settled book (§3). */
function settle(listing: AuctionListing, bids: readonly ActiveBid[]): { book: Book; outbid: OutbidBid[] } {
  const full = computeBook(listing, bids);
  const out = full.entries.filter((e) => !e.winning);
  const book = out.length === 0 ? full : computeBook(listing, full.entries.filter((e) => e.winning).map(asActiveBid));
  assert(book.entries.every((e) => e.winning), 'a settled book has only winning bids');
  return {
    book,
    outbid: out.map((e) => ({ bidId: e.id, lenderId: e.lenderId, amountMinor: e.amountMinor, rateBps: e.rateBps, releasedMinor: e.amountMinor })),
  };
}

/** Events and notices after the bid.accepted / bid.amended event: outbids, then the extension. */
function finishChange(
  listing: AuctionListing,
  settled: { book: Book; outbid: OutbidBid[] },
  first: ListingEvent,
  next: () => number,
  endsAtMs: number,
): Omit<BookChange, 'seq'> {
  const { book, outbid } = settled;
  const events: ListingEvent[] = [first];
  const notify: LenderNotification[] = [];
  for (const o of outbid) {
    events.push({ seq: next(), type: 'bid.outbid', data: { bidId: o.bidId, amountMinor: o.amountMinor, rateBps: o.rateBps } });
    notify.push({
      userId: o.lenderId,
      type: 'bid.outbid',
      data: { listingId: listing.id, bidId: o.bidId, amountMinor: o.amountMinor, rateBps: o.rateBps, releasedMinor: o.releasedMinor },
    });
  }
  const extended = endsAtMs !== listing.endsAtMs;
  if (extended) events.push({ seq: next(), type: 'listing.extended', data: { endsAtMs, previousEndsAtMs: listing.endsAtMs } });
  return { ok: true, outbid, events, notify, endsAtMs, extended, book };
}

function assertListingState(listing: AuctionListing, activeBids: readonly ActiveBid[], nowMs: number, known?: Book): Book {
  assertTimeMs(nowMs, 'nowMs');
  assert(Number.isSafeInteger(listing.seq) && listing.seq >= 0, 'listing seq must be an integer >= 0');
  assert(!known || known.bidCount === activeBids.length, 'the book given is not the book of these bids');
  const book = known ?? computeBook(listing, activeBids);
  if (known) {
    // A book handed over from the previous step is settled by construction (insertIntoSettledBook
    // asserts it); checking its last entry keeps this O(1) on a hot listing with thousands of bids.
    assert(book.entries.length === 0 || book.entries[book.entries.length - 1]!.winning, 'active bids must all be winning (outbid bids leave the book)');
  } else {
    assert(book.entries.every((e) => e.winning), 'active bids must all be winning (outbid bids leave the book)');
    assert(activeBids.every((b) => b.priority <= listing.seq), 'a bid priority is a seq already used');
  }
  if (listing.status === 'open') {
    assert(!listing.closeWhenFunded || book.coverageMinor < listing.amountMinor, 'a funded closeWhenFunded listing must have cleared');
  }
  return book;
}

export function placeBid(input: PlaceBidInput): PlaceBidResult {
  const { listing, lender, nowMs } = input;
  const bookBefore = assertListingState(listing, input.activeBids, nowMs, input.bookBefore);
  // With the book handed over from the step before (a batch), the bids are indexed once and the index
  // follows the book from bid to bid; a lone bid scans, which is cheaper than building it.
  const index = bidIndexOf(input.activeBids, input.bookBefore !== undefined);
  assert(input.newBidId.length > 0 && !(index ? index.ids.has(input.newBidId) : input.activeBids.some((b) => b.id === input.newBidId)), 'newBidId must be new');
  assertNonNegativeMinor(input.availableMinor, 'availableMinor');

  const ctx: BidContext = { input, bookBefore, index };
  for (const [, check] of BID_CHECKS) {
    const rejection = check(ctx);
    if (rejection) return rejection;
  }

  const seq = sequencer(listing.seq);
  const holdMinor = amountToHold(ctx);
  assert(holdMinor > 0, 'an accepted bid holds a positive amount');
  const bid: ActiveBid = { id: input.newBidId, lenderId: lender.userId, amountMinor: holdMinor, rateBps: input.bid.rateBps, priority: seq.next() };
  const accepted: ListingEvent = { seq: bid.priority, type: 'bid.accepted', data: { bidId: bid.id, amountMinor: holdMinor, rateBps: bid.rateBps } };

  const closeNow = listing.closeWhenFunded && bookBefore.coverageMinor + holdMinor >= listing.amountMinor;
  const endsAtMs = closeNow ? listing.endsAtMs : softCloseEndsAtMs(listing, nowMs, input.settings);
  // A new bid only goes into the settled book: place it, and cut what it pushed out (no full re-sort).
  const inserted = insertIntoSettledBook(listing, bookBefore, bid);
  const settled = { book: inserted.book, outbid: inserted.outbid.map((e) => ({ bidId: e.id, lenderId: e.lenderId, amountMinor: e.amountMinor, rateBps: e.rateBps, releasedMinor: e.amountMinor })) };
  const change = finishChange(listing, settled, accepted, seq.next, endsAtMs);
  // The new bid is in the settled book unless it was cut off the end with the outbid ones.
  assert(!change.outbid.some((o) => o.bidId === bid.id), 'an accepted bid is always winning');
  assert(!closeNow || change.outbid.length === 0, 'a trimmed bid never pushes another out');
  return {
    ...change,
    seq: seq.last(),
    bid,
    requestedAmountMinor: input.bid.amountMinor,
    holdMinor,
    trimmed: holdMinor < input.bid.amountMinor,
    closeNow,
  };
}

export function amendBid(input: AmendBidInput): AmendBidResult {
  const { listing, nowMs } = input;
  assertListingState(listing, input.activeBids, nowMs);

  const closed = openRejection(listing, nowMs);
  if (closed) return closed;
  const current = input.activeBids.find((b) => b.id === input.bidId);
  if (!current) return reject('BID_NOT_ACTIVE', 'the bid was outbid, filled or released');
  const invalid = rateRejection(input.rateBps, listing, input.settings.gradeFloorBps);
  if (invalid) return invalid;
  if (input.rateBps >= current.rateBps) return reject('AMEND_RATE_NOT_LOWER', `the new rate must be below ${current.rateBps} bps`, { currentRateBps: current.rateBps });

  const seq = sequencer(listing.seq);
  const bid: ActiveBid = { ...current, rateBps: input.rateBps, priority: seq.next() };
  const amended: BidAmendedEvent = {
    seq: bid.priority,
    type: 'bid.amended',
    data: { bidId: bid.id, fromRateBps: current.rateBps, toRateBps: bid.rateBps, amountMinor: bid.amountMinor },
  };
  const others = input.activeBids.filter((b) => b.id !== bid.id);
  const endsAtMs = softCloseEndsAtMs(listing, nowMs, input.settings);
  const change = finishChange(listing, settle(listing, [...others, bid]), amended, seq.next, endsAtMs);
  assert(change.book.entries.some((e) => e.id === bid.id), 'a lowered bid stays winning');
  return { ...change, seq: seq.last(), bid, fromRateBps: current.rateBps, closeNow: false };
}
