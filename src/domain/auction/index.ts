/**
 * The pure auction core (docs/market-rules.md §1–§4): listing validation, the book, bids and amends, clearing and
 * withdrawal. No I/O, no clock, no randomness: the service layer passes the locked listing, its active
 * bids, `nowMs`, new ids and settings, and writes back what these functions return.
 */
export { bidStanding, type BidStanding } from './types.js';
export type { ActiveBid, AuctionListing, LenderNotification, ListingEvent, ListingEventType, ListingStatus, OutbidBid, Pricing } from './types.js';
export type {
  BidAcceptedEvent,
  BidAmendedEvent,
  BidOutbidEvent,
  ListingClearedEvent,
  ListingExtendedEvent,
  ListingFailedEvent,
  ListingWithdrawnEvent,
} from './types.js';
export { LISTING_STATUSES, PRICINGS } from './types.js';
export { compareBids, computeBook, fillWeightedRateBps, outbidIds } from './book.js';
export type { Book, BookEntry, BookLevel, BookTerms } from './book.js';
export { amendBid, BID_CHECK_ORDER, lenderEligibility, placeBid } from './bid.js';
export type {
  AmendBidAccepted,
  AmendBidInput,
  AmendBidResult,
  AmendSettings,
  BidLender,
  BidSettings,
  PlaceBidAccepted,
  PlaceBidInput,
  PlaceBidResult,
} from './bid.js';
export { clearListing, closeDue, requiredCoverageMinor, withdrawListing } from './clearing.js';
export type { ClearedOutcome, ClearingListing, ClearingResult, FailedOutcome, Note, Posting, WithdrawAccepted, WithdrawListing } from './clearing.js';
export { MIN_FUNDING_PCT_MAX, MIN_FUNDING_PCT_MIN, MIN_LISTING_AMOUNT_MINOR, PRODUCTS, REPAYMENTS, TERM_MONTHS, validateNewListing } from './listing.js';
export type { ListingSettings, ListingTerms, NewListingInput, NewListingRequest, NewListingResult, Product, Repayment, TermMonths } from './listing.js';
export { isOpenAt, softCloseEndsAtMs } from './timing.js';
export type { SoftCloseSettings } from './timing.js';
