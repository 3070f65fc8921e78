/**
 * Test helpers for the auction core: a listing and settings with docs/market-rules.md defaults, and `Market`, a
 * tiny stand-in for the service layer that applies accepted results (bids, holds, seq, endsAt) the way
 * the real service writes them, so a scenario reads as a list of bids.
 */
import { expect } from 'vitest';
import {
  amendBid,
  clearListing,
  placeBid,
  type ActiveBid,
  type AmendBidAccepted,
  type AuctionListing,
  type BidLender,
  type BidSettings,
  type ClearingResult,
  type ListingEvent,
  type PlaceBidAccepted,
  type Pricing,
} from '../../../src/domain/auction/index.js';
import type { Rejection } from '../../../src/domain/errors.js';
import { DEFAULT_SETTINGS } from '../../../src/domain/settings.js';

export const T0_MS = 1_700_000_000_000;
export const HOUR_MS = 3_600_000;

export const SETTINGS: BidSettings = {
  minBidMinor: DEFAULT_SETTINGS.minBidMinor,
  lenderListingCapPct: DEFAULT_SETTINGS.lenderListingCapPct,
  gradeFloorBps: {},
  softCloseSec: DEFAULT_SETTINGS.softCloseSec,
  softCloseMaxExtensionSec: DEFAULT_SETTINGS.softCloseMaxExtensionSec,
};

export function makeListing(over: Partial<AuctionListing> = {}): AuctionListing {
  return {
    id: 'lst_1',
    status: 'open',
    endsAtMs: T0_MS + 24 * HOUR_MS,
    originalEndsAtMs: T0_MS + 24 * HOUR_MS,
    amountMinor: 1_000_000,
    maxRateBps: 1500,
    pricing: 'uniform',
    closeWhenFunded: false,
    grade: 'B',
    borrowerUserId: 'usr_borrower',
    seq: 0,
    ...over,
  };
}

export function lender(userId: string, over: Partial<BidLender> = {}): BidLender {
  return { userId, kycComplete: true, riskProfile: 'aggressive', ...over };
}

export function bidOf(id: string, lenderId: string, amountMinor: number, rateBps: number, priority: number): ActiveBid {
  return { id, lenderId, amountMinor, rateBps, priority };
}

export function expectAccepted<T extends { ok: true }>(r: T | Rejection): T {
  if (!r.ok) expect.fail(`expected acceptance, got ${r.code}: ${r.detail}`);
  return r;
}

export function expectRejected(r: { ok: boolean } | Rejection): Rejection {
  if (r.ok) expect.fail('expected a rejection');
  return r as Rejection;
}

/** Applies accepted results like the service would; wallets start with plenty unless told. */
export class Market {
  listing: AuctionListing;
  bids: ActiveBid[] = [];
  holds = new Map<string, number>();
  released = new Map<string, number>();
  events: ListingEvent[] = [];
  nowMs = T0_MS;
  private nextId = 1;

  constructor(
    over: Partial<AuctionListing> = {},
    readonly settings: BidSettings = SETTINGS,
  ) {
    this.listing = makeListing(over);
  }

  static withPricing(pricing: Pricing, over: Partial<AuctionListing> = {}): Market {
    return new Market({ ...over, pricing });
  }

  /** The id the next accepted bid gets: b1, b2, ... */
  peekId(): string {
    return `b${this.nextId}`;
  }

  bid(lenderId: string, amountMinor: number, rateBps: number, availableMinor = 100_000_000): PlaceBidAccepted | Rejection {
    const r = placeBid({
      listing: this.listing,
      activeBids: this.bids,
      lender: lender(lenderId),
      bid: { amountMinor, rateBps },
      newBidId: this.peekId(),
      availableMinor,
      nowMs: this.nowMs,
      settings: this.settings,
    });
    if (r.ok) {
      this.nextId += 1;
      this.holds.set(r.bid.id, r.holdMinor);
      this.apply(r);
      if (r.closeNow) this.listing = { ...this.listing, status: 'cleared' };
    }
    return r;
  }

  amend(bidId: string, rateBps: number): AmendBidAccepted | Rejection {
    const r = amendBid({ listing: this.listing, activeBids: this.bids, bidId, rateBps, nowMs: this.nowMs, settings: this.settings });
    if (r.ok) this.apply(r);
    return r;
  }

  clear(platformFeeBps = 0, minFundingPct = 100): ClearingResult {
    return clearListing(this.listing, this.bids, platformFeeBps, minFundingPct);
  }

  private apply(r: PlaceBidAccepted | AmendBidAccepted): void {
    for (const o of r.outbid) {
      expect(this.holds.get(o.bidId)).toBe(o.releasedMinor);
      this.holds.delete(o.bidId);
      this.released.set(o.bidId, o.releasedMinor);
    }
    this.bids = r.book.entries.map((e) => ({ id: e.id, lenderId: e.lenderId, amountMinor: e.amountMinor, rateBps: e.rateBps, priority: e.priority }));
    this.listing = { ...this.listing, seq: r.seq, endsAtMs: r.endsAtMs };
    this.events.push(...r.events);
  }
}
