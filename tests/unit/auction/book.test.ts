/** The book of docs/market-rules.md §3: order, winners, fills, marginal, current rate, funded %, levels. */
import { describe, expect, it } from 'vitest';
import { computeBook, fillWeightedRateBps, outbidIds, type BookTerms } from '../../../src/domain/auction/index.js';
import { AssertionError } from '../../../src/domain/assert.js';
import { bidOf } from './fixtures.js';

const uniform: BookTerms = { amountMinor: 1_000_000, maxRateBps: 1500, pricing: 'uniform' };
const payAsBid: BookTerms = { ...uniform, pricing: 'pay_as_bid' };

describe('computeBook', () => {
  it('an empty book: nothing covered, no marginal, the rate is the maximum', () => {
    for (const terms of [uniform, payAsBid]) {
      const b = computeBook(terms, []);
      expect(b).toMatchObject({ coverageMinor: 0, filledMinor: 0, marginalBidId: null, currentRateBps: 1500, fundedPct: 0, bidCount: 0 });
      expect(b.entries).toEqual([]);
      expect(b.bookLevels).toEqual([]);
    }
  });

  it('orders by rate, then priority, whatever the input order', () => {
    const b = computeBook(uniform, [bidOf('c', 'L3', 100_000, 1100, 5), bidOf('a', 'L1', 100_000, 1100, 2), bidOf('b', 'L2', 100_000, 900, 9)]);
    expect(b.entries.map((e) => e.id)).toEqual(['b', 'a', 'c']);
  });

  it('uniform below coverage: every bid wins in full and the rate stays at the maximum', () => {
    const b = computeBook(uniform, [bidOf('a', 'L1', 300_000, 1000, 1), bidOf('b', 'L2', 400_000, 1200, 2)]);
    expect(b.entries.map((e) => e.fillMinor)).toEqual([300_000, 400_000]);
    expect(b.marginalBidId).toBe('b');
    expect(b.currentRateBps).toBe(1500);
    expect(b.fundedPct).toBe(70);
  });

  it('pay_as_bid below coverage: the fill-weighted mean of the fills so far', () => {
    const b = computeBook(payAsBid, [bidOf('a', 'L1', 300_000, 1000, 1), bidOf('b', 'L2', 100_000, 1200, 2)]);
    expect(b.currentRateBps).toBe(1050);
  });

  it('marks bids wholly past the amount as not winning, with no fill; the marginal fills partly', () => {
    const bids = [bidOf('a', 'L1', 600_000, 1000, 1), bidOf('b', 'L2', 600_000, 1100, 2), bidOf('c', 'L3', 100_000, 1200, 3), bidOf('d', 'L4', 100_000, 1100, 4)];
    const b = computeBook(uniform, bids);
    expect(b.entries.map((e) => [e.id, e.winning, e.fillMinor])).toEqual([
      ['a', true, 600_000],
      ['b', true, 400_000],
      ['d', false, 0],
      ['c', false, 0],
    ]);
    expect(b.marginalBidId).toBe('b');
    expect(b.currentRateBps).toBe(1100);
    expect(b.coverageMinor).toBe(1_400_000);
    expect(b.filledMinor).toBe(1_000_000);
    expect(outbidIds(uniform, bids)).toEqual(['d', 'c']);
  });

  it('a bid starting exactly at the amount is outbid (cumulative before it ≥ amount)', () => {
    expect(outbidIds(uniform, [bidOf('a', 'L1', 1_000_000, 1000, 1), bidOf('b', 'L2', 10_000, 1000, 2)])).toEqual(['b']);
  });

  it('fundedPct floors and caps at 100', () => {
    expect(computeBook(uniform, [bidOf('a', 'L1', 999_900, 1000, 1)]).fundedPct).toBe(99);
    expect(computeBook(uniform, [bidOf('a', 'L1', 1_000_000, 1000, 1), bidOf('b', 'L2', 500_000, 1000, 2)]).fundedPct).toBe(100);
  });

  it('aggregates levels by rate with full amounts and counts', () => {
    const b = computeBook(uniform, [bidOf('a', 'L1', 300_000, 1100, 1), bidOf('b', 'L2', 200_000, 1000, 2), bidOf('c', 'L3', 100_000, 1100, 3)]);
    expect(b.bookLevels).toEqual([
      { rateBps: 1000, amountMinor: 200_000, bidCount: 1 },
      { rateBps: 1100, amountMinor: 400_000, bidCount: 2 },
    ]);
  });

  it('asserts state invariants: duplicate priorities, rates above the maximum, non-integer amounts', () => {
    expect(() => computeBook(uniform, [bidOf('a', 'L1', 100_000, 1000, 1), bidOf('b', 'L2', 100_000, 1000, 1)])).toThrow(AssertionError);
    expect(() => computeBook(uniform, [bidOf('a', 'L1', 100_000, 1600, 1)])).toThrow(AssertionError);
    expect(() => computeBook(uniform, [bidOf('a', 'L1', 100.5, 1000, 1)])).toThrow(AssertionError);
  });
});

describe('fillWeightedRateBps', () => {
  it('rounds half to even', () => {
    expect(fillWeightedRateBps([{ fillMinor: 1, rateBps: 1062 }, { fillMinor: 1, rateBps: 1063 }])).toBe(1062);
    expect(fillWeightedRateBps([{ fillMinor: 1, rateBps: 1063 }, { fillMinor: 1, rateBps: 1064 }])).toBe(1064);
    expect(fillWeightedRateBps([{ fillMinor: 2, rateBps: 1000 }, { fillMinor: 1, rateBps: 1001 }])).toBe(1000);
    expect(fillWeightedRateBps([{ fillMinor: 1, rateBps: 1000 }, { fillMinor: 2, rateBps: 1001 }])).toBe(1001);
  });
  it('is exact beyond 2^53 intermediate products', () => {
    const big = 9_000_000_000_000;
    expect(fillWeightedRateBps([{ fillMinor: big, rateBps: 2400 }, { fillMinor: big, rateBps: 2401 }])).toBe(2400);
  });
  it('is null when nothing is filled', () => {
    expect(fillWeightedRateBps([{ fillMinor: 0, rateBps: 1000 }])).toBeNull();
  });
});
