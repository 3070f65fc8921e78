/** Bids and amends (docs/market-rules.md §2, §3): every rejection code, their order, soft close, closeWhenFunded. */
import { describe, expect, it } from 'vitest';
import {
  amendBid,
  BID_CHECK_ORDER,
  placeBid,
  softCloseEndsAtMs,
  type AmendBidInput,
  type PlaceBidInput,
} from '../../../src/domain/auction/index.js';
import type { ErrorCode } from '../../../src/domain/errors.js';
import { bidOf, expectAccepted, expectRejected, HOUR_MS, lender, makeListing, Market, SETTINGS, T0_MS } from './fixtures.js';

/** A valid bid on a listing of 1,000,000 that others cover to 600,000. */
function baseInput(): PlaceBidInput {
  return {
    listing: makeListing({ seq: 2 }),
    activeBids: [bidOf('o1', 'O1', 300_000, 1000, 1), bidOf('o2', 'O2', 300_000, 1100, 2)],
    lender: lender('L', { riskProfile: 'balanced' }),
    bid: { amountMinor: 200_000, rateBps: 1200 },
    newBidId: 'new',
    availableMinor: 1_000_000,
    nowMs: T0_MS,
    settings: SETTINGS,
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Breaker = (i: Mutable<PlaceBidInput>) => void;

/** For each code of §2, a change that makes exactly that check fail; changes compose. */
const BREAKERS: Record<string, Breaker> = {
  LISTING_NOT_OPEN: (i) => void (i.nowMs = i.listing.endsAtMs),
  LENDER_NOT_ELIGIBLE: (i) => void (i.lender = { ...i.lender, kycComplete: false }),
  SELF_DEALING: (i) => void (i.lender = { ...i.lender, isPlatform: true }),
  BID_EXISTS: (i) => void (i.activeBids = i.activeBids.map((b, k) => (k === 0 ? { ...b, lenderId: i.lender.userId } : b))),
  BID_AMOUNT_INVALID: (i) => void (i.bid = { ...i.bid, amountMinor: 5_000 }),
  BID_RATE_INVALID: (i) => void (i.bid = { ...i.bid, rateBps: 1501 }),
  LENDER_LISTING_CAP: (i) => void (i.settings = { ...i.settings, lenderListingCapPct: 10 }),
  // o3 brings coverage to 1,000,000 with the marginal at 1100; the bid's 1200 is not below it.
  BID_NOT_COMPETITIVE: (i) => {
    i.activeBids = [...i.activeBids, bidOf('o3', 'O3', 400_000, 1100, 3)];
    i.listing = { ...i.listing, seq: 3 };
  },
  INSUFFICIENT_FUNDS: (i) => void (i.availableMinor = 0),
};

function broken(codes: readonly string[]): PlaceBidInput {
  const input: Mutable<PlaceBidInput> = baseInput();
  for (const code of codes) BREAKERS[code]!(input);
  return input;
}

describe('placeBid rejections (§2)', () => {
  it('checks the codes of §2 in the documented order', () => {
    expect(BID_CHECK_ORDER).toEqual(Object.keys(BREAKERS));
  });

  it('accepts the base input', () => {
    expectAccepted(placeBid(baseInput()));
  });

  it.each(Object.keys(BREAKERS))('%s alone', (code) => {
    expect(expectRejected(placeBid(broken([code]))).code).toBe(code);
  });

  it('with any set of failing checks, returns the earliest one (all 511 combinations)', () => {
    const codes = Object.keys(BREAKERS);
    for (let mask = 1; mask < 1 << codes.length; mask++) {
      const subset = codes.filter((_, k) => mask & (1 << k));
      expect(expectRejected(placeBid(broken(subset))).code, subset.join('+')).toBe(subset[0]);
    }
  });

  const variants: [string, ErrorCode, (i: Mutable<PlaceBidInput>) => void][] = [
    ['a cleared listing', 'LISTING_NOT_OPEN', (i) => void (i.listing = { ...i.listing, status: 'cleared' })],
    ['a withdrawn listing', 'LISTING_NOT_OPEN', (i) => void (i.listing = { ...i.listing, status: 'withdrawn' })],
    ['no risk profile', 'LENDER_NOT_ELIGIBLE', (i) => void (i.lender = { ...i.lender, riskProfile: null })],
    ['a conservative lender on grade B', 'LENDER_NOT_ELIGIBLE', (i) => void (i.lender = { ...i.lender, riskProfile: 'conservative' })],
    ['the borrower bidding', 'SELF_DEALING', (i) => void (i.lender = { ...i.lender, userId: i.listing.borrowerUserId })],
    ['amount 0', 'BID_AMOUNT_INVALID', (i) => void (i.bid = { ...i.bid, amountMinor: 0 })],
    ['a negative amount', 'BID_AMOUNT_INVALID', (i) => void (i.bid = { ...i.bid, amountMinor: -100_000 })],
    ['a fractional amount', 'BID_AMOUNT_INVALID', (i) => void (i.bid = { ...i.bid, amountMinor: 100_000.5 })],
    ['an amount not whole yuan', 'BID_AMOUNT_INVALID', (i) => void (i.bid = { ...i.bid, amountMinor: 100_050 })],
    ['an amount above the listing', 'BID_AMOUNT_INVALID', (i) => void (i.bid = { ...i.bid, amountMinor: 1_000_100 })],
    ['rate 0', 'BID_RATE_INVALID', (i) => void (i.bid = { ...i.bid, rateBps: 0 })],
    ['a fractional rate', 'BID_RATE_INVALID', (i) => void (i.bid = { ...i.bid, rateBps: 1000.5 })],
    ['a rate below the grade floor', 'BID_RATE_INVALID', (i) => void (i.settings = { ...i.settings, gradeFloorBps: { B: 1201 } })],
    ['a rate equal to the marginal rate', 'BID_NOT_COMPETITIVE', (i) => {
      BREAKERS.BID_NOT_COMPETITIVE!(i);
      i.bid = { ...i.bid, rateBps: 1100 };
    }],
    ['one minor unit short', 'INSUFFICIENT_FUNDS', (i) => void (i.availableMinor = 199_999)],
  ];
  it.each(variants)('%s → %s', (_, code, change) => {
    const input: Mutable<PlaceBidInput> = baseInput();
    change(input);
    expect(expectRejected(placeBid(input)).code).toBe(code);
  });

  const boundaries: [string, (i: Mutable<PlaceBidInput>) => void][] = [
    ['the minimum bid', (i) => void (i.bid = { ...i.bid, amountMinor: 10_000 })],
    ['the listing amount', (i) => void (i.bid = { ...i.bid, amountMinor: 1_000_000 })],
    ['rate 1', (i) => void (i.bid = { ...i.bid, rateBps: 1 })],
    ['the maximum rate', (i) => void (i.bid = { ...i.bid, rateBps: 1500 })],
    ['a rate at the grade floor', (i) => void (i.settings = { ...i.settings, gradeFloorBps: { B: 1200, AA: 1300 } })],
    ['exactly the cap', (i) => void (i.settings = { ...i.settings, lenderListingCapPct: 20 })],
    ['exactly the available balance', (i) => void (i.availableMinor = 200_000)],
    ['a rate just below the marginal', (i) => {
      BREAKERS.BID_NOT_COMPETITIVE!(i);
      i.bid = { ...i.bid, rateBps: 1099 };
    }],
    ['a balanced lender on grade C', (i) => void (i.listing = { ...i.listing, grade: 'C' })],
  ];
  it.each(boundaries)('accepts %s', (_, change) => {
    const input: Mutable<PlaceBidInput> = baseInput();
    change(input);
    expectAccepted(placeBid(input));
  });
});

describe('placeBid acceptance', () => {
  it('holds the full amount, takes priority seq+1, and publishes no lender identity', () => {
    const r = expectAccepted(placeBid(baseInput()));
    expect(r.bid).toEqual({ id: 'new', lenderId: 'L', amountMinor: 200_000, rateBps: 1200, priority: 3 });
    expect(r.holdMinor).toBe(200_000);
    expect(r.trimmed).toBe(false);
    expect(r.closeNow).toBe(false);
    expect(r.seq).toBe(3);
    expect(r.events).toEqual([{ seq: 3, type: 'bid.accepted', data: { bidId: 'new', amountMinor: 200_000, rateBps: 1200 } }]);
    expect(JSON.stringify(r.events)).not.toMatch(/"L"|O1|O2|lender/);
    expect(r.book.entries.find((e) => e.id === 'new')).toMatchObject({ winning: true, fillMinor: 200_000 });
  });

  it('one large bid can push several bids out, in book order, each with its own seq', () => {
    const m = new Market();
    expectAccepted(m.bid('A', 400_000, 1300));
    expectAccepted(m.bid('B', 300_000, 1200));
    expectAccepted(m.bid('C', 300_000, 1400));
    const r = expectAccepted(m.bid('D', 1_000_000, 1000));
    expect(r.events.map((e) => [e.seq, e.type, 'bidId' in e.data ? e.data.bidId : ''])).toEqual([
      [4, 'bid.accepted', 'b4'],
      [5, 'bid.outbid', 'b2'],
      [6, 'bid.outbid', 'b1'],
      [7, 'bid.outbid', 'b3'],
    ]);
    expect(r.notify.map((n) => n.userId)).toEqual(['B', 'A', 'C']);
    expect(r.book.bookLevels).toEqual([{ rateBps: 1000, amountMinor: 1_000_000, bidCount: 1 }]);
  });
});

describe('soft close (§3)', () => {
  const endsAtMs = T0_MS + HOUR_MS;
  const settings = { softCloseSec: 120, softCloseMaxExtensionSec: 3600 };
  const listing = { endsAtMs, originalEndsAtMs: endsAtMs };

  it('does not extend outside the last 120 s, nor at exactly 120 s before the end', () => {
    expect(softCloseEndsAtMs(listing, endsAtMs - 121_000, settings)).toBe(endsAtMs);
    expect(softCloseEndsAtMs(listing, endsAtMs - 120_000, settings)).toBe(endsAtMs);
  });

  it('moves the end to acceptance + 120 s inside the window', () => {
    expect(softCloseEndsAtMs(listing, endsAtMs - 60_000, settings)).toBe(endsAtMs + 60_000);
    expect(softCloseEndsAtMs(listing, endsAtMs - 1, settings)).toBe(endsAtMs + 119_999);
  });

  it('never moves past the original end + 3600 s, and never earlier than announced', () => {
    const late = { endsAtMs: endsAtMs + 3_550_000, originalEndsAtMs: endsAtMs };
    expect(softCloseEndsAtMs(late, endsAtMs + 3_500_000, settings)).toBe(endsAtMs + 3_600_000);
    const atCap = { endsAtMs: endsAtMs + 3_600_000, originalEndsAtMs: endsAtMs };
    expect(softCloseEndsAtMs(atCap, endsAtMs + 3_590_000, settings)).toBe(endsAtMs + 3_600_000);
    expect(softCloseEndsAtMs(atCap, endsAtMs + 3_590_000, { ...settings, softCloseMaxExtensionSec: 60 })).toBe(endsAtMs + 3_600_000);
  });

  it('softCloseSec 0 never extends', () => {
    expect(softCloseEndsAtMs(listing, endsAtMs - 1, { softCloseSec: 0, softCloseMaxExtensionSec: 3600 })).toBe(endsAtMs);
  });

  it('a late bid emits listing.extended after its outbid events; the extensions stop at the cap', () => {
    const m = new Market({ endsAtMs, originalEndsAtMs: endsAtMs });
    expectAccepted(m.bid('A', 1_000_000, 1300));
    m.nowMs = endsAtMs - 30_000;
    const r = expectAccepted(m.bid('B', 1_000_000, 1200));
    expect(r.events).toEqual([
      { seq: 2, type: 'bid.accepted', data: { bidId: 'b2', amountMinor: 1_000_000, rateBps: 1200 } },
      { seq: 3, type: 'bid.outbid', data: { bidId: 'b1', amountMinor: 1_000_000, rateBps: 1300 } },
      { seq: 4, type: 'listing.extended', data: { endsAtMs: endsAtMs + 90_000, previousEndsAtMs: endsAtMs } },
    ]);
    expect(r.extended).toBe(true);
    // Keep bidding 10 s before each end: the end creeps up to original + 3600 s and stops there.
    let rate = 1199;
    while (m.nowMs < endsAtMs + 3_600_000 - 10_000) {
      m.nowMs = m.listing.endsAtMs - 10_000;
      expectAccepted(m.bid(`X${rate}`, 1_000_000, rate--));
    }
    expect(m.listing.endsAtMs).toBe(endsAtMs + 3_600_000);
    const last = expectAccepted(m.bid('Z', 1_000_000, rate));
    expect(last.extended).toBe(false);
    expect(last.events.map((e) => e.type)).toEqual(['bid.accepted', 'bid.outbid']);
    m.nowMs = m.listing.endsAtMs;
    expect(expectRejected(m.bid('Y', 1_000_000, 1)).code).toBe('LISTING_NOT_OPEN');
  });
});

describe('closeWhenFunded (§3)', () => {
  function funded600k(): Market {
    const m = new Market({ closeWhenFunded: true });
    expectAccepted(m.bid('A', 600_000, 1100));
    return m;
  }

  it('trims the bid that reaches the amount to the remainder and closes at once', () => {
    const m = funded600k();
    const r = expectAccepted(m.bid('B', 500_000, 1200));
    expect(r).toMatchObject({ requestedAmountMinor: 500_000, holdMinor: 400_000, trimmed: true, closeNow: true, outbid: [] });
    expect(r.bid.amountMinor).toBe(400_000);
    expect(r.events).toEqual([{ seq: 2, type: 'bid.accepted', data: { bidId: 'b2', amountMinor: 400_000, rateBps: 1200 } }]);
    expect(r.book.coverageMinor).toBe(1_000_000);
    expect(m.listing.status).toBe('cleared');
  });

  it('an exact fill is not trimmed but closes', () => {
    const r = expectAccepted(funded600k().bid('B', 400_000, 1200));
    expect(r).toMatchObject({ trimmed: false, closeNow: true, holdMinor: 400_000 });
  });

  it('a bid short of the amount neither trims nor closes', () => {
    const r = expectAccepted(funded600k().bid('B', 300_000, 1200));
    expect(r).toMatchObject({ trimmed: false, closeNow: false });
  });

  it('judges funds and the lender cap on the trimmed amount', () => {
    expectAccepted(funded600k().bid('B', 500_000, 1200, 400_000));
    expect(expectRejected(funded600k().bid('B', 500_000, 1200, 399_900)).code).toBe('INSUFFICIENT_FUNDS');
    const capped = (capPct: number) => {
      const m = new Market({ closeWhenFunded: true }, { ...SETTINGS, lenderListingCapPct: capPct });
      expectAccepted(m.bid('A', 300_000, 1100));
      expectAccepted(m.bid('C', 300_000, 1100));
      return m;
    };
    expect(expectAccepted(capped(40).bid('B', 1_000_000, 1200)).holdMinor).toBe(400_000); // trimmed: exactly 40%
    expect(expectRejected(capped(39).bid('B', 1_000_000, 1200)).code).toBe('LENDER_LISTING_CAP');
  });

  it('does not extend the end of a listing that closes at once', () => {
    const m = new Market({ closeWhenFunded: true });
    expectAccepted(m.bid('A', 600_000, 1100));
    m.nowMs = m.listing.endsAtMs - 10_000;
    const r = expectAccepted(m.bid('B', 500_000, 1200));
    expect(r.extended).toBe(false);
    expect(r.endsAtMs).toBe(m.listing.endsAtMs);
  });
});

describe('amendBid', () => {
  /** A 500k@1000 (b1), B 300k@1100 (b2), C 500k@1200 (b3, marginal with 200k). */
  function market(): Market {
    const m = new Market();
    expectAccepted(m.bid('A', 500_000, 1000));
    expectAccepted(m.bid('B', 300_000, 1100));
    expectAccepted(m.bid('C', 500_000, 1200));
    return m;
  }

  it('lowers the rate, gives a new priority, and pushes out the bids it jumps over', () => {
    const m = market();
    const r = expectAccepted(m.amend('b3', 1000));
    expect(r.bid).toEqual({ id: 'b3', lenderId: 'C', amountMinor: 500_000, rateBps: 1000, priority: 4 });
    expect(r.fromRateBps).toBe(1200);
    expect(r.closeNow).toBe(false);
    expect(r.events).toEqual([
      { seq: 4, type: 'bid.amended', data: { bidId: 'b3', fromRateBps: 1200, toRateBps: 1000, amountMinor: 500_000 } },
      { seq: 5, type: 'bid.outbid', data: { bidId: 'b2', amountMinor: 300_000, rateBps: 1100 } },
    ]);
    expect(r.notify).toEqual([
      { userId: 'B', type: 'bid.outbid', data: { listingId: 'lst_1', bidId: 'b2', amountMinor: 300_000, rateBps: 1100, releasedMinor: 300_000 } },
    ]);
    // b1 and b3 share 1000; b1 keeps its earlier priority.
    expect(r.book.entries.map((e) => [e.id, e.fillMinor])).toEqual([
      ['b1', 500_000],
      ['b3', 500_000],
    ]);
    expect(r.book.currentRateBps).toBe(1000);
  });

  it('extends like a bid inside the soft-close window', () => {
    const m = market();
    m.nowMs = m.listing.endsAtMs - 1_000;
    const r = expectAccepted(m.amend('b3', 1150));
    expect(r.events.map((e) => e.type)).toEqual(['bid.amended', 'listing.extended']);
    expect(r.endsAtMs).toBe(m.nowMs + 120_000);
  });

  function amendInput(m: Market, bidId: string, rateBps: number): AmendBidInput {
    return { listing: m.listing, activeBids: m.bids, bidId, rateBps, nowMs: m.nowMs, settings: SETTINGS };
  }

  it('rejects, in order: LISTING_NOT_OPEN, BID_NOT_ACTIVE, BID_RATE_INVALID, AMEND_RATE_NOT_LOWER', () => {
    const m = market();
    const ended = { ...amendInput(m, 'gone', 1600), nowMs: m.listing.endsAtMs };
    expect(expectRejected(amendBid(ended)).code).toBe('LISTING_NOT_OPEN');
    expect(expectRejected(amendBid(amendInput(m, 'gone', 1600))).code).toBe('BID_NOT_ACTIVE');
    expect(expectRejected(amendBid(amendInput(m, 'b3', 1600))).code).toBe('BID_RATE_INVALID');
    expect(expectRejected(amendBid(amendInput(m, 'b3', 0))).code).toBe('BID_RATE_INVALID');
    expect(expectRejected(amendBid({ ...amendInput(m, 'b3', 900), settings: { ...SETTINGS, gradeFloorBps: { B: 950 } } })).code).toBe('BID_RATE_INVALID');
    expect(expectRejected(amendBid(amendInput(m, 'b3', 1200))).code).toBe('AMEND_RATE_NOT_LOWER');
    expect(expectRejected(amendBid({ ...amendInput(m, 'b3', 1100), listing: { ...m.listing, status: 'cleared' } })).code).toBe('LISTING_NOT_OPEN');
  });

  it('an outbid bid can no longer be amended', () => {
    const m = market();
    expectAccepted(m.amend('b3', 1000));
    expect(expectRejected(m.amend('b2', 900)).code).toBe('BID_NOT_ACTIVE');
  });
});
