/**
 * Money and rates on screen come from integers only; the bid ticket's preview follows docs/market-rules.md.
 */
import { describe, expect, it } from 'vitest';
import { setLocale } from '../src/lib/i18n.js';
import { bpsToInput, minorToInput, money, moneyShort, parseMoney, parseRate, rate } from '../src/lib/format.js';
import { simulateAmend, simulateBid, type SimulationInput } from '../src/lib/simulate.js';

describe('format', () => {
  it('formats integer minor units as yuan without floats', () => {
    expect(money(123456)).toBe('¥1,234.56');
    expect(money(5)).toBe('¥0.05');
    expect(money(-5)).toBe('-¥0.05');
    expect(money(100000, { trimZeroFen: true })).toBe('¥1,000');
    expect(money(100001, { trimZeroFen: true })).toBe('¥1,000.01');
    expect(money(Number.MAX_SAFE_INTEGER)).toBe('¥90,071,992,547,409.91');
    expect(money(1, { sign: true })).toBe('+¥0.01');
    expect(() => money(0.1)).toThrow();
  });

  it('formats basis points as percent', () => {
    expect(rate(1250)).toBe('12.50%');
    expect(rate(5)).toBe('0.05%');
    expect(rate(100_000)).toBe('1000.00%');
    expect(bpsToInput(1099)).toBe('10.99');
  });

  it('parses what people type, refusing what is not an amount', () => {
    expect(parseMoney('1,234.56')).toBe(123456);
    expect(parseMoney('¥ 1234.5')).toBe(123450);
    expect(parseMoney('0.1')).toBe(10);
    expect(parseMoney('1000')).toBe(100000);
    for (const bad of ['', '1e3', '0x10', '-1', '1.234', 'abc', '1.2.3', 'NaN', 'Infinity']) expect(parseMoney(bad), bad).toBeNull();
    expect(parseRate('12.5')).toBe(1250);
    expect(parseRate('12.50%')).toBe(1250);
    expect(parseRate('7')).toBe(700);
    expect(parseRate('1.234')).toBeNull();
    expect(minorToInput(123400)).toBe('1234');
    expect(minorToInput(123456)).toBe('1234.56');
  });

  it('short money by locale', () => {
    setLocale('en', false);
    expect(moneyShort(1_234_567_800)).toBe('¥12.3M');
    expect(moneyShort(150_000)).toBe('¥1.5k');
    expect(moneyShort(99_900)).toBe('¥999');
    setLocale('zh', false);
    expect(moneyShort(1_234_567_800)).toBe('¥1,234.5万');
    expect(moneyShort(30_000_000_000)).toBe('¥3亿');
    setLocale('en', false);
  });
});

describe('bid preview (docs/market-rules.md §4 worked example)', () => {
  const listing: SimulationInput['listing'] = { amountMinor: 1_000_000, maxRateBps: 1500, pricing: 'uniform', status: 'open', endsAt: '2030-01-01T00:00:00Z', closeWhenFunded: false, grade: 'B', seq: 3 };
  const afterL3 = [
    { bidId: 'L1', amountMinor: 400_000, rateBps: 1200, priority: 1 },
    { bidId: 'L2', amountMinor: 300_000, rateBps: 1000, priority: 2 },
    { bidId: 'L3', amountMinor: 500_000, rateBps: 1100, priority: 3 },
  ];
  const nowMs = Date.parse('2029-12-31T00:00:00Z');

  it('L4 @1100 wins, pushes L1 out, and the rate becomes 1100', () => {
    const sim = simulateBid({ listing, bids: afterL3, nowMs }, { amountMinor: 200_000, rateBps: 1100 });
    expect(sim).toMatchObject({ verdict: 'win', fillMinor: 200_000, rateBps: 1100, currentRateBefore: 1200, currentRateAfter: 1100, fundedPctAfter: 100, outbid: { count: 1, amountMinor: 400_000 } });
  });

  it('then a bid at the marginal rate is not competitive, one just below wins', () => {
    const afterL4 = [...afterL3.filter((b) => b.bidId !== 'L1'), { bidId: 'L4', amountMinor: 200_000, rateBps: 1100, priority: 4 }];
    const input = { listing: { ...listing, seq: 5 }, bids: afterL4, nowMs };
    expect(simulateBid(input, { amountMinor: 100_000, rateBps: 1100 })).toMatchObject({ verdict: 'reject', code: 'BID_NOT_COMPETITIVE' });
    expect(simulateBid(input, { amountMinor: 100_000, rateBps: 1099 })).toMatchObject({ verdict: 'win', fillMinor: 100_000, rateBps: 1100, currentRateAfter: 1100, outbid: { count: 0 } });
    // pay as bid: the bid keeps its own rate
    expect(simulateBid({ ...input, listing: { ...input.listing, pricing: 'pay_as_bid' } }, { amountMinor: 100_000, rateBps: 1099 })).toMatchObject({ verdict: 'win', rateBps: 1099 });
  });

  it('refuses in the order of §2 what the client can know', () => {
    const base = { listing, bids: afterL3, nowMs };
    const lender = { kycVerified: true, riskProfile: 'aggressive' as const, availableMinor: 50_000, activeBidId: null };
    expect(simulateBid({ ...base, listing: { ...listing, status: 'cleared' } }, { amountMinor: 10_000, rateBps: 900 }).code).toBe('LISTING_NOT_OPEN');
    expect(simulateBid({ ...base, nowMs: Date.parse('2031-01-01T00:00:00Z') }, { amountMinor: 10_000, rateBps: 900 }).code).toBe('LISTING_NOT_OPEN');
    expect(simulateBid({ ...base, lender: { ...lender, riskProfile: 'conservative' } }, { amountMinor: 10_000, rateBps: 900 }).code).toBe('LENDER_NOT_ELIGIBLE');
    expect(simulateBid({ ...base, lender: { ...lender, activeBidId: 'L1' } }, { amountMinor: 10_000, rateBps: 900 }).code).toBe('BID_EXISTS');
    expect(simulateBid({ ...base, lender }, { amountMinor: 10_050, rateBps: 900 }).code).toBe('BID_AMOUNT_INVALID');
    expect(simulateBid({ ...base, lender }, { amountMinor: 10_000, rateBps: 1501 }).code).toBe('BID_RATE_INVALID');
    expect(simulateBid({ ...base, lender }, { amountMinor: 100_000, rateBps: 900 }).code).toBe('INSUFFICIENT_FUNDS');
    expect(simulateBid({ ...base, lender }, { amountMinor: 50_000, rateBps: 900 }).verdict).toBe('win');
  });

  it('closeWhenFunded trims to the remainder and clears at once; partial fills show', () => {
    const l = { ...listing, closeWhenFunded: true };
    const bids = [{ bidId: 'A', amountMinor: 700_000, rateBps: 1200, priority: 1 }];
    expect(simulateBid({ listing: l, bids, nowMs }, { amountMinor: 500_000, rateBps: 1300 })).toMatchObject({ holdMinor: 300_000, clearsNow: true, verdict: 'win' });
    const sim = simulateBid({ listing, bids: afterL3, nowMs }, { amountMinor: 300_000, rateBps: 1150 });
    expect(sim).toMatchObject({ verdict: 'partial', fillMinor: 200_000 });
  });

  it('an amend moves the bid ahead', () => {
    const sim = simulateAmend({ listing, bids: afterL3, nowMs }, 'L1', 1050);
    expect(sim).toMatchObject({ verdict: 'win', fillMinor: 400_000, currentRateAfter: 1100 });
    expect(simulateAmend({ listing, bids: afterL3, nowMs }, 'L1', 1200).code).toBe('AMEND_RATE_NOT_LOWER');
  });
});
