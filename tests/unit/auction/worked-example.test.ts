/** docs/market-rules.md §4 "Worked example", step by step, under both pricing rules. */
import { describe, expect, it } from 'vitest';
import { computeBook, type Pricing } from '../../../src/domain/auction/index.js';
import { expectAccepted, expectRejected, Market } from './fixtures.js';

/** Listing 1,000,000, max 1500; L1 400k@1200, L2 300k@1000, L3 500k@1100 (bids b1..b3). */
function afterL3(pricing: Pricing): Market {
  const m = Market.withPricing(pricing);
  expectAccepted(m.bid('L1', 400_000, 1200));
  expectAccepted(m.bid('L2', 300_000, 1000));
  expectAccepted(m.bid('L3', 500_000, 1100));
  return m;
}

/** ... then L4 200k@1100 (b4), which pushes L1 out. */
function afterL4(pricing: Pricing): Market {
  const m = afterL3(pricing);
  expectAccepted(m.bid('L4', 200_000, 1100));
  return m;
}

const rows = (m: Market) => m.bids.map((b) => `${b.lenderId} ${b.amountMinor}@${b.rateBps}`);

describe('docs/market-rules.md §4 worked example', () => {
  it('after L3: book L2, L3, L1; coverage 1.2M; L1 marginal with 200k filled; uniform rate 1200', () => {
    const m = afterL3('uniform');
    expect(rows(m)).toEqual(['L2 300000@1000', 'L3 500000@1100', 'L1 400000@1200']);
    const r = computeBook(m.listing, m.bids);
    expect(r.coverageMinor).toBe(1_200_000);
    expect(r.marginalBidId).toBe('b1');
    expect(r.entries.map((e) => e.fillMinor)).toEqual([300_000, 500_000, 200_000]);
    expect(r.entries.every((e) => e.winning)).toBe(true);
    expect(r.currentRateBps).toBe(1200);
    expect(r.fundedPct).toBe(100);
    expect(r.bookLevels).toEqual([
      { rateBps: 1000, amountMinor: 300_000, bidCount: 1 },
      { rateBps: 1100, amountMinor: 500_000, bidCount: 1 },
      { rateBps: 1200, amountMinor: 400_000, bidCount: 1 },
    ]);
  });

  it('L4 @1100 is accepted; L1 is outbid and its 400,000 hold released; uniform rate 1100', () => {
    const m = afterL3('uniform');
    const r = expectAccepted(m.bid('L4', 200_000, 1100));
    expect(r.bid).toEqual({ id: 'b4', lenderId: 'L4', amountMinor: 200_000, rateBps: 1100, priority: 4 });
    expect(r.outbid).toEqual([{ bidId: 'b1', lenderId: 'L1', amountMinor: 400_000, rateBps: 1200, releasedMinor: 400_000 }]);
    expect(r.events).toEqual([
      { seq: 4, type: 'bid.accepted', data: { bidId: 'b4', amountMinor: 200_000, rateBps: 1100 } },
      { seq: 5, type: 'bid.outbid', data: { bidId: 'b1', amountMinor: 400_000, rateBps: 1200 } },
    ]);
    expect(r.notify).toEqual([
      { userId: 'L1', type: 'bid.outbid', data: { listingId: 'lst_1', bidId: 'b1', amountMinor: 400_000, rateBps: 1200, releasedMinor: 400_000 } },
    ]);
    expect(r.seq).toBe(5);
    expect(rows(m)).toEqual(['L2 300000@1000', 'L3 500000@1100', 'L4 200000@1100']);
    expect(r.book.coverageMinor).toBe(1_000_000);
    expect(r.book.marginalBidId).toBe('b4');
    expect(r.book.currentRateBps).toBe(1100);
    expect(m.released.get('b1')).toBe(400_000);
    expect([...m.holds.values()].reduce((a, b) => a + b, 0)).toBe(1_000_000);
  });

  it('clearing uniform: notes L2 300k, L3 500k, L4 200k, all @1100', () => {
    const c = afterL4('uniform').clear();
    expect(c.outcome).toBe('cleared');
    if (c.outcome !== 'cleared') return;
    expect(c.notes.map((n) => [n.lenderId, n.principalMinor, n.rateBps])).toEqual([
      ['L2', 300_000, 1100],
      ['L3', 500_000, 1100],
      ['L4', 200_000, 1100],
    ]);
    expect(c.principalMinor).toBe(1_000_000);
    expect(c.borrowerRateBps).toBe(1100);
    expect(c.postings.every((p) => p.postMinor === p.holdMinor && p.releaseMinor === 0)).toBe(true);
    expect(c.events).toEqual([
      {
        seq: 6,
        type: 'listing.cleared',
        data: {
          principalMinor: 1_000_000,
          borrowerRateBps: 1100,
          pricing: 'uniform',
          fills: [
            { bidId: 'b2', fillMinor: 300_000, rateBps: 1100 },
            { bidId: 'b3', fillMinor: 500_000, rateBps: 1100 },
            { bidId: 'b4', fillMinor: 200_000, rateBps: 1100 },
          ],
        },
      },
    ]);
  });

  it('clearing pay_as_bid: L2 @1000, L3 @1100, L4 @1100; borrower rate 1070', () => {
    const m = afterL4('pay_as_bid');
    const c = m.clear();
    expect(c.outcome).toBe('cleared');
    if (c.outcome !== 'cleared') return;
    expect(c.notes.map((n) => [n.lenderId, n.principalMinor, n.rateBps])).toEqual([
      ['L2', 300_000, 1000],
      ['L3', 500_000, 1100],
      ['L4', 200_000, 1100],
    ]);
    expect(c.borrowerRateBps).toBe(1070);
    expect(c.book.currentRateBps).toBe(1070);
  });

  it.each(['uniform', 'pay_as_bid'] as const)('%s: a fifth bid @1100 is BID_NOT_COMPETITIVE; L5 100,000 @1099 is accepted, L4 marginal with 100,000', (pricing) => {
    const m = afterL4(pricing);
    expect(expectRejected(m.bid('L5', 100_000, 1100)).code).toBe('BID_NOT_COMPETITIVE');
    expect(m.listing.seq).toBe(5); // a rejection changes nothing
    const r = expectAccepted(m.bid('L5', 100_000, 1099));
    expect(r.outbid).toEqual([]);
    expect(rows(m)).toEqual(['L2 300000@1000', 'L5 100000@1099', 'L3 500000@1100', 'L4 200000@1100']);
    expect(r.book.marginalBidId).toBe('b4');
    expect(r.book.entries.map((e) => e.fillMinor)).toEqual([300_000, 100_000, 500_000, 100_000]);
    expect(r.book.coverageMinor).toBe(1_100_000);
    if (pricing === 'uniform') expect(r.book.currentRateBps).toBe(1100);
    // pay_as_bid: (300k·1000 + 100k·1099 + 500k·1100 + 100k·1100) / 1M = 1069.9 → 1070
    else expect(r.book.currentRateBps).toBe(1070);
    const c = m.clear();
    if (c.outcome !== 'cleared') return expect.fail('should clear');
    const l4 = c.postings.find((p) => p.lenderId === 'L4');
    expect(l4).toEqual({ bidId: 'b4', lenderId: 'L4', holdMinor: 200_000, postMinor: 100_000, releaseMinor: 100_000 });
  });

  describe('bids totalling 800,000 (L2 300k@1000, L3 500k@1100)', () => {
    function partial(pricing: Pricing): Market {
      const m = Market.withPricing(pricing);
      expectAccepted(m.bid('L2', 300_000, 1000));
      expectAccepted(m.bid('L3', 500_000, 1100));
      return m;
    }

    it.each(['uniform', 'pay_as_bid'] as const)('%s: fails with minFundingPct 100 and every hold is released', (pricing) => {
      const c = partial(pricing).clear(0, 100);
      expect(c.outcome).toBe('failed');
      if (c.outcome !== 'failed') return;
      expect(c.requiredMinor).toBe(1_000_000);
      expect(c.postings.map((p) => [p.postMinor, p.releaseMinor])).toEqual([
        [0, 300_000],
        [0, 500_000],
      ]);
      expect(c.events).toEqual([{ seq: 3, type: 'listing.failed', data: { coverageMinor: 800_000, requiredMinor: 1_000_000 } }]);
    });

    it('uniform with 70: clears 800,000 at 1500', () => {
      const c = partial('uniform').clear(0, 70);
      if (c.outcome !== 'cleared') return expect.fail('should clear');
      expect(c.principalMinor).toBe(800_000);
      expect(c.notes.map((n) => [n.principalMinor, n.rateBps])).toEqual([
        [300_000, 1500],
        [500_000, 1500],
      ]);
      expect(c.borrowerRateBps).toBe(1500);
    });

    it('pay_as_bid with 70: clears 800,000 at each bid own rate; borrower rate 1062.5 → 1062 (half-even)', () => {
      const c = partial('pay_as_bid').clear(0, 70);
      if (c.outcome !== 'cleared') return expect.fail('should clear');
      expect(c.principalMinor).toBe(800_000);
      expect(c.notes.map((n) => [n.principalMinor, n.rateBps])).toEqual([
        [300_000, 1000],
        [500_000, 1100],
      ]);
      expect(c.borrowerRateBps).toBe(1062);
    });
  });
});

