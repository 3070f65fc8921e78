/** New listing validation (docs/market-rules.md §1): each code, the order of checks, defaults. */
import { describe, expect, it } from 'vitest';
import { validateNewListing, type NewListingInput, type NewListingRequest } from '../../../src/domain/auction/index.js';
import { DEFAULT_SETTINGS } from '../../../src/domain/settings.js';
import { expectAccepted, expectRejected, T0_MS } from './fixtures.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type MutableInput = Mutable<Omit<NewListingInput, 'request'>> & { request: Mutable<NewListingRequest> };

function base(): MutableInput {
  return {
    request: { amountMinor: 1_000_000, termMonths: 12, maxRateBps: 1500, repayment: 'equal_installment', product: 'credit' },
    borrower: { eligible: true, hasOpenListing: false },
    creditLineLeftMinor: 5_000_000,
    capLeftMinor: 100_000_000,
    nowMs: T0_MS,
    settings: DEFAULT_SETTINGS,
  };
}

const BREAKERS: Record<string, (i: MutableInput) => void> = {
  BORROWER_NOT_ELIGIBLE: (i) => void (i.borrower = { ...i.borrower, eligible: false, reason: 'grade below D' }),
  OPEN_LISTING_EXISTS: (i) => void (i.borrower = { ...i.borrower, hasOpenListing: true }),
  VALIDATION_FAILED: (i) => void (i.request.termMonths = 5),
  LISTING_AMOUNT_INVALID: (i) => void (i.request.amountMinor = 99_900),
  LISTING_RATE_INVALID: (i) => void (i.request.maxRateBps = 2401),
  LISTING_DURATION_INVALID: (i) => void (i.request.durationSec = 60),
  CREDIT_LINE_EXCEEDED: (i) => void (i.creditLineLeftMinor = 999_900),
  REGULATORY_CAP_EXCEEDED: (i) => void (i.capLeftMinor = 999_900),
};

describe('validateNewListing', () => {
  it('accepts with defaults: uniform, 100%, not closeWhenFunded, 7 days', () => {
    const r = expectAccepted(validateNewListing(base()));
    expect(r.terms).toEqual({
      amountMinor: 1_000_000,
      termMonths: 12,
      maxRateBps: 1500,
      repayment: 'equal_installment',
      maturesOn: null,
      product: 'credit',
      pricing: 'uniform',
      minFundingPct: 100,
      closeWhenFunded: false,
      durationSec: 604_800,
      endsAtMs: T0_MS + 604_800_000,
      originalEndsAtMs: T0_MS + 604_800_000,
      seq: 0,
    });
  });

  it('a claim-backed listing matures on a date: no term, no repayment choice, a bullet', () => {
    const i = base();
    Object.assign(i.request, { product: 'claim', termMonths: undefined, repayment: undefined, maturesOn: '2031-07-01' });
    expect(expectAccepted(validateNewListing(i)).terms).toMatchObject({ product: 'claim', termMonths: null, repayment: 'bullet', maturesOn: '2031-07-01' });
    for (const extra of [{ termMonths: 3 }, { repayment: 'interest_only' }, { maturesOn: undefined }, { maturesOn: '1 July' }]) {
      const j = base();
      Object.assign(j.request, { product: 'claim', termMonths: undefined, repayment: undefined, maturesOn: '2031-07-01' }, extra);
      expect(validateNewListing(j)).toMatchObject({ ok: false, code: 'VALIDATION_FAILED' });
    }
    const k = base();
    Object.assign(k.request, { maturesOn: '2031-07-01' });
    expect(validateNewListing(k)).toMatchObject({ ok: false, code: 'VALIDATION_FAILED' });
  });

  it('keeps given options', () => {
    const i = base();
    Object.assign(i.request, { pricing: 'pay_as_bid', minFundingPct: 50, closeWhenFunded: true, durationSec: 3600, product: 'order', repayment: 'interest_only' });
    const r = expectAccepted(validateNewListing(i));
    expect(r.terms).toMatchObject({ pricing: 'pay_as_bid', minFundingPct: 50, closeWhenFunded: true, durationSec: 3600, endsAtMs: T0_MS + 3_600_000 });
  });

  it.each(Object.keys(BREAKERS))('%s alone', (code) => {
    const i = base();
    BREAKERS[code]!(i);
    expect(expectRejected(validateNewListing(i)).code).toBe(code);
  });

  it('with any set of failing checks, returns the earliest (all 255 combinations)', () => {
    const codes = Object.keys(BREAKERS);
    for (let mask = 1; mask < 1 << codes.length; mask++) {
      const subset = codes.filter((_, k) => mask & (1 << k));
      const i = base();
      for (const c of subset) BREAKERS[c]!(i);
      expect(expectRejected(validateNewListing(i)).code, subset.join('+')).toBe(subset[0]);
    }
  });

  const variants: [string, string, (i: MutableInput) => void][] = [
    ['the eligibility reason is passed through', 'BORROWER_NOT_ELIGIBLE', (i) => void (i.borrower = { eligible: false, reason: 'not rated', hasOpenListing: false })],
    ['an unknown repayment', 'VALIDATION_FAILED', (i) => void (i.request.repayment = 'balloon')],
    ['an unknown product', 'VALIDATION_FAILED', (i) => void (i.request.product = 'equity')],
    ['an unknown pricing', 'VALIDATION_FAILED', (i) => void (i.request.pricing = 'dutch')],
    ['minFundingPct 49', 'VALIDATION_FAILED', (i) => void (i.request.minFundingPct = 49)],
    ['minFundingPct 101', 'VALIDATION_FAILED', (i) => void (i.request.minFundingPct = 101)],
    ['an amount not whole yuan', 'LISTING_AMOUNT_INVALID', (i) => void (i.request.amountMinor = 100_050)],
    ['a fractional amount', 'LISTING_AMOUNT_INVALID', (i) => void (i.request.amountMinor = 100_000.5)],
    ['maxRateBps 0', 'LISTING_RATE_INVALID', (i) => void (i.request.maxRateBps = 0)],
    ['a duration above 14 days', 'LISTING_DURATION_INVALID', (i) => void (i.request.durationSec = 1_209_601)],
  ];
  it.each(variants)('%s → %s', (_, code, change) => {
    const i = base();
    change(i);
    const r = expectRejected(validateNewListing(i));
    expect(r.code).toBe(code);
    if (code === 'BORROWER_NOT_ELIGIBLE') expect(r.detail).toBe('not rated');
  });

  const boundaries: [string, (i: MutableInput) => void][] = [
    ['the minimum amount 100,000', (i) => void (i.request.amountMinor = 100_000)],
    ['an amount equal to the credit line and cap left', (i) => Object.assign(i, { creditLineLeftMinor: 1_000_000, capLeftMinor: 1_000_000 })],
    ['maxRateBps 1', (i) => void (i.request.maxRateBps = 1)],
    ['maxRateBps 2400', (i) => void (i.request.maxRateBps = 2400)],
    ['every term', (i) => void (i.request.termMonths = 36)],
    ['the minimum duration', (i) => void (i.request.durationSec = 3600)],
    ['the maximum duration', (i) => void (i.request.durationSec = 1_209_600)],
  ];
  it.each(boundaries)('accepts %s', (_, change) => {
    const i = base();
    change(i);
    expectAccepted(validateNewListing(i));
  });

  it('accepts every allowed term and refuses the rest', () => {
    for (let t = 0; t <= 40; t++) {
      const i = base();
      i.request.termMonths = t;
      expect(validateNewListing(i).ok, `term ${t}`).toBe([1, 2, 3, 6, 9, 12, 18, 24, 36].includes(t));
    }
  });
});
