/** Clearing and withdrawal (docs/market-rules.md §4, §1 states): thresholds, notes, postings, fee, properties. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  clearListing,
  closeDue,
  requiredCoverageMinor,
  withdrawListing,
  type ActiveBid,
  type ClearingListing,
} from '../../../src/domain/auction/index.js';
import { bidOf, expectAccepted, expectRejected, T0_MS } from './fixtures.js';

const listing: ClearingListing = { id: 'lst_1', amountMinor: 1_000_000, maxRateBps: 1500, pricing: 'uniform', seq: 7 };

describe('clearListing', () => {
  it('threshold: coverage ≥ ceil(minFundingPct% × amount)', () => {
    expect(requiredCoverageMinor(1_000_000, 70)).toBe(700_000);
    expect(requiredCoverageMinor(100_100, 67)).toBe(67_067); // 67,067.0
    expect(requiredCoverageMinor(100_300, 67)).toBe(67_201); // 67,201.0
    expect(requiredCoverageMinor(100_001, 50)).toBe(50_001); // 50,000.5 → 50,001
    const at = (coverage: number) => clearListing(listing, [bidOf('a', 'A', coverage, 1000, 1)], 0, 70).outcome;
    expect(at(700_000)).toBe('cleared');
    expect(at(699_900)).toBe('failed');
  });

  it('takes the fee half-even from the disbursement', () => {
    const fee = (principal: number, feeBps: number) => {
      const c = clearListing({ ...listing, amountMinor: principal }, [bidOf('a', 'A', principal, 1000, 1)], feeBps, 100);
      if (c.outcome !== 'cleared') return expect.fail('should clear');
      expect(c.feeMinor + c.disbursementMinor).toBe(principal);
      return c.feeMinor;
    };
    expect(fee(1_000_000, 0)).toBe(0);
    expect(fee(1_000_000, 150)).toBe(15_000);
    expect(fee(200, 25)).toBe(0); // 0.5 → 0
    expect(fee(600, 25)).toBe(2); // 1.5 → 2
    expect(fee(1_000_100, 33)).toBe(3300); // 3300.33
  });

  it('an active bid outside the winning set gets no note and is released whole', () => {
    const c = clearListing(listing, [bidOf('a', 'A', 1_000_000, 1000, 1), bidOf('b', 'B', 100_000, 1200, 2)], 0, 100);
    if (c.outcome !== 'cleared') return expect.fail('should clear');
    expect(c.notes.map((n) => n.bidId)).toEqual(['a']);
    expect(c.postings.find((p) => p.bidId === 'b')).toEqual({ bidId: 'b', lenderId: 'B', holdMinor: 100_000, postMinor: 0, releaseMinor: 100_000 });
    expect(c.notify).toEqual([{ userId: 'A', type: 'bid.filled', data: { listingId: 'lst_1', bidId: 'a', fillMinor: 1_000_000, rateBps: 1000, releasedMinor: 0 } }]);
    expect(c.seq).toBe(8);
  });

  it('the marginal hold is posted for its fill and the rest released', () => {
    const c = clearListing(listing, [bidOf('a', 'A', 700_000, 1000, 1), bidOf('b', 'B', 500_000, 1200, 2)], 0, 100);
    if (c.outcome !== 'cleared') return expect.fail('should clear');
    expect(c.postings).toEqual([
      { bidId: 'a', lenderId: 'A', holdMinor: 700_000, postMinor: 700_000, releaseMinor: 0 },
      { bidId: 'b', lenderId: 'B', holdMinor: 500_000, postMinor: 300_000, releaseMinor: 200_000 },
    ]);
    expect(c.notes.every((n) => n.rateBps === 1200)).toBe(true);
  });

  it('an empty book fails', () => {
    const c = clearListing(listing, [], 0, 50);
    expect(c.outcome).toBe('failed');
    expect(c.postings).toEqual([]);
  });

  const bookArb = fc
    .record({
      amountMinor: fc.integer({ min: 1000, max: 1_000_000 }).map((n) => n * 100),
      maxRateBps: fc.integer({ min: 1, max: 2400 }),
      pricing: fc.constantFrom('uniform' as const, 'pay_as_bid' as const),
      feeBps: fc.integer({ min: 0, max: 1000 }),
      minFundingPct: fc.integer({ min: 50, max: 100 }),
      raw: fc.array(fc.record({ amount: fc.integer({ min: 1, max: 50_000_000 }), rate: fc.integer({ min: 1, max: 2400 }) }), { maxLength: 12 }),
    })
    .map(({ raw, ...rest }) => ({
      ...rest,
      bids: raw.map((b, k): ActiveBid => bidOf(`b${k}`, `L${k}`, b.amount, Math.min(b.rate, rest.maxRateBps), k + 1)),
    }));

  it('properties: Σ notes = principal = min(coverage, amount); posted + released = hold; fee + disbursement = principal', () => {
    fc.assert(
      fc.property(bookArb, ({ bids, feeBps, minFundingPct, ...terms }) => {
        const c = clearListing({ id: 'lst', seq: 0, ...terms }, bids, feeBps, minFundingPct);
        const coverage = bids.reduce((s, b) => s + b.amountMinor, 0);
        expect(c.outcome).toBe(coverage * 100 >= minFundingPct * terms.amountMinor ? 'cleared' : 'failed');
        expect(c.postings.map((p) => p.bidId).sort()).toEqual(bids.map((b) => b.id).sort());
        for (const p of c.postings) {
          expect(p.postMinor + p.releaseMinor).toBe(p.holdMinor);
          expect(p.postMinor).toBeGreaterThanOrEqual(0);
          expect(p.releaseMinor).toBeGreaterThanOrEqual(0);
        }
        if (c.outcome === 'failed') {
          expect(c.postings.every((p) => p.postMinor === 0)).toBe(true);
          return;
        }
        const notes = c.notes.reduce((s, n) => s + n.principalMinor, 0);
        expect(notes).toBe(c.principalMinor);
        expect(c.principalMinor).toBe(Math.min(coverage, terms.amountMinor));
        expect(c.postings.reduce((s, p) => s + p.postMinor, 0)).toBe(c.principalMinor);
        expect(c.feeMinor + c.disbursementMinor).toBe(c.principalMinor);
        expect(c.feeMinor).toBeGreaterThanOrEqual(0);
        expect(c.notes.every((n) => n.principalMinor > 0 && n.rateBps >= 1 && n.rateBps <= terms.maxRateBps)).toBe(true);
        const rates = c.notes.map((n) => n.rateBps);
        expect(c.borrowerRateBps).toBeGreaterThanOrEqual(Math.min(...rates));
        expect(c.borrowerRateBps).toBeLessThanOrEqual(Math.max(...rates));
      }),
      { numRuns: 1500 },
    );
  });
});

describe('withdrawListing and closeDue', () => {
  const open = { id: 'lst_1', status: 'open' as const, endsAtMs: T0_MS + 1000, seq: 4 };
  const bids = [bidOf('a', 'A', 300_000, 1000, 1), bidOf('b', 'B', 200_000, 1100, 3)];

  it('releases every hold and emits listing.withdrawn with the next seq', () => {
    const r = expectAccepted(withdrawListing(open, bids, T0_MS));
    expect(r.postings).toEqual([
      { bidId: 'a', lenderId: 'A', holdMinor: 300_000, postMinor: 0, releaseMinor: 300_000 },
      { bidId: 'b', lenderId: 'B', holdMinor: 200_000, postMinor: 0, releaseMinor: 200_000 },
    ]);
    expect(r.events).toEqual([{ seq: 5, type: 'listing.withdrawn', data: { releasedBidIds: ['a', 'b'] } }]);
    expect(r.seq).toBe(5);
  });

  it('refuses a listing that is not open or whose auction has ended', () => {
    expect(expectRejected(withdrawListing({ ...open, status: 'cleared' }, [], T0_MS)).code).toBe('LISTING_NOT_WITHDRAWABLE');
    expect(expectRejected(withdrawListing(open, bids, T0_MS + 1000)).code).toBe('LISTING_NOT_WITHDRAWABLE');
  });

  it('closeDue: open and at or past endsAt', () => {
    expect(closeDue(open, T0_MS + 999)).toBe(false);
    expect(closeDue(open, T0_MS + 1000)).toBe(true);
    expect(closeDue({ ...open, status: 'failed' }, T0_MS + 5000)).toBe(false);
  });
});
