/**
 * Shapes shared by the auction core (docs/market-rules.md §1–§4): the listing as the book sees it, active bids,
 * the events published on `listing:<id>` and the private notifications for a lender's `me` channel.
 *
 * Time order inside a listing is its sequence number (`seq`), never the wall clock: every event takes the
 * next seq, and a bid's `priority` is the seq of the event that gave it its current rate (accepted or
 * amended), so "earlier" in the book means "lower priority number".
 */
import type { Grade } from '../grades.js';

export const PRICINGS = ['uniform', 'pay_as_bid'] as const;
export type Pricing = (typeof PRICINGS)[number];

/** `pending_guarantee`: waiting for its guarantor to accept (docs/guarantees.md); not biddable. */
export const LISTING_STATUSES = ['pending_guarantee', 'open', 'cleared', 'failed', 'withdrawn'] as const;

/**
 * How a bid stands, the one label every page shows: winning in whole or in part while the listing is
 * open, outbid, filled or only partly filled at clearing, released (the listing withdrawn or failed).
 */
export type BidStanding = 'winning' | 'winning_partial' | 'outbid' | 'filled' | 'partly_filled' | 'released';

export function bidStanding(status: 'active' | 'outbid' | 'filled' | 'released', amountMinor: number, fillMinor: number): BidStanding {
  if (status === 'active') return fillMinor < amountMinor ? 'winning_partial' : 'winning';
  if (status === 'filled') return fillMinor < amountMinor ? 'partly_filled' : 'filled';
  return status;
}
export type ListingStatus = (typeof LISTING_STATUSES)[number];

/** A bid that holds money on a listing. Its hold always equals `amountMinor` (bids are firm, §2). */
export interface ActiveBid {
  readonly id: string;
  readonly lenderId: string;
  readonly amountMinor: number;
  readonly rateBps: number;
  /** Listing seq at which the bid got its current rate; lower is earlier. Unique per listing. */
  readonly priority: number;
}

/** What bidding and amending need to know about an open listing (a wider row is accepted). */
export interface AuctionListing {
  readonly id: string;
  readonly status: ListingStatus;
  readonly endsAtMs: number;
  /** endsAt as first set; soft close never moves endsAt further than a setting past it. */
  readonly originalEndsAtMs: number;
  readonly amountMinor: number;
  readonly maxRateBps: number;
  readonly pricing: Pricing;
  readonly closeWhenFunded: boolean;
  readonly grade: Grade;
  readonly borrowerUserId: string;
  /** Last sequence number used on this listing (0 before any event). */
  readonly seq: number;
}

// Public events on `listing:<id>`. Enough to rebuild the anonymised book from a snapshot: every change
// of the book says which bid, at which rate, for which amount. Lender identity never appears here.

export interface BidAcceptedEvent {
  seq: number;
  type: 'bid.accepted';
  data: { bidId: string; amountMinor: number; rateBps: number };
}
export interface BidOutbidEvent {
  seq: number;
  type: 'bid.outbid';
  data: { bidId: string; amountMinor: number; rateBps: number };
}
export interface BidAmendedEvent {
  seq: number;
  type: 'bid.amended';
  data: { bidId: string; fromRateBps: number; toRateBps: number; amountMinor: number };
}
export interface ListingExtendedEvent {
  seq: number;
  type: 'listing.extended';
  data: { endsAtMs: number; previousEndsAtMs: number };
}
export interface ListingClearedEvent {
  seq: number;
  type: 'listing.cleared';
  data: {
    principalMinor: number;
    borrowerRateBps: number;
    pricing: Pricing;
    fills: { bidId: string; fillMinor: number; rateBps: number }[];
  };
}
export interface ListingFailedEvent {
  seq: number;
  type: 'listing.failed';
  data: { coverageMinor: number; requiredMinor: number };
}
export interface ListingWithdrawnEvent {
  seq: number;
  type: 'listing.withdrawn';
  data: { releasedBidIds: string[] };
}

export type ListingEvent =
  | BidAcceptedEvent
  | BidOutbidEvent
  | BidAmendedEvent
  | ListingExtendedEvent
  | ListingClearedEvent
  | ListingFailedEvent
  | ListingWithdrawnEvent;

export type ListingEventType = ListingEvent['type'];

/** Private notifications for one lender's `me` channel (the service adds whatever else it needs). */
export type LenderNotification =
  | {
      userId: string;
      type: 'bid.outbid';
      data: { listingId: string; bidId: string; amountMinor: number; rateBps: number; releasedMinor: number };
    }
  | {
      userId: string;
      type: 'bid.filled';
      data: { listingId: string; bidId: string; fillMinor: number; rateBps: number; releasedMinor: number };
    };

/** A bid that left the book; its whole hold is released. */
export interface OutbidBid {
  bidId: string;
  lenderId: string;
  amountMinor: number;
  rateBps: number;
  releasedMinor: number;
}
