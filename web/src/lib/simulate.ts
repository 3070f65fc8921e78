/**
 * What a bid (or an amend) would do if sent now: the same pure book code as the server
 * (src/domain/auction/book.ts) run on the live bids plus the candidate, and the checks of docs/market-rules.md §2
 * that the client can know, in their order. The server still decides; this is the preview.
 */
import type { Book } from '../../../src/domain/auction/book.js';
import { riskProfileAllows } from '../../../src/domain/grades.js';
import { bookOf, type LiveBid } from './live.js';
import type { ListingSummary, RiskProfile } from './types.js';

export const DEFAULT_MIN_BID_MINOR = 10_000;

export interface SimulationInput {
  listing: Pick<ListingSummary, 'amountMinor' | 'maxRateBps' | 'pricing' | 'status' | 'endsAt' | 'closeWhenFunded' | 'grade' | 'seq'>;
  bids: readonly LiveBid[];
  nowMs: number;
  lender?: { kycVerified: boolean; riskProfile: RiskProfile | null; availableMinor: number | null; activeBidId: string | null };
  minBidMinor?: number;
}

export interface Simulation {
  /** win: fully in the winning set; partial: the marginal bid; reject: refused with `code`. */
  verdict: 'win' | 'partial' | 'reject';
  code: string | null;
  /** The figures of the refusal, as the server would send them (a sentence in yuan and percent). */
  extra?: Record<string, number>;
  /** The amount the bid would hold (trimmed under closeWhenFunded). */
  holdMinor: number;
  fillMinor: number;
  /** The rate the bid would lend at if the listing cleared now. */
  rateBps: number;
  currentRateBefore: number;
  currentRateAfter: number;
  fundedPctAfter: number;
  /** Bids it would push out of the book. */
  outbid: { count: number; amountMinor: number };
  /** Under closeWhenFunded, the bid would clear the listing at once. */
  clearsNow: boolean;
  book: Book;
}

function reject(code: string, before: Book, extra?: Record<string, number>): Simulation {
  return {
    verdict: 'reject',
    code,
    ...(extra ? { extra } : {}),
    holdMinor: 0,
    fillMinor: 0,
    rateBps: 0,
    currentRateBefore: before.currentRateBps,
    currentRateAfter: before.currentRateBps,
    fundedPctAfter: before.fundedPct,
    outbid: { count: 0, amountMinor: 0 },
    clearsNow: false,
    book: before,
  };
}

function nextPriority(input: SimulationInput): number {
  return Math.max(input.listing.seq, ...input.bids.map((b) => b.priority), 0) + 1;
}

function outcome(input: SimulationInput, before: Book, bidsAfter: LiveBid[], id: string, holdMinor: number, clearsNow: boolean): Simulation {
  const after = bookOf(input.listing, bidsAfter);
  const entry = after.entries.find((e) => e.id === id);
  const pushed = after.entries.filter((e) => !e.winning && e.id !== id);
  if (!entry || !entry.winning) return reject('BID_NOT_COMPETITIVE', before);
  // The settled book (pushed-out bids removed) gives the current rate after the change.
  const settled = pushed.length ? bookOf(input.listing, bidsAfter.filter((b) => !pushed.some((p) => p.id === b.bidId))) : after;
  const own = settled.entries.find((e) => e.id === id)!;
  return {
    verdict: own.fillMinor < own.amountMinor ? 'partial' : 'win',
    code: null,
    holdMinor,
    fillMinor: own.fillMinor,
    rateBps: input.listing.pricing === 'uniform' ? settled.currentRateBps : own.rateBps,
    currentRateBefore: before.currentRateBps,
    currentRateAfter: settled.currentRateBps,
    fundedPctAfter: settled.fundedPct,
    outbid: { count: pushed.length, amountMinor: pushed.reduce((s, e) => s + e.amountMinor, 0) },
    clearsNow,
    book: settled,
  };
}

function openCheck(input: SimulationInput): string | null {
  if (input.listing.status !== 'open' || Date.parse(input.listing.endsAt) <= input.nowMs) return 'LISTING_NOT_OPEN';
  return null;
}

export function simulateBid(input: SimulationInput, candidate: { amountMinor: number; rateBps: number }): Simulation {
  const before = bookOf(input.listing, input.bids);
  const { listing, lender } = input;
  const closed = openCheck(input);
  if (closed) return reject(closed, before);
  if (lender) {
    if (!lender.kycVerified || !lender.riskProfile || !riskProfileAllows(lender.riskProfile, listing.grade)) return reject('LENDER_NOT_ELIGIBLE', before);
    if (lender.activeBidId) return reject('BID_EXISTS', before);
  }
  const amount = candidate.amountMinor;
  if (!Number.isSafeInteger(amount) || amount <= 0 || amount < (input.minBidMinor ?? DEFAULT_MIN_BID_MINOR) || amount % 100 !== 0 || amount > listing.amountMinor) {
    return reject('BID_AMOUNT_INVALID', before, { minMinor: input.minBidMinor ?? DEFAULT_MIN_BID_MINOR, maxMinor: listing.amountMinor });
  }
  if (!Number.isSafeInteger(candidate.rateBps) || candidate.rateBps < 1 || candidate.rateBps > listing.maxRateBps) return reject('BID_RATE_INVALID', before, { minRateBps: 1, maxRateBps: listing.maxRateBps });
  if (before.coverageMinor >= listing.amountMinor) {
    const marginal = before.entries.find((e) => e.id === before.marginalBidId);
    if (marginal && candidate.rateBps >= marginal.rateBps) return reject('BID_NOT_COMPETITIVE', before, { marginalRateBps: marginal.rateBps });
  }
  const holdMinor = listing.closeWhenFunded ? Math.min(amount, listing.amountMinor - before.coverageMinor) : amount;
  if (lender && lender.availableMinor !== null && lender.availableMinor < holdMinor) return reject('INSUFFICIENT_FUNDS', before, { neededMinor: holdMinor, availableMinor: lender.availableMinor });
  const id = '__candidate__';
  const bids: LiveBid[] = [...input.bids, { bidId: id, amountMinor: holdMinor, rateBps: candidate.rateBps, priority: nextPriority(input) }];
  const clearsNow = listing.closeWhenFunded && before.coverageMinor + holdMinor >= listing.amountMinor;
  return outcome(input, before, bids, id, holdMinor, clearsNow);
}

export function simulateAmend(input: SimulationInput, bidId: string, rateBps: number): Simulation {
  const before = bookOf(input.listing, input.bids);
  const closed = openCheck(input);
  if (closed) return reject(closed, before);
  const current = input.bids.find((b) => b.bidId === bidId);
  if (!current) return reject('BID_NOT_ACTIVE', before);
  if (!Number.isSafeInteger(rateBps) || rateBps < 1 || rateBps > input.listing.maxRateBps) return reject('BID_RATE_INVALID', before);
  if (rateBps >= current.rateBps) return reject('AMEND_RATE_NOT_LOWER', before);
  const bids = input.bids.map((b) => (b.bidId === bidId ? { ...b, rateBps, priority: nextPriority(input) } : b));
  return outcome(input, before, bids, bidId, current.amountMinor, false);
}
